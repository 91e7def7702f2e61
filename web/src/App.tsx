import { Router, useBeforeLeave } from "@solidjs/router";
import { createSignal, ErrorBoundary, type JSX, onCleanup, Show, Suspense } from "solid-js";
import { ErrorView } from "./components/States";
import { Toasts } from "./components/Toasts";
import { routes } from "./routes";
import { type SessionApi, SessionProvider } from "./stores/session";
import { dismissErrorToasts } from "./stores/toast";

function Root(props: { children?: JSX.Element }) {
  const [online, setOnline] = createSignal(navigator.onLine);
  const update = () => setOnline(navigator.onLine);
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  onCleanup(() => {
    window.removeEventListener("online", update);
    window.removeEventListener("offline", update);
  });
  // Before the next page renders, so an error raised once it is under way (e.g. a failed delete
  // after leaving the project) stays. Changing only the query (list filters) is not leaving.
  useBeforeLeave((e) => {
    if (typeof e.to === "number" || new URL(e.to, window.location.href).pathname !== e.from.pathname)
      dismissErrorToasts();
  });
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Show when={!online()}>
        <div class="banner banner-offline" role="status">
          You are offline. Changes will fail until the connection is back.
        </div>
      </Show>
      <ErrorBoundary fallback={(error, reset) => <ErrorView error={error} retry={reset} />}>
        <Suspense fallback={<div class="page-loading" role="status" aria-busy="true" aria-label="Loading" />}>
          {props.children}
        </Suspense>
      </ErrorBoundary>
      <Toasts />
    </>
  );
}

export function App(props: { session?: SessionApi }) {
  return (
    <SessionProvider value={props.session}>
      <Router root={Root}>{routes}</Router>
    </SessionProvider>
  );
}
