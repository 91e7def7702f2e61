import { Router } from "@solidjs/router";
import { createSignal, ErrorBoundary, type JSX, onCleanup, Show, Suspense } from "solid-js";
import { ErrorView } from "./components/States";
import { Toasts } from "./components/Toasts";
import { routes } from "./routes";
import { type SessionApi, SessionProvider } from "./stores/session";

function Root(props: { children?: JSX.Element }) {
  const [online, setOnline] = createSignal(navigator.onLine);
  const update = () => setOnline(navigator.onLine);
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  onCleanup(() => {
    window.removeEventListener("online", update);
    window.removeEventListener("offline", update);
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
