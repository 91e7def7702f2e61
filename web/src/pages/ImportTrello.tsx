// Import from Trello: pick the board's JSON export, see what will be created (the server's dry run),
// then create the project. Nothing is written before the confirmation; a bad file is explained on
// the page in the server's words.
import { useNavigate } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ApiError } from "../api/http";
import { importsApi } from "../api/imports";
import { STATUS_LABEL, type TrelloImportResult } from "../api/types";
import { projectsStore } from "../stores/projects";
import { showToast } from "../stores/toast";

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** The preview in one sentence: what the project will hold. */
export function previewSummary(result: TrelloImportResult): string {
  const { counts } = result;
  const archived = counts.archivedTasks ? ` (${counts.archivedTasks.toLocaleString()} archived)` : "";
  return `A new project “${result.project.name}” with ${count(counts.columns, "column")}, ${count(counts.tasks, "task")}${archived}, ${count(counts.labels, "label")}, ${count(counts.checklistItems, "checklist item")} and ${count(counts.comments, "comment")}.`;
}

/** The API's limit (api/src/trello/schemas.ts): a bigger file is refused here, before it is sent. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const TOO_LARGE =
  "This file is larger than 20 MB, the most an import from Trello takes. Archive or delete old cards in Trello, or split the board, and export it again.";

const message = (error: unknown) =>
  error instanceof ApiError ? error.message : "Could not read the file. Try again.";

export default function ImportTrello() {
  const projects = projectsStore();
  const navigate = useNavigate();
  const [file, setFile] = createSignal<File | null>(null);
  const [preview, setPreview] = createSignal<TrelloImportResult | null>(null);
  const [problem, setProblem] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  let previewPanel: HTMLElement | undefined;
  let problemText: HTMLParagraphElement | undefined;

  const choose = async (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    setPreview(null);
    setProblem("");
    if (chosen.size > MAX_FILE_BYTES) {
      setProblem(TOO_LARGE);
      problemText?.focus();
      return;
    }
    setBusy(true);
    try {
      setPreview(await importsApi.trello(chosen, true));
      previewPanel?.focus();
    } catch (error) {
      setProblem(message(error));
      problemText?.focus();
    } finally {
      setBusy(false);
    }
  };

  const create = async () => {
    const chosen = file();
    if (!chosen) return;
    setBusy(true);
    try {
      const result = await importsApi.trello(chosen, false);
      await projects.load();
      showToast(`Imported “${result.project.name}” from Trello.`, { kind: "success" });
      navigate(`/projects/${result.project.id}`);
    } catch (error) {
      setProblem(message(error));
      problemText?.focus();
    } finally {
      setBusy(false);
    }
  };

  const cancel = () => {
    setFile(null);
    setPreview(null);
  };

  return (
    <div class="settings">
      <h1>Import from Trello</h1>
      <section class="panel stack" aria-labelledby="trello-file-heading">
        <h2 id="trello-file-heading">Choose the board's export</h2>
        <p class="muted">
          In Trello, open the board's menu, choose “Print, export and share”, then “Export as JSON”, and save
          the file. Its lists become columns and its cards tasks, with their labels, checklists and comments,
          in a new project of yours. Nothing is created before you confirm. Files of up to 20 MB and 5,000
          cards.
        </p>
        <div class="row row-wrap">
          <label class="btn file-btn" classList={{ disabled: busy() }}>
            {busy() && !preview() ? "Reading…" : "Choose a Trello file"}
            <input
              type="file"
              accept="application/json,.json"
              class="visually-hidden"
              disabled={busy()}
              onChange={(e) => {
                void choose(e.currentTarget.files?.[0]);
                e.currentTarget.value = "";
              }}
            />
          </label>
        </div>
        <Show when={problem()}>
          <p class="field-error" role="alert" tabindex="-1" ref={problemText}>
            {problem()}
          </p>
        </Show>
        <Show when={preview()}>
          {(result) => (
            <section
              class="import-preview stack"
              aria-labelledby="trello-preview-heading"
              tabindex="-1"
              ref={previewPanel}
            >
              <h3 id="trello-preview-heading">Import “{file()?.name}”?</h3>
              <p>{previewSummary(result())}</p>
              <h4>Columns</h4>
              <ul class="import-list">
                <For each={result().columns}>
                  {(column) => (
                    <li>
                      <strong>{column.name}</strong> — {STATUS_LABEL[column.kind]},{" "}
                      {count(column.tasks, "task")}
                      {column.list === null ? " (added: every project has a column of each kind)" : ""}
                    </li>
                  )}
                </For>
              </ul>
              <Show when={result().counts.archivedLists > 0}>
                <p class="muted">
                  {count(result().counts.archivedLists, "archived list")}{" "}
                  {result().counts.archivedLists === 1
                    ? "gets no column; its cards are imported as archived tasks."
                    : "get no columns; their cards are imported as archived tasks."}
                </p>
              </Show>
              <Show when={result().labels.length > 0}>
                <h4>Labels</h4>
                <ul class="labels import-labels">
                  <For each={result().labels}>
                    {(label) => (
                      <li class={`label chip-${label.color}`}>
                        {label.name} <span class="visually-hidden">({count(label.tasks, "task")})</span>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <Show when={result().members.length > 0}>
                <h4>Board members</h4>
                <p class="muted">
                  They are not added to the project. Invite the ones you want from the project's settings once
                  it is created.
                </p>
                <ul class="import-list">
                  <For each={result().members}>
                    {(member) => (
                      <li>
                        {member.fullName}
                        {member.username ? ` (@${member.username})` : ""}: {count(member.cards, "card")},{" "}
                        {count(member.comments, "comment")}
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <Show when={result().warnings.length > 0}>
                <h4>To fit TaskPlatform</h4>
                <ul class="import-list">
                  <For each={result().warnings}>{(warning) => <li>{warning}</li>}</For>
                </ul>
              </Show>
              <div class="row row-wrap">
                <button type="button" class="btn btn-primary" disabled={busy()} onClick={create}>
                  {busy() ? "Creating…" : "Create the project"}
                </button>
                <button type="button" class="btn" disabled={busy()} onClick={cancel}>
                  Cancel
                </button>
              </div>
            </section>
          )}
        </Show>
      </section>
    </div>
  );
}
