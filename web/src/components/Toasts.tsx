import { For, Show } from "solid-js";
import { dismissToast, toasts } from "../stores/toast";
import { CloseIcon } from "./Icons";

export function Toasts() {
  return (
    <section class="toasts" aria-label="Notifications">
      <div role="status" aria-live="polite" class="toast-list">
        <For each={toasts()}>
          {(toast) => (
            <div class={`toast toast-${toast.kind}`} role={toast.kind === "error" ? "alert" : undefined}>
              <span class="toast-message">{toast.message}</span>
              <Show when={toast.action}>
                {(action) => (
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => {
                      dismissToast(toast.id);
                      action().run();
                    }}
                  >
                    {action().label}
                  </button>
                )}
              </Show>
              <button
                type="button"
                class="icon-btn"
                aria-label="Dismiss notification"
                onClick={() => dismissToast(toast.id)}
              >
                <CloseIcon />
              </button>
            </div>
          )}
        </For>
      </div>
    </section>
  );
}
