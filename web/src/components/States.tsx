// Empty, loading and error states shared by the pages.
import { For, type JSX, Show } from "solid-js";
import { ApiError } from "../api/client";

export function Empty(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="empty">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

export function BoardSkeleton() {
  return (
    <div class="board" role="status" aria-busy="true" aria-label="Loading tasks">
      <For each={[4, 2, 3]}>
        {(n) => (
          <div class="column skeleton-column">
            <div class="skeleton skeleton-title" />
            <For each={Array.from({ length: n })}>{() => <div class="skeleton skeleton-card" />}</For>
          </div>
        )}
      </For>
    </div>
  );
}

export function RowsSkeleton(props: { rows?: number }) {
  return (
    <div role="status" aria-busy="true" aria-label="Loading" class="rows-skeleton">
      <For each={Array.from({ length: props.rows ?? 5 })}>{() => <div class="skeleton skeleton-row" />}</For>
    </div>
  );
}

export function describeError(error: unknown): { title: string; message: string } {
  if (error instanceof ApiError) {
    if (error.status === 0) return { title: "You appear to be offline", message: error.message };
    if (error.status === 404)
      return { title: "Not found", message: "It may have been deleted, or you no longer have access." };
    if (error.status === 403) return { title: "Not allowed", message: error.message };
    if (error.status >= 500)
      return { title: "Server error", message: "The server had a problem. Try again in a moment." };
    return { title: "Something went wrong", message: error.message };
  }
  return { title: "Something went wrong", message: error instanceof Error ? error.message : String(error) };
}

export function ErrorView(props: { error: unknown; retry?: () => void }) {
  const info = () => describeError(props.error);
  return (
    <div class="error-view" role="alert">
      <h2>{info().title}</h2>
      <p>{info().message}</p>
      <Show when={props.retry}>
        {(retry) => (
          <button type="button" class="btn" onClick={() => retry()()}>
            Try again
          </button>
        )}
      </Show>
    </div>
  );
}
