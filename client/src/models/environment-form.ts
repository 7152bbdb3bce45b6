// The draft of the environment editor: validated with the shared schemas, sealed in the browser, written as a patch.
import { computed, signal } from '@preact/signals';
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
import type { WorkspaceModel } from './workspace-model.ts';

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
}

const FIELD_KEYS = ['name', ...Object.keys(ENVIRONMENT_DEFAULTS), 'type'] as (keyof FieldValues)[];
let nextRow = 1;

function fieldsOf(env: Environment | undefined): FieldValues {
  if (!env) return { ...ENVIRONMENT_DEFAULTS, name: '', type: 'github' } as FieldValues;
  const out = {} as Record<string, unknown>;
  for (const k of FIELD_KEYS) out[k] = env[k];
  return out as FieldValues;
}

/** Creates the editor's draft from `env` (undefined for a new environment). */
export function createEnvironmentForm(workspace: WorkspaceModel, env: Environment | undefined) {
  /** What the fields were when the editor opened or last saved: a save writes only what differs from it. */
  const baseline = signal<FieldValues>(fieldsOf(env));
  let baseVars: Record<string, string> = { ...(env?.vars ?? {}) };
  const fields = signal<FieldValues>({ ...baseline.value });
  const vars = signal<VarRow[]>(
    Object.entries(env?.vars ?? {}).map(([key, value]) => ({
      rowId: nextRow++,
      key,
      value,
      originalKey: key,
    })),
  );
  const secrets = signal<SecretRow[]>(
    Object.entries(env?.secrets ?? {}).map(([key, s]) => ({
      rowId: nextRow++,
      key,
      action: 'keep',
      value: '',
      scope: s.scope,
      sealedFor: Object.keys(s.sealed),
    })),
  );
  const errors = signal<Record<string, string>>({});
  const saving = signal(false);
  const savedAt = signal(0);

  const dirty = computed(
    () =>
      FIELD_KEYS.some((k) => fields.value[k] !== baseline.value[k]) ||
      vars.value.some((v) => v.key !== v.originalKey || v.value !== baseVars[v.originalKey]) ||
      vars.value.length !== Object.keys(baseVars).length ||
      secrets.value.some((s) => s.action !== 'keep'),
  );

  const set = <K extends keyof FieldValues>(key: K, value: FieldValues[K]) => {
    fields.value = { ...fields.value, [key]: value };
    if (errors.value[key]) errors.value = { ...errors.value, [key]: '' };
  };

  function check(vibers: ViberRecord[]): Record<string, string> {
    const found: Record<string, string> = {};
    const parsed = validate(environmentCreateSchema, { ...fields.value, vars: {}, secrets: {} });
    if (!parsed.ok)
      for (const issue of parsed.error.issues) found[issue.field || 'name'] ??= capitalize(issue.message);
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
        else if (!vibers.length)
          found[`secret:${row.rowId}:value`] =
            'Add a Viber first: secrets are encrypted to your Vibers’ keys before they leave this browser';
      }
    }
    return found;
  }

  /** Validates, seals new secret values to every registered Viber, and writes; returns the environment id or null. */
  async function save(): Promise<string | null> {
    const vibers = workspace.vibers.value;
    const found = check(vibers);
    errors.value = found;
    if (Object.values(found).some(Boolean)) return null;
    saving.value = true;
    try {
      const sealedSecrets: Record<string, SealedSecretInput | null> = {};
      for (const row of secrets.value) {
        if (row.action === 'delete') sealedSecrets[row.key] = null;
        if (row.action === 'new' || row.action === 'replace') {
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

      let id: string;
      if (!env) {
        const parsed = validate(environmentCreateSchema, {
          ...fields.value,
          vars: Object.fromEntries(Object.entries(newVars).filter(([, v]) => v !== null)),
          secrets: Object.fromEntries(Object.entries(sealedSecrets).filter(([, v]) => v !== null)),
        });
        if (!parsed.ok) {
          errors.value = Object.fromEntries(parsed.error.issues.map((i) => [i.field, capitalize(i.message)]));
          return null;
        }
        id = workspace.createEnvironment(parsed.value);
      } else {
        // Only what changed in this editor: another device's edit of another field survives.
        const patch: EnvironmentPatch = {};
        for (const k of FIELD_KEYS)
          if (fields.value[k] !== baseline.value[k]) (patch as Record<string, unknown>)[k] = fields.value[k];
        if (Object.keys(newVars).length) patch.vars = newVars;
        if (Object.keys(sealedSecrets).length) patch.secrets = sealedSecrets;
        workspace.patchEnvironment(env.id, patch);
        id = env.id;
      }
      baseline.value = { ...fields.value };
      baseVars = Object.fromEntries(vars.value.map((r) => [r.key, r.value]));
      vars.value = vars.value.map((r) => ({ ...r, originalKey: r.key }));
      // The plaintext goes as soon as it is sealed: rows become masked entries.
      secrets.value = secrets.value
        .filter((s) => s.action !== 'delete')
        .map((s) =>
          s.action === 'keep' ? s : { ...s, action: 'keep', value: '', sealedFor: vibers.map((v) => v.id) },
        );
      savedAt.value = Date.now();
      return id;
    } finally {
      saving.value = false;
    }
  }

  /** Another device changed the environment: fields this editor has not touched follow it live. */
  function rebase(next: Environment): void {
    const incoming = fieldsOf(next);
    const merged = { ...fields.value };
    for (const k of FIELD_KEYS)
      if (fields.value[k] === baseline.value[k]) (merged as Record<string, unknown>)[k] = incoming[k];
    baseline.value = incoming;
    fields.value = merged;
    const varsUntouched =
      !vars.value.some((v) => v.key !== v.originalKey || v.value !== baseVars[v.originalKey]) &&
      vars.value.length === Object.keys(baseVars).length;
    baseVars = { ...next.vars };
    if (varsUntouched)
      vars.value = Object.entries(next.vars).map(([key, value]) => ({
        rowId: nextRow++,
        key,
        value,
        originalKey: key,
      }));
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

  return {
    isNew: !env,
    rebase,
    fields,
    vars,
    secrets,
    errors,
    saving,
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
      secrets.value = secrets.value.map((r) => (r.rowId === rowId ? { ...r, ...patch } : r));
      const e = { ...errors.value };
      delete e[`secret:${rowId}:value`];
      delete e[`secret:${rowId}:key`];
      errors.value = e;
    },
    removeSecretRow: (rowId: number) => (secrets.value = secrets.value.filter((r) => r.rowId !== rowId)),
    save,
  };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export type EnvironmentForm = ReturnType<typeof createEnvironmentForm>;
