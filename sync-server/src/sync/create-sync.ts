// The Hocuspocus instance: per-document access in onAuthenticate (design §3), Viber presence,
// persistence through the Storage port, and only `/sync` accepted for websocket upgrades.
import { Server, type Extension, type Hocuspocus, type onAuthenticatePayload } from '@hocuspocus/server';
import {
  Access,
  MAX_STORE_DELAY_MS,
  SYNC_PATH,
  accessFor,
  markViberSeen,
  parseDocName,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import type { AuthService, AuthedPrincipal } from '../auth/auth-service.ts';
import type { Storage } from '../storage/storage.ts';
import { TOKEN_RECHECK_MS, VIBER_SEEN_INTERVAL_MS } from '../limits.ts';
import { connectionLimits, type ConnectionLimitOptions } from './connection-limits.ts';
import { DocGateway } from './doc-gateway.ts';
import { namedInWorkspace } from './named-in-workspace.ts';
import { Presence } from './presence.ts';
import { RefusalLog } from './refusal-log.ts';
import { awarenessEchoExtension } from './awareness-echo.ts';
import { messageBumpExtension } from './message-bump.ts';
import { guardConnections } from './socket-guard.ts';
import { SyncBudget } from './sync-budget.ts';
import { socketAddressOf } from './socket-id.ts';
import { spreadPingsExtension } from './spread-pings.ts';
import { storageExtension, type StoreCoordination } from './storage-extension.ts';
import { storeStatusExtension } from './store-status.ts';
import { DeletionCollector } from './deletion-collector.ts';
import { QuotaError } from './user-quota.ts';
import { RegisteredVibers } from './registered-vibers.ts';
import { waitForStore } from './wait-for-store.ts';

/** Websocket close code sent when the connection's token was revoked (logout, Viber removed). */
export const CLOSE_CREDENTIALS_REVOKED = 4401;
/** Hocuspocus's ResetConnection (4205): the provider reconnects and re-syncs its whole state. */
export const STALE_DOCUMENT_RESET = { code: 4205, reason: 'Reset Connection' } as const;

/**
 * Each document is named by its guid: Yjs otherwise draws a uuid for it from 31 getRandomValues calls
 * (~50 µs; 150 ms of a process's CPU as 3,000 users' documents load after a restart), for a field
 * that only subdocuments read, and ours have none.
 */
const namedDocuments: Extension = {
  extensionName: 'named-documents',
  onCreateDocument: async ({ documentName }) => ({ guid: documentName }),
};

export interface SyncContext {
  principal?: AuthedPrincipal;
}

export interface SyncOptions {
  auth: AuthService;
  storage: Storage;
  extensions?: Extension[];
  /** Store debounce in ms (Hocuspocus default 2000). */
  debounce?: number;
  onRequest: NonNullable<ConstructorParameters<typeof Server>[0]>['onRequest'];
  /** Per-socket and per-user limits (limits.ts; the config may override them). */
  limits: ConnectionLimitOptions;
  /** Where refused websockets are logged, rate-limited (default: stderr). */
  log?: (line: string) => void;
}

/** A document refused to a peer: its message is the reason the refusal log records. */
class Refused extends Error {
  override readonly name = 'Refused';
}

/**
 * A peer's refusals go to the refusal log, rate-limited; other errors thrown here are printed by
 * Hocuspocus even when quiet: they name nothing sensitive.
 */
export function createSyncServer(options: SyncOptions) {
  const presence = new Presence();
  const log = options.log ?? ((line: string) => console.error(line));
  const refusals = new RefusalLog(log);
  const limits = connectionLimits(options.storage, options.limits, refusals);

  const isOwnViberDoc = (
    p: AuthedPrincipal | undefined,
    documentName: string,
  ): p is AuthedPrincipal & { kind: 'viber' } =>
    p?.kind === 'viber' && documentName === viberDocName(p.userId, p.viberId);

  // [S7] lastSeenAt at a Viber's connect and disconnect, at most once per VIBER_SEEN_INTERVAL_MS per
  // Viber, left to the debounced store: a Viber reconnecting in a loop stored the whole workspace
  // twice per cycle.
  const seenAt = new Map<string, number>();
  const recordSeen = async (p: AuthedPrincipal & { kind: 'viber' }) => {
    const now = Date.now();
    if (now - (seenAt.get(p.viberId) ?? 0) < VIBER_SEEN_INTERVAL_MS) return;
    seenAt.set(p.viberId, now);
    if (seenAt.size > 10_000)
      for (const [id, at] of seenAt) if (now - at >= VIBER_SEEN_INTERVAL_MS) seenAt.delete(id);
    await options.storage.touchViber(p.viberId, now);
    await gateway.writeLazily(workspaceDocName(p.userId), (doc) => markViberSeen(doc, p.viberId, now));
  };

  const authenticate = async ({
    token,
    documentName,
    connectionConfig,
    socketId,
    requestHeaders,
    instance,
  }: onAuthenticatePayload<SyncContext>) => {
    const principal = await waitForStore(() => options.auth.principalFor(token));
    if (!principal) throw new Refused('unauthorized: unknown, expired or revoked token');
    if (!parseDocName(documentName)) throw new Refused('forbidden: unknown document');
    const access = accessFor(principal, documentName);
    if (access === Access.refused) throw new Refused('forbidden: no access to this document');
    if (await waitForStore(() => deletions.refuses(documentName)))
      throw new Refused('forbidden: this document belongs to a deleted task, binding or Viber');
    if (access === Access.readOnly) connectionConfig.readOnly = true;
    if (!(await namedInWorkspace((n, fn) => gateway.read(n, fn), principal, documentName)))
      throw new Refused('forbidden: no such task or binding in the workspace');
    if (!(await waitForStore(() => registeredVibers.admits(principal, documentName))))
      throw new Refused('forbidden: no such Viber');
    await limits.admit({
      principal,
      documentName,
      socketId,
      requestHeaders,
      readOnly: connectionConfig.readOnly,
      exists: async () =>
        instance.documents.has(documentName) || (await options.storage.fetchDocument(documentName)) !== null,
    });
    return { principal };
  };

  const deletions = new DeletionCollector(options.storage);
  const registeredVibers = new RegisteredVibers(options.storage);
  const stored = storageExtension(options.storage, {
    // Several processes (Redis): the one a change came through stores it and says so.
    coordination: options.extensions
      ?.map((e) => (e as { storeCoordination?: StoreCoordination }).storeCoordination)
      .find(Boolean),
    isDeleted: (name) => deletions.isDeleted(name),
    isStopping: (): boolean => gateway.closed,
    onLoaded: (name, document, bytes) => limits.memory.loaded(name, document, bytes),
  });
  const server = new Server<SyncContext>({
    quiet: true,
    stopOnSignals: false,
    debounce: options.debounce ?? 2000,
    maxDebounce: MAX_STORE_DELAY_MS,
    ...limits.serverOptions,
    extensions: [
      namedDocuments,
      stored,
      storeStatusExtension(
        (document) => stored.unstored(document),
        (): boolean => gateway.closed,
      ),
      deletions.extension(),
      limits.extension,
      spreadPingsExtension(),
      awarenessEchoExtension(log),
      messageBumpExtension(() => gateway, log),
      ...(options.extensions ?? []),
    ],
    async onUpgrade({ request, socket }) {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path !== SYNC_PATH) {
        socket.destroy();
        // A falsy throw stops Hocuspocus's upgrade handling without an unhandled error.
        throw null;
      }
    },
    async onAuthenticate(payload) {
      try {
        return await authenticate(payload);
      } catch (error) {
        if (!(error instanceof Refused || error instanceof QuotaError)) throw error;
        // Hocuspocus prints every refusal with a message (one line per attempt, a stranger's to
        // repeat): the refusal log records it instead, and the client gets the same reason as before.
        refusals.refused(socketAddressOf(payload.requestHeaders), error.message);
        throw { reason: error instanceof QuotaError ? error.reason : 'permission-denied' };
      }
    },
    async connected({ context, documentName, connection, instance }) {
      // [P1] A peer that attached while its document was being unloaded holds a dead copy: its edits
      // would be acknowledged and never stored. Reset it; the provider reconnects and re-syncs.
      if (connection.document.isDestroyed || instance.documents.get(documentName) !== connection.document) {
        connection.close(STALE_DOCUMENT_RESET);
        connection.webSocket.close(STALE_DOCUMENT_RESET.code, STALE_DOCUMENT_RESET.reason);
        return;
      }
      if (isOwnViberDoc(context.principal, documentName)) {
        presence.add(context.principal.viberId);
        await recordSeen(context.principal);
      }
    },
    async beforeUnloadDocument({ document, documentName, instance }) {
      // [P1] A late unload of an instance that is already gone (a store's delayed unload check) would
      // remove the NEXT instance of that name from the map, orphaning its peers: refuse it.
      // A falsy throw aborts the unload without Hocuspocus logging an error.
      if (instance.documents.get(documentName) !== document) throw null;
    },
    async onDisconnect({ context, documentName }) {
      if (isOwnViberDoc(context?.principal, documentName)) {
        presence.remove(context.principal.viberId);
        await recordSeen(context.principal);
      }
    },
    onRequest: options.onRequest,
  });
  const gateway: DocGateway = new DocGateway(server.hocuspocus, (document) =>
    stored.awaitNextStore(document),
  );
  const apiDocs = gateway.charged(
    limits.apiQuota(
      async (name) =>
        server.hocuspocus.documents.has(name) || (await options.storage.fetchDocument(name)) !== null,
    ),
  );
  deletions.attach(server.hocuspocus, gateway);
  guardConnections(server.hocuspocus, refusals, new SyncBudget(options.limits.syncItemsPerMinute));

  /** Closes every websocket connection whose principal matches (logout, Viber removed). */
  const closeConnections = (matches: (p: AuthedPrincipal) => boolean) => {
    for (const doc of server.hocuspocus.documents.values()) {
      for (const conn of doc.getConnections()) {
        const principal = (conn.context as SyncContext).principal;
        if (!principal || !matches(principal)) continue;
        conn.close({ code: CLOSE_CREDENTIALS_REVOKED, reason: 'credentials revoked' });
        // Closing the socket too makes every client notice at once, not only at its next reconnect.
        conn.webSocket.close(CLOSE_CREDENTIALS_REVOKED, 'credentials revoked');
      }
    }
  };

  // Every open websocket's token, checked again against the store: a session ended by another
  // process (a logout, a removed Viber: only this process's sockets close at once) or expired closes
  // its connections here too, within one interval. One query for all the tokens held.
  let rechecking = false;
  const recheckTokens = async () => {
    if (rechecking || gateway.closed) return;
    rechecking = true;
    try {
      const held = new Set<string>();
      for (const doc of server.hocuspocus.documents.values())
        for (const conn of doc.getConnections()) {
          const principal = (conn.context as SyncContext).principal;
          if (principal) held.add(principal.tokenHash);
        }
      if (held.size === 0) return;
      const live = await options.storage.liveTokenHashes([...held], Date.now());
      if (live.size < held.size) closeConnections((p) => !live.has(p.tokenHash));
    } catch (error) {
      log(`checking open connections' tokens failed (tried again later): ${String(error)}`);
    } finally {
      rechecking = false;
    }
  };
  const recheck = setInterval(() => void recheckTokens(), options.limits.tokenRecheckMs ?? TOKEN_RECHECK_MS);
  recheck.unref();

  return {
    server,
    refusals,
    /** Stops the periodic token check (the server is closing). */
    stopRechecks: () => clearInterval(recheck),
    hocuspocus: server.hocuspocus as Hocuspocus<SyncContext>,
    gateway,
    /** The gateway as the API uses it: writes charged to the owner's storage quota. */
    apiDocs,
    deletions,
    presence,
    closeConnections,
  };
}
