// The task's attachments in the dialog: a list (thumbnail for images, name as a download link, size,
// who attached it), Delete for editors, and for editors "Attach files" (a file picker) plus dropping
// files anywhere on the dialog. Live: another member's upload or delete reloads the list.
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { attachmentsApi } from "../../api/attachments";
import { live } from "../../api/events";
import { ApiError } from "../../api/http";
import type { Attachment, AttachmentList } from "../../api/types";
import { useProject } from "../../stores/project";

/** 1,234,567 bytes → "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "report.final.PDF" → "PDF"; no extension (or a long one) → "FILE". */
export const extensionOf = (name: string) => {
  const match = /\.([A-Za-z0-9]{1,4})$/.exec(name);
  return match?.[1] ? match[1].toUpperCase() : "FILE";
};

export function Attachments(props: { taskId: string; dropTarget: () => HTMLElement | undefined }) {
  const ctx = useProject();
  const [list, setList] = createSignal<AttachmentList | undefined>();
  const [uploading, setUploading] = createSignal<string[]>([]);
  const [dragging, setDragging] = createSignal(false);
  const [error, setError] = createSignal("");
  let picker!: HTMLInputElement;

  const reload = async () => {
    try {
      setList(await attachmentsApi.list(props.taskId));
    } catch {
      setError("Could not load the attachments.");
    }
  };

  const upload = async (files: File[]) => {
    setError("");
    const max = list()?.usage.maxFileBytes;
    for (const file of files) {
      if (max !== undefined && file.size > max) {
        setError(`“${file.name}” is larger than ${formatBytes(max)}, the most a file may be.`);
        continue;
      }
      setUploading((names) => [...names, file.name]);
      try {
        await attachmentsApi.upload(props.taskId, file);
      } catch (err) {
        setError(
          err instanceof ApiError && err.status !== 0 && err.status < 500
            ? err.message
            : `Could not attach “${file.name}”.`,
        );
      } finally {
        setUploading((names) => names.filter((name) => name !== file.name));
      }
    }
    await reload();
  };

  const remove = async (attachment: Attachment) => {
    setError("");
    try {
      await attachmentsApi.remove(props.taskId, attachment.id);
      await reload();
    } catch {
      setError(`Could not delete “${attachment.name}”.`);
    }
  };

  onMount(() => {
    void reload();
    onCleanup(
      live.subscribe((event) => {
        if (
          (event.type === "attachment.added" || event.type === "attachment.deleted") &&
          event.attachment.taskId === props.taskId
        )
          void reload();
      }),
    );
    // Files dropped anywhere on the dialog are attached (editors only).
    const target = props.dropTarget();
    if (!target) return;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer?.types.includes("Files");
    const over = (e: DragEvent) => {
      if (!ctx.canEdit() || !hasFiles(e)) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.target === target) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!ctx.canEdit() || !hasFiles(e)) return;
      e.preventDefault();
      setDragging(false);
      void upload([...(e.dataTransfer?.files ?? [])]);
    };
    target.addEventListener("dragover", over);
    target.addEventListener("dragleave", leave);
    target.addEventListener("drop", drop);
    onCleanup(() => {
      target.removeEventListener("dragover", over);
      target.removeEventListener("dragleave", leave);
      target.removeEventListener("drop", drop);
    });
  });

  const items = () => list()?.items ?? [];

  return (
    <section
      class="task-part"
      classList={{ "drop-active": dragging() }}
      aria-labelledby="attachments-heading"
    >
      <h3 id="attachments-heading">
        Attachments{" "}
        <Show when={items().length}>
          <span class="badge">{items().length}</span>
        </Show>
      </h3>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={list() && !items().length && !ctx.canEdit()}>
        <p class="muted">No attachments.</p>
      </Show>
      <ul class="attachments">
        <For each={items()}>
          {(attachment) => (
            <li class="attachment">
              <Show
                when={attachment.imageType}
                fallback={
                  <span class="attachment-icon" aria-hidden="true">
                    {extensionOf(attachment.name)}
                  </span>
                }
              >
                <img
                  class="attachment-thumb"
                  src={attachment.url}
                  alt=""
                  loading="lazy"
                  width="48"
                  height="48"
                />
              </Show>
              <span class="attachment-meta">
                <a href={attachment.url} download={attachment.name} class="attachment-name">
                  {attachment.name}
                </a>
                <span class="muted">
                  {formatBytes(attachment.size)}
                  <Show when={attachment.uploaderName}> · {attachment.uploaderName}</Show>
                </span>
              </span>
              <Show when={ctx.canEdit()}>
                <button
                  type="button"
                  class="btn btn-small"
                  aria-label={`Delete “${attachment.name}”`}
                  onClick={() => void remove(attachment)}
                >
                  Delete
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={uploading().length}>
        <p class="muted" role="status">
          Uploading {uploading().join(", ")}…
        </p>
      </Show>
      <Show when={ctx.canEdit()}>
        <div class="attach-row">
          <input
            ref={picker}
            id="attachment-input"
            class="visually-hidden"
            type="file"
            multiple
            tabIndex={-1}
            aria-hidden="true"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = "";
              void upload(files);
            }}
          />
          <button type="button" class="btn" onClick={() => picker.click()}>
            Attach files
          </button>
          <span class="muted attach-hint">or drop them on this dialog</span>
          <Show when={list()}>
            {(l) => (
              <span class="muted attach-hint">
                {formatBytes(l().usage.bytes)} of {formatBytes(l().usage.quotaBytes)} used in this project
              </span>
            )}
          </Show>
        </div>
      </Show>
    </section>
  );
}
