// What one websocket may spend (design §8, issue 14): frame size, an authentication deadline, how
// many may wait unauthenticated and how much each may queue meanwhile, sockets and documents open
// per user and per socket, documents and bytes stored per user, and who may say what in awareness.
// create-sync.ts spreads `serverOptions` into the Hocuspocus Server, adds `extension`, and calls
// `admit` at the end of a successful onAuthenticate.
import { inspect } from 'node:util';
import type { Extension } from '@hocuspocus/server';
import { parseDocName } from '@openviber/shared';
import type { AuthedPrincipal } from '../auth/auth-service.ts';
import {
  AWARENESS_RECORD_TTL_MS,
  IDLE_SOCKET_TIMEOUT_MS,
  MAX_LOADED_MEMORY_PER_USER,
  MAX_REFUSED_CHANGES_PER_MINUTE,
  MAX_PREAUTH_QUEUE_BYTES,
  MAX_WS_PAYLOAD_BYTES,
  MAX_WS_PAYLOAD_BYTES_AUTHENTICATED,
} from '../limits.ts';
import type { Storage } from '../storage/storage.ts';
import { guardAwareness, pruneAwarenessRecords } from './awareness-guard.ts';
import { LoadedMemory } from './loaded-memory.ts';
import { syncUpdateBytes } from './socket-guard.ts';
import type { GatewayQuota } from './doc-gateway.ts';
import { ConnectionDocuments } from './connection-documents.ts';
import { clientAddressOf } from '../http/client-address.ts';
import { socketAddressOf, socketIdOf, tagSocket } from './socket-id.ts';
import { CLOSE_SYNC_BUDGET, PrincipalBudget } from './sync-budget.ts';
import { UnauthenticatedSockets } from './unauthenticated-sockets.ts';
import { refuseSocket } from '../http/refuse-socket.ts';
import { UserSockets } from './user-sockets.ts';
import type { RefusalLog } from './refusal-log.ts';
import { QuotaError, UserQuota, type QuotaLimits } from './user-quota.ts';

export interface ConnectionLimitOptions extends QuotaLimits {
  documentsPerConnection: number;
  /** Estimated memory of one user's loaded documents in this process (MAX_LOADED_MEMORY_PER_USER). */
  loadedMemoryPerUser?: number;
  authDeadlineMs?: number;
  /** Unauthenticated websockets per client address and in all (limits.ts; the config may override them). */
  unauthenticatedSocketsPerAddress?: number;
  unauthenticatedSockets?: number;
  /** Websockets per user at once (and as many for the user's Vibers). */
  socketsPerUser?: number;
  /** Document items encoded for one principal's SyncStep1 requests per minute (sync-budget.ts). */
  syncItemsPerMinute?: number;
  /** Changes a limit may refuse to one principal per minute (MAX_REFUSED_CHANGES_PER_MINUTE). */
  refusedChangesPerMinute?: number;
  /** Proxies whose X-Forwarded-For names the client ([S19]). */
  trustedProxies?: readonly string[];
  /** How often open websockets' tokens are checked again (TOKEN_RECHECK_MS). */
  tokenRecheckMs?: number;
}

interface Admission {
  principal: AuthedPrincipal;
  documentName: string;
  socketId: string;
  requestHeaders: Headers;
  readOnly: boolean;
  /** True when the document is already stored or loaded (consulted only at the document quota). */
  exists: () => Promise<boolean>;
}

/**
 * A change a limit refused, as thrown to Hocuspocus: it closes the document with `reason` (the
 * limit's words, limitReason) and prints the error — one line, and not once more under the hook's
 * name, which it prints for an error with a message.
 */
class RefusedChange extends Error {
  override readonly name = 'RefusedChange';
  readonly code: number;
  readonly reason: string;
  constructor(refusal: QuotaError) {
    super('');
    this.code = refusal.code;
    this.reason = refusal.reason;
  }
  [inspect.custom](): string {
    return `refused: ${this.reason}`;
  }
}

/** A Yjs update with nothing in it (no structs, no deletions). */
const EMPTY_UPDATE_BYTES = 2;

/**
 * Lets an authenticated socket send larger messages. `ws` takes one maxPayload per server, but its
 * receiver reads the (private) limit at every frame, so raising it on this socket's receiver works.
 * If a `ws` release renames it, the socket keeps the stricter limit: safe, and the test notices.
 */
function raisePayloadLimit(webSocket: unknown, bytes: number): void {
  const receiver = (webSocket as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number' && receiver._maxPayload < bytes)
    receiver._maxPayload = bytes;
}

export function connectionLimits(storage: Storage, options: ConnectionLimitOptions, refusals: RefusalLog) {
  const waiting = new UnauthenticatedSockets({
    deadlineMs: options.authDeadlineMs,
    perAddress: options.unauthenticatedSocketsPerAddress,
    overall: options.unauthenticatedSockets,
  });
  const userSockets = new UserSockets(options.socketsPerUser);
  const openDocs = new ConnectionDocuments(options.documentsPerConnection);
  const quota = new UserQuota(storage, options);
  const memory = new LoadedMemory(options.loadedMemoryPerUser ?? MAX_LOADED_MEMORY_PER_USER);
  const clientAddress = clientAddressOf(options.trustedProxies ?? []);
  const refusedChanges = new PrincipalBudget(
    options.refusedChangesPerMinute ?? MAX_REFUSED_CHANGES_PER_MINUTE,
  );

  let sweep: ReturnType<typeof setInterval> | undefined;

  const extension: Extension = {
    extensionName: 'openviber-connection-limits',
    async onConfigure({ instance }) {
      // Awareness records of departed clients, in every loaded document (awareness-guard.ts).
      sweep = setInterval(() => {
        for (const document of instance.documents.values()) pruneAwarenessRecords(document.awareness);
      }, AWARENESS_RECORD_TTL_MS / 5);
      sweep.unref();
    },
    async onUpgrade({ request, socket }) {
      const address = clientAddress(request);
      const id = tagSocket(request, address);
      const refusal = waiting.admit(id, address, socket);
      if (refusal) {
        refuseSocket(socket, refusal, waiting.retryAfterSeconds);
        refusals.refused(address, refusal.message);
        // A falsy throw stops Hocuspocus's upgrade handling without an unhandled error.
        throw null;
      }
      userSockets.track(id, socket);
      // Documents whose load failed (the store down) never get a Connection, so no onDisconnect
      // drops them: whatever the socket still has recorded goes with it.
      socket.once('close', () => openDocs.closeSocket(id));
    },
    async beforeHandleMessage({ connection, context, update, documentName, requestHeaders }) {
      const principal = (context as { principal?: AuthedPrincipal }).principal;
      if (connection.readOnly || !principal) return;
      try {
        // Only what can grow the document counts: a SyncStep1 or an empty update is a read.
        const grows = syncUpdateBytes(update);
        if (grows > EMPTY_UPDATE_BYTES) memory.admitUpdate(documentName, grows);
        await quota.admitBytes(principal.userId, update.byteLength);
      } catch (error) {
        if (!(error instanceof QuotaError)) throw error;
        // The change comes again at the client's next sync: a client that authenticates again at
        // once loops, each refusal a line Hocuspocus prints. Past the budget, the socket goes.
        if (!(await refusedChanges.within(principal))) {
          refusals.refused(
            socketAddressOf(requestHeaders),
            `refused changes over budget for ${principal.userId}`,
          );
          connection.webSocket.close(CLOSE_SYNC_BUDGET, 'too many refused changes; try again in a minute');
        }
        throw new RefusedChange(error);
      }
    },
    async afterUnloadDocument({ documentName, instance }) {
      memory.unloaded(documentName, instance.documents.get(documentName));
    },
    async beforeHandleAwareness(payload) {
      guardAwareness(payload);
    },
    async connected({ connection }) {
      raisePayloadLimit(connection.webSocket, MAX_WS_PAYLOAD_BYTES_AUTHENTICATED);
    },
    async onDisconnect({ socketId, documentName, requestHeaders }) {
      openDocs.close(socketIdOf(requestHeaders) ?? socketId, documentName);
    },
    async onDestroy() {
      clearInterval(sweep);
      refusals.close();
    },
  };

  return {
    /**
     * Hocuspocus Server options: `ws` closes larger frames with 1009; a socket queueing more than
     * MAX_PREAUTH_QUEUE_BYTES for documents still authenticating is closed; idle authenticated
     * sockets time out.
     */
    serverOptions: {
      websocketOptions: { maxPayload: MAX_WS_PAYLOAD_BYTES },
      maxUnauthenticatedQueueSize: MAX_PREAUTH_QUEUE_BYTES,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    },
    extension,
    /** Loaded documents' memory per user: the storage extension reports each load to it. */
    memory,
    /**
     * The storage quota as the API's document writes meet it (DocGateway.charged): the same
     * documents and bytes per user a websocket peer is held to.
     */
    apiQuota(exists: (documentName: string) => Promise<boolean>): GatewayQuota {
      const ownerOf = (name: string) => parseDocName(name)?.userId;
      return {
        admit: async (name) => {
          const userId = ownerOf(name);
          if (userId) await quota.admitDocument(userId, name, () => exists(name));
        },
        count: (name, bytes) => {
          const userId = ownerOf(name);
          if (userId) quota.countBytes(userId, bytes);
        },
      };
    },
    /** Throws a QuotaError (its reason reaches the client) when the socket or the user is over a limit. */
    async admit(a: Admission): Promise<void> {
      // A client that kept sending refused changes: its documents wait out the minute, refused here
      // (one rate-limited log line per address) rather than each change at its next sync.
      if (!a.readOnly && (await refusedChanges.spent(a.principal)))
        throw new QuotaError('too many refused changes from this client; try again in a minute');
      memory.admitOpen(a.documentName);
      if (!a.readOnly) await quota.admitDocument(a.principal.userId, a.documentName, a.exists);
      // Counted before the documents: a socket refused a document below stays counted until it closes
      // (at its auth deadline if nothing on it authenticated).
      const socket = socketIdOf(a.requestHeaders);
      if (socket && !userSockets.admit(socket, a.principal)) {
        const whose = a.principal.kind === 'viber' ? "this user's Vibers" : 'this user';
        throw new QuotaError(`too many connections for ${whose}: at most ${userSockets.max} at once`);
      }
      if (!openDocs.open(socket ?? a.socketId, a.documentName))
        throw new QuotaError(
          `too many documents open on this connection: at most ${options.documentsPerConnection}`,
        );
      if (socket) waiting.authenticated(socket);
    },
  };
}
