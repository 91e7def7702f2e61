// Signed-in frame: header (live state, account, sign out), projects sidebar, main content.
import { A, Navigate, useLocation, useNavigate } from "@solidjs/router";
import { createEffect, createSignal, type JSX, Match, on, Show, Switch } from "solid-js";
import { live } from "../api/events";
import { notificationsStore } from "../stores/notifications";
import { projectsStore } from "../stores/projects";
import { useSession } from "../stores/session";
import { BellIcon, LogoIcon, MenuIcon, UserIcon } from "./Icons";
import { Sidebar } from "./Sidebar";

export function LiveIndicator() {
  const label = () =>
    ({ off: "Offline", connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" })[
      live.state()
    ];
  return (
    <span class={`live live-${live.state()}`} role="status" aria-live="polite" data-testid="live-state">
      <span class="live-dot" aria-hidden="true" />
      {label()}
    </span>
  );
}

/** The inbox link: its accessible name carries the unread count ("Notifications, 3 unread"). */
export function NotificationBell() {
  const inbox = notificationsStore();
  const count = () => inbox.unread();
  return (
    <A
      href="/notifications"
      class="btn btn-ghost bell"
      aria-label={count() > 0 ? `Notifications, ${count()} unread` : "Notifications"}
      data-testid="notification-bell"
    >
      <BellIcon />
      <Show when={count() > 0}>
        <span class="bell-count" aria-hidden="true">
          {count() > 99 ? "99+" : count()}
        </span>
      </Show>
    </A>
  );
}

export function Shell(props: { children?: JSX.Element }) {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const projects = projectsStore();
  const inbox = notificationsStore();
  const [menuOpen, setMenuOpen] = createSignal(false);

  createEffect(
    on(session.status, (status) => {
      if (status === "authenticated") {
        void projects.load();
        void inbox.loadCount();
      }
      if (status === "anonymous") {
        projects.clear();
        inbox.clear();
      }
    }),
  );
  createEffect(
    on(
      () => location.pathname,
      () => setMenuOpen(false),
      { defer: true },
    ),
  );

  const signOut = async () => {
    await session.signOut();
    navigate("/signin", { replace: true });
  };

  return (
    <Switch>
      <Match when={session.status() === "loading"}>
        <div class="page-loading" role="status" aria-busy="true" aria-label="Restoring your session" />
      </Match>
      <Match when={session.status() === "anonymous"}>
        <Navigate href={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} />
      </Match>
      <Match when={session.status() === "authenticated"}>
        <div class="app" classList={{ "menu-open": menuOpen() }}>
          <header class="topbar">
            <button
              type="button"
              class="icon-btn menu-btn"
              aria-label="Projects menu"
              aria-expanded={menuOpen()}
              aria-controls="sidebar"
              onClick={() => setMenuOpen(!menuOpen())}
            >
              <MenuIcon />
            </button>
            <A href="/" class="brand">
              <LogoIcon />
              <span class="brand-text">TaskPlatform</span>
            </A>
            <div class="topbar-end">
              <LiveIndicator />
              <NotificationBell />
              <A href="/settings" class="btn btn-ghost account-link">
                <UserIcon />
                <span class="visually-hidden">Account settings: </span>
                <span class="hide-narrow">{session.user()?.name}</span>
              </A>
              <button type="button" class="btn btn-ghost" onClick={signOut}>
                Sign out
              </button>
            </div>
          </header>
          <Sidebar id="sidebar" />
          <Show when={menuOpen()}>
            <button type="button" class="scrim" aria-label="Close menu" onClick={() => setMenuOpen(false)} />
          </Show>
          <main id="main" class="main" tabindex="-1">
            {props.children}
          </main>
        </div>
      </Match>
    </Switch>
  );
}
