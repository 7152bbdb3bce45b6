// Everything a signed-in session needs, created once per session and disposed on sign-out.
import { workspaceDocName } from '@openviber/shared';
import { SYNC_PATH } from '@openviber/shared/protocol';
import { createDocStore } from '../sync/doc-store.ts';
import type { Session, SessionModel } from './session-model.ts';
import { createVibersModel } from './vibers-model.ts';
import { createWorkspaceModel } from './workspace-model.ts';
import { startResealCopier } from './reseal-model.ts';
import { createUiModel } from './ui-model.ts';
import * as Y from 'yjs';
import { signal } from '@preact/signals';
import { createLimitRefusals } from './limit-refusals.ts';
import { persistLocally } from '../sync/local-persistence.ts';
import { createDraftStore, draftsDocName } from './draft-store.ts';
import { createConfirmModel } from './confirm-model.ts';
import type { Router } from './router.ts';
import { createSigningModel } from './signing-model.ts';
import { createDeviceApproval } from './device-approval.ts';
import { createMessageOutbox } from './message-outbox.ts';
import { docVersion } from './doc-version.ts';

export function createAppModel(session: Session, sessionModel: SessionModel, router: Router) {
  /** Documents a server limit refuses to this device now, with the limits' reasons. */
  const refusals = createLimitRefusals();
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SYNC_PATH}`;
  const store = createDocStore({
    url: wsUrl,
    token: session.token,
    userId: session.user.id,
    // Only the workspace tells: it is always allowed to its owner, so its refusal means the session
    // ended. A limit's refusal names the limit instead ([S11], [S11a], [S16]): shown, not a sign-out.
    onRefused: (docName, reason) => {
      if (reason !== 'permission-denied') refusals.refused(docName, reason);
      else if (docName === workspaceDocName(session.user.id)) sessionModel.markExpired();
    },
    // The store tries a refused document again by itself: once it syncs, the notice goes.
    onRecovered: refusals.recovered,
  });
  const userId = session.user.id;
  const workspace = createWorkspaceModel(store, userId);
  const vibers = createVibersModel(store, userId, workspace.vibers);
  const ui = createUiModel(userId, workspace.environments);
  // Drafts live in a local-only document: IndexedDB, never given to the sync socket.
  const draftsDoc = new Y.Doc();
  const draftsLocal = persistLocally(draftsDocName(userId), draftsDoc);
  const drafts = createDraftStore(draftsDoc);
  const draftsReady = signal(false);
  void draftsLocal.loaded.then(() => (draftsReady.value = true));
  const confirm = createConfirmModel();
  // The user's signing key on this device ([T2]); libsodium loads when it starts, after first paint.
  const signing = createSigningModel({ userId, token: session.token, workspace: workspace.doc });
  const stopReseal = startResealCopier(workspace, vibers.views);
  const [workspaceVersion, stopWorkspaceVersion] = docVersion(workspace.doc);
  const devices = createDeviceApproval(workspace.doc, signing, workspaceVersion);
  // Sent messages are kept from the keypress until they are on disk; what a closed page left is written now.
  const outbox = createMessageOutbox({
    storage: localStorage,
    userId,
    open: store.open,
    write: (doc, entry) => signing.sendMessage(doc, entry),
    written: async (entry) => {
      // The task's row may have died with the page that created it (written in memory, not yet in
      // IndexedDB, while the message was kept): listed again under its id.
      await workspace.ensureTaskListed(entry);
      // [V3] Bumped again once the message is in its document: a Viber that looked at the task
      // while it was being signed (or before the page went away) recorded it idle, and opens it
      // again only for a newer updatedAt.
      workspace.touchTask(entry.taskId);
    },
  });
  void outbox.resume();
  return {
    session,
    sessionModel,
    router,
    store,
    workspace,
    vibers,
    ui,
    userId,
    drafts,
    draftsReady,
    confirm,
    signing,
    outbox,
    devices,
    /** Each refused document's limit, by name. */
    refusals: refusals.byDoc,
    /** The latest refusal in force (the notice shows it). */
    refusal: refusals.latest,
    dispose() {
      devices.dispose();
      signing.dispose();
      stopWorkspaceVersion();
      void draftsLocal.destroy();
      draftsDoc.destroy();
      stopReseal();
      ui.dispose();
      vibers.dispose();
      workspace.dispose();
      store.destroy();
    },
  };
}

export type AppModel = ReturnType<typeof createAppModel>;
