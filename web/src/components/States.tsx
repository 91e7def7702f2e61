// Empty, loading and error states shared by the pages.
import { For, type JSX, Show } from "solid-js";
import { ApiError } from "../api/http";

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

/** A page's code could not be loaded: the app was updated since this tab opened it (the old files
 * are gone), or the connection dropped. Messages of Chromium, Firefox, Safari and Vite's preloader. */
export const isLoadFailure = (error: unknown) =>
  error instanceof Error &&
  /dynamically imported module|Importing a module script failed|Unable to preload/i.test(error.message);

export function describeError(error: unknown): { title: string; message: string } {
  if (isLoadFailure(error))
    return {
      title: "This page could not be loaded",
      message:
        "TaskPlatform may have been updated since you opened it, or the connection dropped. Reload to get the latest version.",
    };
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
      {/* Trying the same import again fails again: only a reload fetches the new version. */}
      <Show
        when={isLoadFailure(props.error)}
        fallback={
          <Show when={props.retry}>
            {(retry) => (
              <button type="button" class="btn" onClick={() => retry()()}>
                Try again
              </button>
            )}
          </Show>
        }
      >
        <button type="button" class="btn btn-primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </Show>
    </div>
  );
}
