// [S12] An old Viber meets documents of a newer app, and a new Viber meets documents written before
// schema versions existed: real server, real daemon process, a user's peer playing the app.
import { describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  documentMetaMap,
  documentSchemaVersion,
  getRun,
  readHealth,
  readObservation,
  runOutputDocName,
  stampDocument,
  viberDocName,
  workspaceDocName,
} from '@openviber/shared';
import { scenario } from '../test/scenario.ts';
import { useServer } from '../test/test-server.ts';
import { waitFor } from '../test/wait-for.ts';

const NEWER = SCHEMA_VERSION + 1;

describe('[S12] document schema versions between the app and a Viber', async () => {
  const server = await useServer();

  it('a Viber meeting a newer workspace publishes needsUpdate and neither prepares nor runs from it', async () => {
    const s = await scenario(server);
    const { userId } = s.user;
    const viberId = s.viber.config.viberId;
    const workspace = await s.peer.doc(workspaceDocName(userId));
    stampDocument(workspace, 'app 99.0.0', NEWER);
    const { envId, bindingId } = await s.environment({ type: 'manual' });
    const taskId = await s.task(envId);
    const messageId = await s.send(taskId, 'echo should-not-run');

    const viberDoc = await s.peer.doc(viberDocName(userId, viberId));
    await waitFor(() => readHealth(viberDoc)?.needsUpdate === NEWER, { what: 'needsUpdate in the health' });
    await waitFor(() => s.viber.output().includes(`uses document schema ${NEWER} (written by app 99.0.0)`), {
      what: 'the log line',
    });
    // It read the workspace (the binding is there) but acted on nothing.
    expect(readObservation(viberDoc, bindingId)).toBeUndefined();
    expect(getRun(await s.peer.doc(runOutputDocName(userId, viberId, taskId)), messageId)).toBeNull();
    // Its own document carries its own (older) stamp; the workspace keeps the newer one.
    expect(documentSchemaVersion(viberDoc)).toBe(SCHEMA_VERSION);
    expect(documentMetaMap(viberDoc).get('writtenBy')).toMatch(/^viber /);
    expect(documentSchemaVersion(workspace)).toBe(NEWER);
    await s.viber.stop();
  });

  it('a Viber reads documents written before versions existed as version 1 and acts on them', async () => {
    const s = await scenario(server);
    const { userId } = s.user;
    const workspace = await s.peer.doc(workspaceDocName(userId));
    // What an older app and server wrote: no schema map at all (the API stamps with this version).
    documentMetaMap(workspace).clear();
    const { bindingId } = await s.environment({ type: 'manual' });
    expect(await s.prepared(bindingId)).toMatchObject({ state: 'ready' });
    const viberDoc = await s.peer.doc(viberDocName(userId, s.viber.config.viberId));
    expect(readHealth(viberDoc)?.needsUpdate).toBe(0);
    expect(documentSchemaVersion(viberDoc)).toBe(SCHEMA_VERSION);
    await s.viber.stop();
  });
});
