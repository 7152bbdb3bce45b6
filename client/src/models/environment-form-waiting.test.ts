// A secret saved before any Viber exists waits in this tab (never in IndexedDB) and is sealed, unasked,
// as soon as a Viber joins, unless the user has other unsaved changes; Add a Viber can find it.
import { computed, signal } from '@preact/signals';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  createEnvironment,
  listEnvironments,
  listVibers,
  patchEnvironment,
  upsertViber,
  type Environment,
  type ViberId,
} from '@openviber/shared';
import { generateKeyPair } from '@openviber/shared/crypto';
import { createDraftStore } from './draft-store.ts';
import { createEnvironmentForm, draftsWaitingForViber, environmentDraftId } from './environment-form.ts';

const VALUE = 'a-long-deploy-key-value';

/** A workspace with an environment saved (by the form) while no Viber existed, and its drafts. */
async function savedWithoutViber() {
  const doc = new Y.Doc();
  const version = signal(0);
  doc.on('update', () => version.value++);
  const environments = computed(() => (version.value, listEnvironments(doc)));
  const ws = {
    vibers: computed(() => (version.value, listVibers(doc))),
    environments,
    createEnvironment: (input: Parameters<typeof createEnvironment>[1]) => createEnvironment(doc, input),
    patchEnvironment: (id: string, patch: Parameters<typeof patchEnvironment>[2]) =>
      patchEnvironment(doc, id, patch),
  };
  const draftsDoc = new Y.Doc();
  const drafts = createDraftStore(draftsDoc);
  const form = createEnvironmentForm(ws, undefined, drafts);
  form.set('name', 'api');
  form.set('type', 'manual');
  form.addSecret();
  form.updateSecret(form.secrets.value[0].rowId, { key: 'DEPLOY_KEY', value: VALUE });
  const id = (await form.save())!;
  form.dispose();
  const env = (): Environment => environments.value.find((e) => e.id === id)!;
  const addViber = async () => {
    const keys = await generateKeyPair();
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: keys.publicKey, createdAt: 1 });
  };
  return { ws, drafts, draftsDoc, id, env, addViber, environments };
}

describe('secrets waiting for a Viber', () => {
  it('are listed for Add a Viber, sealed unasked once a Viber exists, and never stored in plaintext', async () => {
    const { ws, drafts, draftsDoc, id, env, addViber, environments } = await savedWithoutViber();
    expect(draftsWaitingForViber(drafts, environments.value)).toEqual([
      { envId: id, name: 'api', secrets: ['DEPLOY_KEY'] },
    ]);
    // The draft document (what IndexedDB stores) names the secret but never holds its value.
    const stored = new TextDecoder().decode(Y.encodeStateAsUpdate(draftsDoc));
    expect(stored).toContain('DEPLOY_KEY');
    expect(stored).not.toContain(VALUE);

    const editor = createEnvironmentForm(ws, env(), drafts);
    expect(editor.waiting.value.map((s) => s.key)).toEqual(['DEPLOY_KEY']);
    expect(await editor.sealWaiting()).toEqual([]); // no Viber yet
    await addViber();
    expect(await editor.sealWaiting()).toEqual(['DEPLOY_KEY']);
    expect(Object.keys(env().secrets.DEPLOY_KEY.sealed)).toEqual(['vb_1']);
    expect(editor.secrets.value).toMatchObject([{ key: 'DEPLOY_KEY', action: 'keep', value: '' }]);
    expect(drafts.get(environmentDraftId(id))).toBeUndefined();
    expect(draftsWaitingForViber(drafts, environments.value)).toEqual([]);
    editor.dispose();
  });

  it('wait for the user’s own Save when anything else is unsaved, or once the secret is edited', async () => {
    const { ws, drafts, env, addViber } = await savedWithoutViber();
    await addViber();
    const editor = createEnvironmentForm(ws, env(), drafts);
    editor.set('description', 'typed, not saved');
    expect(await editor.sealWaiting()).toEqual([]);
    expect(env().secrets).toEqual({});
    expect(env().description).toBe('');
    editor.set('description', '');
    editor.updateSecret(editor.secrets.value[0].rowId, { value: `${VALUE}-2` });
    expect(editor.waiting.value).toEqual([]);
    expect(await editor.sealWaiting()).toEqual([]);
    expect(env().secrets).toEqual({});
    editor.dispose();
  });
});
