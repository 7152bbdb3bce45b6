// The one place a pinned Viber decides whether content was signed by its user ([T5], design §5b):
// before a prepare, before a message runs, a cancel is honoured or a push is made, and before a
// re-seal. What does not verify waits, and the reason is published in the Viber's own document for the
// app to show. A re-seal copy another Viber sent is not signed by a device: it counts when its sender's
// key authenticates it and a binding the user signed to the same environment names that key ([T6]).
import type * as Y from 'yjs';
import {
  RefusalReason,
  RefusedKind,
  bindingIntent,
  cancelIntent,
  clearRefusal,
  environmentSpecIntent,
  listBindings,
  messageIntent,
  pushIntent,
  readCancel,
  sealedCopyIntent,
  storedSealedCopy,
  writeRefusal,
  type Binding,
  type Environment,
  type Message,
  type PushRequest,
  type SignedIntent,
  type Task,
} from '@openviber/shared';
import { intentVerifier, isResealCopy, resealCopyReader } from '@openviber/shared/crypto';
import { AcceptedCopies } from './accepted-copies.ts';
import { SpecVersions } from './spec-versions.ts';

type Verify = (intent: SignedIntent, signature: string) => boolean;
type ResealReader = Awaited<ReturnType<typeof resealCopyReader>>;
type Verdict =
  | { ok: true }
  | {
      ok: false;
      kind: RefusedKind;
      id: string;
      reason: RefusalReason;
      detail: string;
      /** rolled back: published so a device re-signs above it ([T5]). */
      acceptedVersion?: number;
    };

const OK: Verdict = { ok: true };

export interface IntentGuardDeps {
  viberId: string;
  /** This Viber's X25519 public key: what a binding to it must name. */
  viberPublicKey: string;
  /** This Viber's X25519 private key: a re-seal copy sent to it is authenticated by opening it. */
  viberPrivateKey: string;
  /** The workspace: which bindings the user signed name a re-seal copy's sender. */
  workspace: Y.Doc;
  viberDoc: Y.Doc;
  stateDir: string;
}

export class IntentGuard {
  readonly #deps: IntentGuardDeps;
  readonly #verify: Verify;
  readonly #reseal: ResealReader;
  readonly #versions: SpecVersions;
  readonly #copies: AcceptedCopies;

  private constructor(deps: IntentGuardDeps, verify: Verify, reseal: ResealReader) {
    this.#deps = deps;
    this.#verify = verify;
    this.#reseal = reseal;
    this.#versions = new SpecVersions(deps.stateDir);
    this.#copies = new AcceptedCopies(deps.stateDir);
  }

  /** A guard for the pinned key (libsodium loaded once here; every check after is synchronous). */
  static async create(pinnedKey: string, deps: IntentGuardDeps): Promise<IntentGuard> {
    return new IntentGuard(deps, await intentVerifier(pinnedKey), await resealCopyReader());
  }

  /** May this binding be prepared with this environment? (binding, spec, rollback, ciphertexts) */
  mayPrepare(binding: Binding, env: Environment): boolean {
    return this.#settle(
      [this.#binding(binding), this.#environment(env)],
      [
        [RefusedKind.binding, binding.id],
        [RefusedKind.environment, env.id],
      ],
    );
  }

  /** May this message of `task` run in `env` through `binding`? */
  mayRun(task: Task, message: Message, env: Environment, binding: Binding): boolean {
    const id = `${task.id}/${message.id}`;
    const intent = messageIntent({
      taskId: task.id,
      environmentId: task.environmentId,
      viberId: task.viberId,
      messageId: message.id,
      text: message.text,
    });
    return this.#taskIntent(
      intent,
      message.signature ?? '',
      RefusedKind.message,
      id,
      'message',
      env,
      binding,
    );
  }

  /** May the task's push `request` commit and push its working copy of `env` through `binding`? */
  mayPush(task: Task, request: PushRequest, env: Environment, binding: Binding): boolean {
    const id = `${task.id}/${request.id}`;
    const intent = pushIntent({
      taskId: task.id,
      environmentId: task.environmentId,
      viberId: task.viberId,
      requestId: request.id,
      branch: request.branch,
      commitMessage: request.commitMessage,
    });
    return this.#taskIntent(
      intent,
      request.signature,
      RefusedKind.push,
      id,
      `push to ${request.branch}`,
      env,
      binding,
    );
  }

  /** A task's signed intent (a message, a push) counts only with its binding and environment spec. */
  #taskIntent(
    intent: SignedIntent,
    signature: string,
    kind: RefusedKind,
    id: string,
    what: string,
    env: Environment,
    binding: Binding,
  ): boolean {
    const verdict = this.#check(intent, signature, kind, id, what);
    return this.#settle(
      [verdict, this.#binding(binding), this.#environment(env)],
      [
        [kind, id],
        [RefusedKind.binding, binding.id],
        [RefusedKind.environment, env.id],
      ],
    );
  }

  /** Is the cancel request for this message signed? (an unsigned one is not honoured, and shown) */
  mayCancel(taskId: string, taskDoc: Y.Doc, messageId: string): boolean {
    const cancel = readCancel(taskDoc, messageId);
    if (!cancel) return false;
    const id = `${taskId}/${messageId}`;
    const verdict = this.#check(
      cancelIntent({ taskId, messageId }),
      cancel.signature,
      RefusedKind.cancel,
      id,
      'cancel',
    );
    return this.#settle([verdict], [[RefusedKind.cancel, id]]);
  }

  /**
   * True when this Viber may use its own ciphertext of the secret (signed, or a re-seal copy from a
   * Viber the user signed a binding for), so re-sealing it passes on the user's value.
   */
  ownCopyVerified(env: Environment, key: string): boolean {
    return this.#sealedCopy(env, key, this.#deps.viberId).ok;
  }

  /**
   * Does the binding's valid signature name `publicKey` as its Viber's key? A re-seal goes only to a
   * key the user signed, never to whatever the registry says (the server writes the registry) ([T5]).
   */
  bindingNamesKey(binding: Binding, publicKey: string): boolean {
    return !!binding.signature && this.#verify(bindingIntent(binding, publicKey), binding.signature);
  }

  // ---- the checks

  #binding(binding: Binding): Verdict {
    return this.#check(
      bindingIntent(binding, this.#deps.viberPublicKey),
      binding.signature,
      RefusedKind.binding,
      binding.id,
      `binding at generation ${binding.generation}`,
    );
  }

  #environment(env: Environment): Verdict {
    const what = `environment “${env.name}” (spec version ${env.specVersion})`;
    const spec = this.#check(
      environmentSpecIntent(env),
      env.specSignature,
      RefusedKind.environment,
      env.id,
      what,
    );
    if (!spec.ok) return spec;
    const accepted = this.#versions.accepted(env.id);
    if (env.specVersion < accepted)
      return {
        ok: false,
        kind: RefusedKind.environment,
        id: env.id,
        reason: RefusalReason.rolledBack,
        detail: `${what}: this Viber already accepted spec version ${accepted}`,
        acceptedVersion: accepted,
      };
    for (const key of Object.keys(env.secrets)) {
      const copy = this.#sealedCopy(env, key, this.#deps.viberId);
      if (!copy.ok)
        return { ...copy, kind: RefusedKind.environment, id: env.id, detail: `${what}: ${copy.detail}` };
    }
    this.#versions.accept(env.id, env.specVersion);
    return OK;
  }

  #sealedCopy(env: Environment, key: string, viberId: string): Verdict {
    const intent = sealedCopyIntent(env, key, viberId);
    if (!intent) return OK; // nothing sealed for this Viber: a missing secret is the prepare's to report
    if (isResealCopy(intent.sealed)) return this.#resealCopy(env, key, intent.sealed);
    const { signature } = storedSealedCopy(env, key, viberId);
    return this.#check(
      intent,
      signature,
      RefusedKind.secret,
      `${env.id}/${key}`,
      `the ciphertext of secret ${key}`,
    );
  }

  /**
   * A re-seal copy ([X5]) counts only when a binding of this environment to its sender, signed by the
   * user, names the key the copy was sealed with, and that key authenticates it for this secret's
   * current value ([T6]), or it is the very copy this Viber accepted that way before (its sender's
   * mapping may have gone since). No device signature can stand in: the app cannot read what it would sign.
   */
  #resealCopy(env: Environment, key: string, copy: string): Verdict {
    const refuse = (reason: RefusalReason, why: string): Verdict => ({
      ok: false,
      kind: RefusedKind.secret,
      id: `${env.id}/${key}`,
      reason,
      detail: `the re-seal copy of secret ${key} ${why}`,
    });
    const sender = this.#reseal.sender(copy);
    if (!sender) return refuse(RefusalReason.badSignature, 'is malformed');
    const bindings = listBindings(this.#deps.workspace, {
      environmentId: env.id,
      viberId: sender.viberId,
    });
    const accepted = this.#copies.has(env.id, key, copy);
    if (!accepted && !bindings.some((b) => this.bindingNamesKey(b, sender.publicKey)))
      return bindings.some((b) => !b.signature)
        ? refuse(
            RefusalReason.unsigned,
            `comes from Viber ${sender.viberId}, whose mapping to this environment is not signed yet: awaiting approval`,
          )
        : refuse(
            RefusalReason.badSignature,
            `claims to come from Viber ${sender.viberId}, but no mapping you signed to this environment names its key`,
          );
    const opened = this.#reseal.open(
      copy,
      { privateKey: this.#deps.viberPrivateKey },
      {
        environmentId: env.id,
        key,
        viberId: this.#deps.viberId,
        updatedAt: env.secrets[key]?.updatedAt ?? 0,
      },
    );
    if (opened.ok) this.#copies.accept(env.id, key, copy);
    return opened.ok
      ? OK
      : refuse(
          RefusalReason.badSignature,
          `does not open as sent by Viber ${sender.viberId} for this secret’s current value (${opened.error.code})`,
        );
  }

  #check(intent: SignedIntent, signature: string, kind: RefusedKind, id: string, what: string): Verdict {
    if (!signature)
      return {
        ok: false,
        kind,
        id,
        reason: RefusalReason.unsigned,
        detail: `${what} is not signed: awaiting approval`,
      };
    if (!this.#verify(intent, signature))
      return {
        ok: false,
        kind,
        id,
        reason: RefusalReason.badSignature,
        detail: `${what} does not match its signature (changed after it was signed, or signed by another key)`,
      };
    return OK;
  }

  /** Publishes each refusal and clears the refusals of the entities that verified; true if all did. */
  #settle(verdicts: Verdict[], entities: [RefusedKind, string][]): boolean {
    const { viberDoc } = this.#deps;
    const refused = verdicts.filter((v): v is Exclude<Verdict, { ok: true }> => !v.ok);
    for (const [kind, id] of entities)
      if (!refused.some((v) => v.kind === kind && v.id === id)) clearRefusal(viberDoc, kind, id);
    for (const r of refused)
      writeRefusal(viberDoc, {
        kind: r.kind,
        id: r.id,
        reason: r.reason,
        detail: r.detail,
        at: Date.now(),
        ...(r.acceptedVersion === undefined ? {} : { acceptedVersion: r.acceptedVersion }),
      });
    return refused.length === 0;
  }
}
