// The signed-in user: token and user cached in localStorage, so a reload with the network off still opens the app.
import { signal } from '@preact/signals';
import { api } from '../api/http.ts';
import type { AuthResponse, SessionUser } from '../api/types.ts';
import { localDbName } from '../sync/local-persistence.ts';

const KEY = 'openviber.session';

export interface Session {
  token: string;
  user: SessionUser;
}

function load(): Session | null {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return raw && typeof raw.token === 'string' && typeof raw.user?.id === 'string' ? raw : null;
  } catch {
    return null;
  }
}

/** Creates the session model; `session` is null while signed out. */
export function createSessionModel() {
  const session = signal<Session | null>(load());
  /** Set when the server refused the cached token (expired or revoked): the user must sign in again. */
  const expired = signal(false);

  const store = (value: Session | null) => {
    if (value) localStorage.setItem(KEY, JSON.stringify(value));
    else localStorage.removeItem(KEY);
    session.value = value;
  };

  async function authenticate(kind: 'signup' | 'login', username: string, password: string): Promise<void> {
    const res = await api<AuthResponse>(`/auth/${kind}`, { body: { username, password } });
    expired.value = false;
    store({ token: res.token, user: res.user });
  }

  /** Signs out and removes this user's local copy (IndexedDB) from the device; secrets were never in it in plaintext. */
  async function logout(): Promise<void> {
    const current = session.value;
    store(null);
    if (!current) return;
    localStorage.removeItem(`openviber.currentEnv.${current.user.id}`);
    const prefix = localDbName(`u/${current.user.id}/`);
    const dbs = (await indexedDB.databases?.().catch(() => [])) ?? [];
    for (const db of dbs) if (db.name?.startsWith(prefix)) indexedDB.deleteDatabase(db.name);
    await api('/auth/logout', { method: 'POST', token: current.token }).catch(() => undefined);
  }

  return {
    session,
    expired,
    signup: (u: string, p: string) => authenticate('signup', u, p),
    login: (u: string, p: string) => authenticate('login', u, p),
    logout,
    markExpired: () => {
      expired.value = true;
    },
    /** Back to the sign-in screen, keeping the local copy: unsynced edits sync after signing in as the same user. */
    reauthenticate: () => {
      store(null);
    },
  };
}

export type SessionModel = ReturnType<typeof createSessionModel>;
