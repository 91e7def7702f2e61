// Toasts: short messages with an optional action (Undo, Reload). Announced through a live region.
import { createSignal } from "solid-js";

export interface Toast {
  id: number;
  kind: "info" | "error" | "success";
  message: string;
  action?: { label: string; run: () => void };
  timeout: number;
}

const [toasts, setToasts] = createSignal<Toast[]>([]);
let nextId = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

export { toasts };

export function showToast(
  message: string,
  options: { kind?: Toast["kind"]; action?: Toast["action"]; timeout?: number; onExpire?: () => void } = {},
): number {
  const id = nextId++;
  const toast: Toast = {
    id,
    kind: options.kind ?? "info",
    message,
    action: options.action,
    timeout: options.timeout ?? (options.kind === "error" ? 8000 : 4000),
  };
  setToasts((list) => [...list.slice(-3), toast]);
  timers.set(
    id,
    setTimeout(() => {
      dismissToast(id);
      options.onExpire?.();
    }, toast.timeout),
  );
  return id;
}

export function dismissToast(id: number): void {
  const timer = timers.get(id);
  if (timer) clearTimeout(timer);
  timers.delete(id);
  setToasts((list) => list.filter((t) => t.id !== id));
}

/** Errors are about the page they happened on: called when the user leaves it. */
export function dismissErrorToasts(): void {
  for (const toast of toasts()) if (toast.kind === "error") dismissToast(toast.id);
}

export function errorToast(
  error: unknown,
  fallback = "Something went wrong",
  action?: Toast["action"],
): void {
  const message = error instanceof Error && error.message ? error.message : fallback;
  showToast(message, { kind: "error", action });
}
