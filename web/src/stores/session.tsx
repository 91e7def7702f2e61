// Session context: who is signed in. The access token lives in memory (api/client.ts); on load the
// app tries a silent refresh through the HttpOnly cookie to restore the session.
import { createContext, createSignal, type JSX, onCleanup, useContext } from "solid-js";
import { api, onTokenChange, refreshToken, setAccessToken } from "../api/client";
import { live } from "../api/events";
import type { User } from "../api/types";

export type SessionStatus = "loading" | "anonymous" | "authenticated";

export interface SessionApi {
  status: () => SessionStatus;
  user: () => User | null;
  signIn(email: string, password: string): Promise<void>;
  signUp(name: string, email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  restore(): Promise<void>;
  /** The session ended elsewhere (refresh refused): forget it locally. */
  expire(): void;
}

const SessionContext = createContext<SessionApi>();

export function createSession(): SessionApi {
  const [status, setStatus] = createSignal<SessionStatus>("loading");
  const [user, setUser] = createSignal<User | null>(null);

  const signedIn = (next: User, token: string) => {
    setAccessToken(token);
    setUser(next);
    setStatus("authenticated");
    live.start();
  };
  const signedOut = () => {
    setStatus("anonymous");
    setUser(null);
    live.stop();
    setAccessToken(null);
  };

  return {
    status,
    user,
    async signIn(email, password) {
      const res = await api.login({ email, password });
      signedIn(res.user, res.accessToken);
    },
    async signUp(name, email, password) {
      const res = await api.register({ name, email, password });
      signedIn(res.user, res.accessToken);
    },
    async signOut() {
      try {
        await api.logout();
      } catch {
        // The server may already have forgotten the session; sign out locally regardless.
      }
      signedOut();
    },
    expire: signedOut,
    async restore() {
      const token = await refreshToken();
      if (!token) return signedOut();
      try {
        const { user: me } = await api.me();
        signedIn(me, token);
      } catch {
        signedOut();
      }
    },
  };
}

export function SessionProvider(props: { value?: SessionApi; children: JSX.Element }) {
  const session = props.value ?? createSession();
  // A failed refresh anywhere (another tab signed out, session revoked) ends the session here too.
  const off = onTokenChange((token) => {
    if (token === null && session.status() === "authenticated") session.expire();
  });
  onCleanup(off);
  if (!props.value) void session.restore();
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <SessionProvider>");
  return session;
}
