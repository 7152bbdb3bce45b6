// The draft of the environment editor: validated with the shared schemas, sealed in the browser, written as a patch.
import { batch, computed, effect, signal } from '@preact/signals';
import {
  ENVIRONMENT_DEFAULTS,
  MIN_SECRET_LENGTH,
  MAX_SECRET_LENGTH,
  SecretScope,
  envKeySchema,
  environmentCreateSchema,
  validate,
  type Environment,
  type EnvironmentFields,
  type EnvironmentPatch,
  type SealedSecretInput,
  type ViberRecord,
} from '@openviber/shared';
import { sealToVibers } from '../lib/seal.ts';
import type { DraftStore } from './draft-store.ts';
import type { WorkspaceModel } from './workspace-model.ts';

/** What the form needs of the workspace. */
export type FormWorkspace = Pick<
  WorkspaceModel,
  'vibers' | 'environments' | 'createEnvironment' | 'patchEnvironment'
>;

/**
 * Signs a save ([T10]): `before` and `after` are the stored environment just before and just after
 * the write (no `before`: the user created it). The signer signs `after`'s spec only if `before` stood
 * signed, so fields the user did not touch are ones the user already signed; and the ciphertexts this
 * save sealed (`ownCopies`).
 */
export type SaveSigner = (
  before: Environment | undefined,
  after: Environment,
  ownCopies: Record<string, Record<string, string>>,
) => Promise<unknown>;

/**
 * Which of the registered Vibers a new secret value may be sealed to ([T11]): only those whose
 * registry key is the one this device confirmed (recorded on first use); `keyChanged` get nothing.
 */
export type SealTargets = (
  vibers: ViberRecord[],
) => Promise<{ seal: ViberRecord[]; keyChanged: ViberRecord[] }>;

/** Without a check (tests of other behaviour only): every registry key. The app always passes one. */
const everyRegistryKey: SealTargets = (vibers) => Promise.resolve({ seal: vibers, keyChanged: [] });

/** A stored draft: everything but secret values (those stay in memory, see DraftStore). */
interface EnvironmentDraft {
  baseline: FieldValues;
  baseVars: Record<string, string>;
  fields: FieldValues;
  vars: VarRow[];
  secrets: Omit<SecretRow, 'value'>[];
}

/** The draft id of an environment's editor (`env:new` for Create). */
export const environmentDraftId = (envId: string | undefined) => `env:${envId ?? 'new'}`;

export type FieldValues = EnvironmentFields;

export interface VarRow {
  rowId: number;
  key: string;
  value: string;
  /** The key it had when the editor opened; '' for a new row. */
  originalKey: string;
}

export interface SecretRow {
  rowId: number;
  key: string;
  /** 'keep' an existing value, 'replace' it with `value`, 'delete' it, or a 'new' secret. */
  action: 'keep' | 'replace' | 'delete' | 'new';
  value: string;
  scope: SecretScope;
  /** For existing secrets: the Vibers holding a copy. */
  sealedFor: string[];
  /** Saved with no Viber to encrypt it to: kept back (its value in memory only) until one exists. */
  held?: boolean;
  /** Vibers the last save did not seal it for because their key changed ([T11]): ids and names. */
  notSealedFor?: { id: string; name: string }[];
}

const FIELD_KEYS = ['name', ...Object.keys(ENVIRONMENT_DEFAULTS), 'type'] as (keyof FieldValues)[];
let nextRow = 1;

function fieldsOf(env: Environment | undefined): FieldValues {
  if (!env) return { ...ENVIRONMENT_DEFAULTS, name: '', type: 'github', repoUrl: '' } as FieldValues;
  const out = {} as Record<string, unknown>;
  for (const k of FIELD_KEYS) out[k] = env[k];
  return out as FieldValues;
}

/**
 * Creates the editor's draft from `env` (undefined for a new environment), restoring the unsaved draft
 * kept in `drafts` if there is one; every change is kept there until saved or discarded.
 */
export function createEnvironmentForm(
  workspace: FormWorkspace,
  env: Environment | undefined,
  drafts?: DraftStore,
  /** Signs what may be signed of a save ([T10]); unsigned without it. */
  sign?: SaveSigner,
  /** Which Vibers new secret values are sealed to ([T11]): only keys this device confirmed. */
  sealTargets: SealTargets = everyRegistryKey,
) {
  let draftId = environmentDraftId(env?.id);
  const stored = drafts?.get<EnvironmentDraft>(draftId);
  /** What the fields were when the editor opened or last saved: a save writes only what differs from it. */
  const baseline = signal<FieldValues>(stored?.baseline ?? fieldsOf(env));
  let baseVars: Record<string, string> = stored?.baseVars ?? { ...(env?.vars ?? {}) };
  const fields = signal<FieldValues>(stored ? { ...stored.fields } : { ...baseline.value });
  const vars = signal<VarRow[]>(
    stored?.vars ??
      Object.entries(env?.vars ?? {}).map(([key, value]) => ({
        rowId: nextRow++,
        key,
        value,
        originalKey: key,
      })),
  );
  const secrets = signal<SecretRow[]>(
    stored?.secrets.map((row) => ({ ...row, value: drafts?.secretValue(draftId, row.rowId) ?? '' })) ??
      Object.entries(env?.secrets ?? {}).map(([key, s]) => ({
        rowId: nextRow++,
        key,
        action: 'keep',
        value: '',
        scope: s.scope,
        sealedFor: Object.keys(s.sealed),
      })),
  );
  // Restored rows keep their ids (secret values are found by them): new rows number after them.
  for (const r of [...vars.value, ...secrets.value]) nextRow = Math.max(nextRow, r.rowId + 1);
  const errors = signal<Record<string, string>>({});
  const saving = signal(false);
  /** Why the last Save failed, naming the step ('' when it did not). */
  const saveError = signal('');
  const savedAt = signal(0);
  /** New secret values kept back at the last save because no Viber exists to encrypt them to. */
  const heldSecrets = signal(0);

  /** Secrets the user saved before any Viber existed, whose values this tab still holds. */
  const waiting = computed(() => secrets.value.filter(isWaiting));
  /** Unsaved changes besides the waiting secrets. */
  const otherChanges = computed(
    () =>
      FIELD_KEYS.some((k) => fields.value[k] !== baseline.value[k]) ||
      vars.value.some((v) => v.key !== v.originalKey || v.value !== baseVars[v.originalKey]) ||
      vars.value.length !== Object.keys(baseVars).length ||
      secrets.value.some((s) => s.action !== 'keep' && !isWaiting(s)),
  );
  const dirty = computed(() => otherChanges.value || waiting.value.length > 0);

  // Every change is kept in the local draft store until it is saved or discarded.
  const stopDraft = effect(() => {
    if (!drafts) return;
    if (!dirty.value) return drafts.discard(draftId);
    const draft: EnvironmentDraft = {
      baseline: baseline.value,
      baseVars,
      fields: fields.value,
      vars: vars.value,
      secrets: secrets.value.map(({ value, ...row }) => {
        drafts.setSecretValue(draftId, row.rowId, value);
        return row;
      }),
    };
    drafts.put(draftId, draft);
  });

  const set = <K extends keyof FieldValues>(key: K, value: FieldValues[K]) => {
    fields.value = { ...fields.value, [key]: value };
    if (errors.value[key]) errors.value = { ...errors.value, [key]: '' };
  };

  /** Checks one field now (on leaving it), so a bad URL is named before Save. */
  function checkField(key: keyof FieldValues): void {
    const message = check()[key] ?? '';
    if ((errors.value[key] ?? '') !== message) errors.value = { ...errors.value, [key]: message };
  }

  function check(): Record<string, string> {
    const found: Record<string, string> = {};
    const parsed = validate(environmentCreateSchema, { ...fields.value, vars: {}, secrets: {} });
    if (!parsed.ok)
      for (const issue of parsed.error.issues)
        found[issue.field || 'name'] ??= fieldMessage(issue.field || 'name', issue.message);
    const seen = new Set<string>();
    for (const row of vars.value) {
      const keyCheck = envKeySchema.safeParse(row.key);
      if (!keyCheck.success)
        found[`var:${row.rowId}`] = row.key
          ? 'Letters, digits and _, not starting with a digit'
          : 'Name is required';
      else if (seen.has(row.key)) found[`var:${row.rowId}`] = 'This name is used twice';
      seen.add(row.key);
    }
    const secretKeys = new Set<string>();
    for (const row of secrets.value) {
      if (row.action === 'delete') continue;
      if (!envKeySchema.safeParse(row.key).success)
        found[`secret:${row.rowId}:key`] = row.key
          ? 'Letters, digits and _, not starting with a digit'
          : 'Name is required';
      else if (secretKeys.has(row.key) || seen.has(row.key))
        found[`secret:${row.rowId}:key`] = 'This name is already a variable or secret';
      secretKeys.add(row.key);
      if (row.action === 'new' || row.action === 'replace') {
        // [X8] short values cannot be redacted from output without mangling it.
        if (row.value.length < MIN_SECRET_LENGTH)
          found[`secret:${row.rowId}:value`] =
            `At least ${MIN_SECRET_LENGTH} characters: shorter secrets cannot be hidden from logs safely`;
        else if (row.value.length > MAX_SECRET_LENGTH)
          found[`secret:${row.rowId}:value`] = `At most ${MAX_SECRET_LENGTH} characters`;
      }
    }
    return found;
  }

  /**
   * Validates, seals new secret values to every registered Viber whose key this device confirmed
   * ([T11]), and writes; returns the environment id or null. A Viber whose registry key changed gets
   * no ciphertext (the row says so). With no Viber to seal to, new secret values cannot be sealed:
   * everything else is saved and they stay in the draft (`heldSecrets`) until one exists and the user
   * saves again.
   */
  async function save(): Promise<string | null> {
    const found = check();
    errors.value = found;
    if (Object.values(found).some(Boolean)) return null;
    saving.value = true;
    saveError.value = '';
    // Which step a failure stopped at, for a message that names it (nothing else tells the user).
    let step: 'keys' | 'encrypt' | 'write' | 'sign' = 'keys';
    try {
      const targets = await sealTargets(workspace.vibers.value);
      step = 'encrypt';
      const vibers: ViberRecord[] = targets.seal;
      const notSealedFor = targets.keyChanged.map((v) => ({ id: v.id, name: v.name }));
      const sealedSecrets: Record<string, SealedSecretInput | null> = {};
      const held = vibers.length
        ? []
        : secrets.value.filter((r) => r.action === 'new' || r.action === 'replace');
      for (const row of secrets.value) {
        if (row.action === 'delete') sealedSecrets[row.key] = null;
        if ((row.action === 'new' || row.action === 'replace') && vibers.length) {
          sealedSecrets[row.key] = { sealed: await sealToVibers(row.value, vibers), scope: row.scope };
        }
      }
      const newVars: Record<string, string | null> = {};
      for (const row of vars.value)
        if (row.originalKey && row.originalKey !== row.key) newVars[row.originalKey] = null;
      for (const key of Object.keys(baseVars))
        if (!vars.value.some((r) => r.originalKey === key)) newVars[key] = null;
      for (const row of vars.value)
        if (baseVars[row.key] !== row.value || row.originalKey !== row.key) newVars[row.key] = row.value;

      step = 'write';
      const stored = (envId: string) => workspace.environments.value.find((e) => e.id === envId);
      let id: string;
      // The stored environment right before the write, read in the same tick as the write (nothing
      // awaits in between, so no remote edit can come between the two): what the signer builds on.
      let before: Environment | undefined;
      if (!env) {
        const parsed = validate(environmentCreateSchema, {
          ...fields.value,
          vars: Object.fromEntries(Object.entries(newVars).filter(([, v]) => v !== null)),
          secrets: Object.fromEntries(Object.entries(sealedSecrets).filter(([, v]) => v !== null)),
        });
        if (!parsed.ok) {
          errors.value = Object.fromEntries(
            parsed.error.issues.map((i) => [i.field, fieldMessage(i.field, i.message)]),
          );
          return null;
        }
        id = workspace.createEnvironment(parsed.value);
        // The editor of the new environment picks up what is still unsaved (held secrets).
        drafts?.discard(draftId);
        draftId = environmentDraftId(id);
      } else {
        // Only what changed in this editor: another device's edit of another field survives.
        const patch: EnvironmentPatch = {};
        for (const k of FIELD_KEYS)
          if (fields.value[k] !== baseline.value[k]) (patch as Record<string, unknown>)[k] = fields.value[k];
        if (Object.keys(newVars).length) patch.vars = newVars;
        if (Object.keys(sealedSecrets).length) patch.secrets = sealedSecrets;
        before = stored(env.id);
        workspace.patchEnvironment(env.id, patch);
        id = env.id;
      }
      const after = stored(id);
      const ownCopies: Record<string, Record<string, string>> = {};
      for (const [k, v] of Object.entries(sealedSecrets)) if (v) ownCopies[k] = v.sealed;
      step = 'sign';
      if (after && (before || !env)) await sign?.(before, after, ownCopies);
      // One batch, as rebase: the draft effect must not see a half-updated editor.
      batch(() => {
        baseline.value = { ...fields.value };
        baseVars = Object.fromEntries(vars.value.map((r) => [r.key, r.value]));
        vars.value = vars.value.map((r) => ({ ...r, originalKey: r.key }));
        // The plaintext goes as soon as it is sealed: rows become masked entries.
        secrets.value = secrets.value
          .filter((s) => s.action !== 'delete')
          .map((s) =>
            held.includes(s)
              ? { ...s, held: true, notSealedFor }
              : s.action === 'keep'
                ? s
                : {
                    ...s,
                    action: 'keep',
                    value: '',
                    held: false,
                    sealedFor: vibers.map((v) => v.id),
                    notSealedFor,
                  },
          );
        heldSecrets.value = held.length;
        savedAt.value = Date.now();
      });
      return id;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      saveError.value = {
        keys: `Not saved: your Vibers' keys could not be checked (${why}). Try again, or reload the page.`,
        encrypt: `Not saved: the secrets could not be encrypted (${why}). Try again.`,
        write: `Not saved: ${why}`,
        sign: `Saved, but the change could not be signed (${why}): pinned Vibers wait for a signature. Save again to sign it.`,
      }[step];
      return null;
    } finally {
      saving.value = false;
    }
  }

  /**
   * Finishes a save that had to keep secrets back: once a Viber exists, seals and saves the waiting
   * secrets, if they are the only unsaved change (anything else waits for the user's own Save).
   * Returns the names sealed, or [] when there was nothing to do.
   */
  async function sealWaiting(): Promise<string[]> {
    if (!env || saving.value || !workspace.vibers.value.length) return [];
    const keys = waiting.value.map((s) => s.key);
    if (!keys.length || otherChanges.value) return [];
    return (await save()) ? keys : [];
  }

  /**
   * Another device changed the environment: fields this editor has not touched follow it live. One
   * batch: between a new baseline and the fields that follow it the editor looked dirty, and the
   * draft effect wrote (then deleted) a draft of the old values on every remote edit.
   */
  function rebase(next: Environment): void {
    batch(() => rebaseNow(next));
  }
  function rebaseNow(next: Environment): void {
    const incoming = fieldsOf(next);
    const merged = { ...fields.value };
    for (const k of FIELD_KEYS)
      if (fields.value[k] === baseline.value[k]) (merged as Record<string, unknown>)[k] = incoming[k];
    baseline.value = incoming;
    fields.value = merged;
    vars.value = mergeVars(vars.value, baseVars, next.vars, () => nextRow++);
    baseVars = { ...next.vars };
    const pendingSecrets = secrets.value.filter((s) => s.action !== 'keep');
    const touched = new Set(pendingSecrets.map((s) => s.key));
    secrets.value = [
      ...Object.entries(next.secrets)
        .filter(([key]) => !touched.has(key))
        .map(([key, st]): SecretRow => ({
          rowId: nextRow++,
          key,
          action: 'keep',
          value: '',
          scope: st.scope,
          sealedFor: Object.keys(st.sealed),
        })),
      ...pendingSecrets,
    ];
  }

  /** Drops every unsaved change: back to the environment as stored. */
  function discard(): void {
    drafts?.discard(draftId);
    const fresh = createEnvironmentForm(workspace, env);
    batch(() => {
      baseline.value = fresh.baseline.value;
      fields.value = fresh.fields.value;
      baseVars = { ...(env?.vars ?? {}) };
      vars.value = fresh.vars.value;
      secrets.value = fresh.secrets.value;
      errors.value = {};
      heldSecrets.value = 0;
    });
    fresh.dispose();
  }

  return {
    isNew: !env,
    rebase,
    waiting,
    sealWaiting,
    baseline,
    heldSecrets,
    checkField,
    discard,
    dispose: stopDraft,
    fields,
    vars,
    secrets,
    errors,
    saving,
    saveError,
    savedAt,
    dirty,
    set,
    addVar: () => (vars.value = [...vars.value, { rowId: nextRow++, key: '', value: '', originalKey: '' }]),
    updateVar: (rowId: number, patch: Partial<VarRow>) =>
      (vars.value = vars.value.map((r) => (r.rowId === rowId ? { ...r, ...patch } : r))),
    removeVar: (rowId: number) => (vars.value = vars.value.filter((r) => r.rowId !== rowId)),
    addSecret: () =>
      (secrets.value = [
        ...secrets.value,
        { rowId: nextRow++, key: '', action: 'new', value: '', scope: SecretScope.runtime, sealedFor: [] },
      ]),
    updateSecret: (rowId: number, patch: Partial<SecretRow>) => {
      // An edited row is an ordinary unsaved change again: only what the user saved is sealed unasked.
      const edited = 'value' in patch || 'key' in patch;
      secrets.value = secrets.value.map((r) =>
        r.rowId === rowId ? { ...r, ...patch, ...(edited ? { held: false } : {}) } : r,
      );
      const e = { ...errors.value };
      delete e[`secret:${rowId}:value`];
      delete e[`secret:${rowId}:key`];
      errors.value = e;
    },
    removeSecretRow: (rowId: number) => (secrets.value = secrets.value.filter((r) => r.rowId !== rowId)),
    save,
  };
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  repoUrl: 'The repository URL',
  localPath: 'The local path',
  repoBranch: 'The branch',
  workingDir: 'The working directory',
  containerImage: 'The image',
  agentCommand: 'The agent command',
};

/** A schema message in plain words for the field it sits under: no internal names (github, local). */
function fieldMessage(field: string, message: string): string {
  if (/^is required/.test(message)) return `${FIELD_LABELS[field] ?? 'This field'} is required.`;
  return `${FIELD_LABELS[field] ?? 'It'} ${message}`.replace(/\.?$/, '.');
}

/** A held secret this tab can still seal (its value is in memory). */
function isWaiting(row: SecretRow): boolean {
  return Boolean(row.held && row.value && (row.action === 'new' || row.action === 'replace'));
}

/** An editor draft holding secret values that no Viber could be sealed to yet. */
export interface DraftWaitingForViber {
  /** The environment, or null for the Create draft. */
  envId: string | null;
  name: string;
  secrets: string[];
}

/**
 * Every editor draft in `drafts` whose secret values (typed before any Viber existed, held in this
 * tab's memory) still need sealing: where Add a Viber leads next, before mapping.
 */
export function draftsWaitingForViber(
  drafts: DraftStore,
  environments: readonly Environment[],
): DraftWaitingForViber[] {
  const out: DraftWaitingForViber[] = [];
  for (const id of drafts.ids()) {
    if (!id.startsWith('env:')) continue;
    const draft = drafts.get<EnvironmentDraft>(id);
    const envId = id === environmentDraftId(undefined) ? null : id.slice('env:'.length);
    const secretNames = (draft?.secrets ?? [])
      .filter((r) => (r.action === 'new' || r.action === 'replace') && drafts.secretValue(id, r.rowId))
      .map((r) => r.key || 'a secret');
    if (!draft || !secretNames.length) continue;
    if (envId && !environments.some((e) => e.id === envId)) continue;
    const name =
      environments.find((e) => e.id === envId)?.name ?? (draft.fields.name || 'the new environment');
    out.push({ envId, name, secrets: secretNames });
  }
  return out;
}

export type EnvironmentForm = ReturnType<typeof createEnvironmentForm>;

/**
 * Variables merged key by key when another device changed the environment: a row this editor has
 * not touched follows the incoming value (or goes, if the key was deleted there); a row it touched
 * (new, renamed, edited) stays as typed; a key added there gets a row; a key this editor deleted
 * stays deleted. All or nothing used to lose both ways: one touched row kept every row as it was,
 * so Save deleted keys the other device had added and wrote back values it had changed.
 */
export function mergeVars(
  rows: VarRow[],
  base: Record<string, string>,
  incoming: Record<string, string>,
  newRowId: () => number,
): VarRow[] {
  const merged: VarRow[] = [];
  for (const row of rows) {
    const untouched =
      row.originalKey !== '' && row.key === row.originalKey && row.value === base[row.originalKey];
    if (!untouched) merged.push(row);
    else if (Object.hasOwn(incoming, row.key)) merged.push({ ...row, value: incoming[row.key] });
  }
  const shown = new Set(rows.map((r) => r.originalKey).filter(Boolean));
  for (const [key, value] of Object.entries(incoming))
    if (!shown.has(key) && !Object.hasOwn(base, key))
      merged.push({ rowId: newRowId(), key, value, originalKey: key });
  return merged;
}

/**
 * The environment was deleted (on another device) while this device held unsaved changes to it:
 * moves them to the Create form's draft — fields, variables, and secrets typed in this tab with their
 * values — so nothing typed is lost. Secrets that were already saved cannot come along (their values
 * are only on the Vibers). False when there was no draft.
 */
export function recreateFromDraft(drafts: DraftStore, envId: string): boolean {
  const from = environmentDraftId(envId);
  const to = environmentDraftId(undefined);
  const old = drafts.get<EnvironmentDraft>(from);
  if (!old) return false;
  const secrets = old.secrets
    .filter((s) => s.action === 'new' || s.action === 'replace')
    .map((s) => ({ ...s, action: 'new' as const, sealedFor: [], held: false, notSealedFor: [] }));
  for (const s of secrets) drafts.setSecretValue(to, s.rowId, drafts.secretValue(from, s.rowId));
  const draft: EnvironmentDraft = {
    baseline: fieldsOf(undefined),
    baseVars: {},
    fields: old.fields,
    vars: old.vars.map((v) => ({ ...v, originalKey: '' })),
    secrets,
  };
  drafts.put(to, draft);
  drafts.discard(from);
  return true;
}
