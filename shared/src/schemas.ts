// Schemas for every boundary: HTTP bodies, document contents written by peers, config files.
import { z } from 'zod';
import { BindingStrategy, EnvironmentType, SecretScope, SetupMode, TaskStatus, enumValues } from './enums.ts';
import { ID_PATTERN } from './ids.ts';
import * as L from './limits.ts';
import { checkPushBranch } from './push-branch.ts';
import {
  checkAbsolutePath,
  checkBranch,
  checkRelativePath,
  checkRepoUrl,
  type Check,
} from './validate-repo-url.ts';

const fromCheck = (check: (v: string) => Check) => (value: string, ctx: z.RefinementCtx) => {
  const result = check(value);
  if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message });
};

/** Object keys refused everywhere: assigning them reaches the prototype, or is silently dropped. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Characters no name may hold: controls, and bidi overrides and isolates that make text lie about its order. */
const UNSAFE_NAME_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
/**
 * A name read from a document a peer wrote (a Viber's, a task's title), made safe to show: unsafe
 * characters removed (a right-to-left override in a Viber's name reordered the key fingerprint shown
 * after it), unpaired surrogates replaced, at most `max` characters; `fallback` when nothing is left.
 */
export function readableName(value: unknown, fallback: string, max: number): string {
  if (typeof value !== 'string') return fallback;
  const clean = value.replace(new RegExp(UNSAFE_NAME_CHARS.source, 'gu'), '').toWellFormed().trim();
  return clean.slice(0, max).trim() || fallback;
}

/** A name people read (environment, task title): trimmed, 1..max, no unsafe or unpaired-surrogate characters. */
const displayNameSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max)
    .refine(
      (v) => !UNSAFE_NAME_CHARS.test(v),
      'must not contain control or bidirectional-override characters',
    )
    .refine((v) => v.isWellFormed(), 'must not contain unpaired surrogates');

export const idSchema = z.string().regex(ID_PATTERN, 'must be an id of 1-64 letters, digits, _ or -');
export const envKeySchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    'must be a variable name: letters, digits and _, not starting with a digit',
  )
  // A plain object keyed by these would reach (or silently lose) its prototype.
  .refine((key) => !RESERVED_KEYS.has(key), 'must not be __proto__, constructor or prototype');
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const repoUrlSchema = z.string().superRefine(fromCheck(checkRepoUrl));
export const branchSchema = z.string().superRefine(fromCheck(checkBranch));
export const absolutePathSchema = z.string().superRefine(fromCheck(checkAbsolutePath));
export const relativePathSchema = z.string().superRefine(fromCheck(checkRelativePath));
export const containerImageSchema = z
  .string()
  .regex(
    /^$|^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/,
    'must be an image reference such as node:24 or ghcr.io/org/img:tag',
  );

/** A libsodium sealed box, base64 (ORIGINAL variant): never a plaintext value. */
export const sealedBoxSchema = z
  .string()
  .regex(base64Pattern, { message: 'must be a base64 sealed box, never a plaintext value', abort: true })
  .refine((v) => (v.length / 4) * 3 - (v.match(/=/g)?.length ?? 0) > L.SEALED_BOX_OVERHEAD, {
    message: 'is too short to be a sealed box; plaintext secret values are never accepted',
  });

/** An Ed25519 signature, base64 ORIGINAL: 64 bytes ([T3]). */
export const signatureSchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{86}==$/, 'must be a base64 Ed25519 signature (64 bytes)');

/** An X25519 public key, base64: 32 bytes. */
export const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 X25519 public key (32 bytes)');

const plaintextRefusal =
  'plaintext secret values are never accepted; send { sealed: { <viberId>: <sealed box> }, scope }';

// A bare string is refused with its own message first: it is almost certainly a plaintext value.
export const sealedSecretInputSchema = z
  .custom<unknown>((v) => typeof v !== 'string', { message: plaintextRefusal })
  .pipe(
    z.strictObject({
      sealed: z.record(idSchema, sealedBoxSchema),
      scope: z.enum(enumValues(SecretScope)).default(SecretScope.runtime),
      /** Optional: per Viber, a device's signature over that ciphertext (a sealed-copy intent, [T6]). */
      signatures: z.record(idSchema, signatureSchema).optional(),
    }),
  );
export type SealedSecretInput = z.infer<typeof sealedSecretInputSchema>;

/**
 * Text a Viber passes to a process (a script, a message, a variable) or people read: no NUL (no
 * process argument or environment can hold one: the run would fail) and no unpaired surrogate (Yjs
 * stores it as U+FFFD: the API would answer with text other than what it keeps).
 */
const freeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !v.includes('\0'), 'must not contain NUL characters')
    .refine((v) => v.isWellFormed(), 'must not contain unpaired surrogates');

const varsSchema = z
  .record(envKeySchema, freeText(L.MAX_VAR_VALUE_LENGTH))
  .refine((v) => Object.keys(v).length <= L.MAX_VARS, { message: `at most ${L.MAX_VARS} variables` });
const secretsSchema = z
  .record(envKeySchema, sealedSecretInputSchema)
  .refine((v) => Object.keys(v).length <= L.MAX_SECRETS, { message: `at most ${L.MAX_SECRETS} secrets` });

/** The editable fields of an environment (design §6), each optional so PUT can patch any subset. */
export const environmentFieldSchemas = {
  name: displayNameSchema(L.MAX_NAME_LENGTH),
  description: freeText(L.MAX_DESCRIPTION_LENGTH),
  type: z.enum(enumValues(EnvironmentType)),
  repoUrl: z.union([z.literal(''), repoUrlSchema]),
  repoBranch: branchSchema,
  localPath: z.union([z.literal(''), absolutePathSchema]),
  containerImage: containerImageSchema,
  workingDir: relativePathSchema,
  setupMode: z.enum(enumValues(SetupMode)),
  setupScript: freeText(L.MAX_SCRIPT_LENGTH),
  maintenanceScript: freeText(L.MAX_SCRIPT_LENGTH),
  agentCommand: freeText(1_000),
  networkAccess: z.boolean(),
  persistVolume: z.boolean(),
  pinned: z.boolean(),
};

/** The plain fields of an environment, with their defaults (no vars or secrets). */
export const ENVIRONMENT_DEFAULTS = {
  description: '',
  repoUrl: '',
  repoBranch: '',
  localPath: '',
  containerImage: '',
  workingDir: '',
  setupMode: SetupMode.auto,
  setupScript: '',
  maintenanceScript: '',
  agentCommand: '',
  networkAccess: true,
  persistVolume: true,
  pinned: false,
} as const;

export const environmentCreateSchema = z
  .strictObject({
    ...environmentFieldSchemas,
    description: environmentFieldSchemas.description.default(ENVIRONMENT_DEFAULTS.description),
    repoUrl: environmentFieldSchemas.repoUrl.default(''),
    repoBranch: environmentFieldSchemas.repoBranch.default(''),
    localPath: environmentFieldSchemas.localPath.default(''),
    containerImage: environmentFieldSchemas.containerImage.default(''),
    workingDir: environmentFieldSchemas.workingDir.default(''),
    setupMode: environmentFieldSchemas.setupMode.default(SetupMode.auto),
    setupScript: environmentFieldSchemas.setupScript.default(''),
    maintenanceScript: environmentFieldSchemas.maintenanceScript.default(''),
    agentCommand: environmentFieldSchemas.agentCommand.default(''),
    networkAccess: environmentFieldSchemas.networkAccess.default(true),
    persistVolume: environmentFieldSchemas.persistVolume.default(true),
    pinned: environmentFieldSchemas.pinned.default(false),
    vars: varsSchema.default({}),
    secrets: secretsSchema.default({}),
  })
  .superRefine(checkSourceFields);
export type EnvironmentCreate = z.infer<typeof environmentCreateSchema>;

/** PUT body: any subset of fields; vars and secrets merge by key, and a null value deletes the key. */
export const environmentPatchSchema = z.strictObject({
  ...Object.fromEntries(Object.entries(environmentFieldSchemas).map(([k, s]) => [k, s.optional()])),
  vars: z.record(envKeySchema, z.string().max(L.MAX_VAR_VALUE_LENGTH).nullable()).optional(),
  secrets: z.record(envKeySchema, sealedSecretInputSchema.nullable()).optional(),
}) as unknown as z.ZodType<EnvironmentPatch>;
export type EnvironmentPatch = Partial<Omit<EnvironmentCreate, 'vars' | 'secrets'>> & {
  vars?: Record<string, string | null>;
  secrets?: Record<string, SealedSecretInput | null>;
};

type SourceFields = { type: EnvironmentType; repoUrl: string; localPath: string };
/** Cross-field rules: a github environment needs a repo URL, a local one a path. */
export function checkSourceFields(env: SourceFields, ctx: z.RefinementCtx): void {
  if (env.type === EnvironmentType.github && !env.repoUrl) {
    ctx.addIssue({ code: 'custom', path: ['repoUrl'], message: 'is required for a github environment' });
  }
  if (env.type === EnvironmentType.local && !env.localPath) {
    ctx.addIssue({ code: 'custom', path: ['localPath'], message: 'is required for a local environment' });
  }
}
export const sourceFieldsSchema = z
  .object({ type: environmentFieldSchemas.type, repoUrl: z.string(), localPath: z.string() })
  .superRefine(checkSourceFields);

export const bindingCreateSchema = z
  .strictObject({
    viberId: idSchema,
    strategy: z.enum(enumValues(BindingStrategy)),
    existingPath: absolutePathSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.strategy === BindingStrategy.existing && !b.existingPath) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingPath'],
        message: "is required with strategy 'existing'",
      });
    }
    if (b.strategy === BindingStrategy.clone && b.existingPath) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingPath'],
        message: "is only allowed with strategy 'existing'",
      });
    }
  });
export type BindingCreate = z.infer<typeof bindingCreateSchema>;

export const taskCreateSchema = z.strictObject({
  environmentId: idSchema,
  title: displayNameSchema(L.MAX_TITLE_LENGTH).default('New task'),
  viberId: idSchema.optional(),
});
export const taskPatchSchema = z.strictObject({
  title: displayNameSchema(L.MAX_TITLE_LENGTH).optional(),
  status: z.enum(enumValues(TaskStatus)).optional(),
});
export const messageCreateSchema = z
  .strictObject({
    text: freeText(L.MAX_MESSAGE_LENGTH).refine((v) => v.length > 0, 'is required'),
    /** For a script that signs ([T4]): the id it signed with, and its signature over the message intent. */
    messageId: idSchema.optional(),
    signature: signatureSchema.optional(),
  })
  .refine((m) => !m.signature || m.messageId, {
    message: 'is required with a signature (the id the signature covers)',
    path: ['messageId'],
  });

/** POST /api/tasks/:id/push: the branch is checked as `git check-ref-format --branch` would. */
export const pushCreateSchema = z
  .strictObject({
    branch: z.string().superRefine((value, ctx) => {
      const check = checkPushBranch(value);
      if (!check.ok) ctx.addIssue({ code: 'custom', message: check.message });
    }),
    commitMessage: freeText(L.MAX_COMMIT_MESSAGE_LENGTH).optional(),
    /** For a script that signs ([T4]): the id it signed with, and its signature over the push intent. */
    requestId: idSchema.optional(),
    signature: signatureSchema.optional(),
  })
  .refine((p) => !p.signature || p.requestId, {
    message: 'is required with a signature (the id the signature covers)',
    path: ['requestId'],
  });

export const credentialsSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9_.-]{3,32}$/, 'must be 3-32 letters, digits, _ . or -'),
  password: z.string().min(8, 'must be at least 8 characters').max(200),
});
export const onboardSchema = z.strictObject({
  token: z.string().min(1, 'is required').max(200),
  name: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9 ._-]{1,64}$/, 'must be 1-64 letters, digits, spaces, . _ or -'),
  publicKey: publicKeySchema,
});
