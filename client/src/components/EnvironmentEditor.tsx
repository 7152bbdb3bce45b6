// Create or edit an environment in the design's four sections: Basic, Code execution, Variables, Validation.
import { useSignal } from '@preact/signals';
import { workspaceDocName } from '@openviber/shared';
import { useEffect } from 'preact/hooks';
import { useApp, useModel } from '../app-context.ts';
import { createEnvironmentForm, environmentDraftId, recreateFromDraft } from '../models/environment-form.ts';
import { bindingViews } from '../models/environment-status.ts';
import { BasicSection } from './BasicSection.tsx';
import { ExecutionSection } from './ExecutionSection.tsx';
import { RepreparePrompt } from './RepreparePrompt.tsx';
import { SecretsSection } from './SecretsSection.tsx';
import { SpecReview } from './SpecReview.tsx';
import { ValidationSection } from './ValidationSection.tsx';
import { VarsSection } from './VarsSection.tsx';

export function EnvironmentEditor({ envId }: { envId: string | null }) {
  const app = useApp();
  const env = envId ? app.workspace.environments.value.find((e) => e.id === envId) : undefined;
  const form = useModel(
    () =>
      createEnvironmentForm(app.workspace, env, app.drafts, app.signing.signEdit, app.signing.sealTargets),
    [envId, Boolean(env)],
  );
  // Live edits from other devices (or the re-seal copier) flow into the fields this editor has not touched.
  // (Keyed on the content, not on updatedAt: concurrent edits may leave updatedAt unchanged here.)
  const content = env ? JSON.stringify({ ...env, updatedAt: 0, problems: [] }) : '';
  // Also once a save ends: a remote edit that arrived while it saved is merged then, not dropped.
  const saving = form.saving.value;
  useEffect(() => {
    if (env && !form.isNew && !saving) form.rebase(env);
  }, [content, saving]);
  // Secrets saved before any Viber existed are sealed and saved as soon as one does, while the editor
  // is open (they live in this tab only): the user already asked for them to be saved.
  const sealed = useSignal<{ keys: string[]; vibers: string[] } | null>(null);
  const viberCount = app.workspace.vibers.value.length;
  const workspaceRefused = app.refusals.value.get(workspaceDocName(app.userId));
  const waitingCount = form.waiting.value.length;
  useEffect(() => {
    if (!viberCount || !waitingCount) return;
    const vibers = app.workspace.vibers.peek().map((v) => v.name);
    void form.sealWaiting().then((keys) => {
      if (keys.length) sealed.value = { keys, vibers };
    });
  }, [form, viberCount, waitingCount]);
  if (envId && !env) {
    // Unsaved changes to it are still in this device's drafts: offered back, not left unreachable.
    const unsaved = app.drafts.get(environmentDraftId(envId)) !== undefined;
    return (
      <div class="page">
        <div class="callout warn" data-testid="env-gone">
          <p>This environment no longer exists (it may have been deleted on another device).</p>
          {unsaved && (
            <>
              <p>
                Your unsaved changes to it are still on this device. Recreate it from them as a new
                environment (secrets saved before cannot come along: their values are only on your Vibers), or
                discard them.
              </p>
              <div class="row">
                <button
                  class="btn primary"
                  onClick={() => {
                    recreateFromDraft(app.drafts, envId);
                    app.router.go({ view: 'env-new' });
                  }}
                >
                  Recreate from my changes
                </button>
                <button
                  class="btn"
                  onClick={() => {
                    app.drafts.discard(environmentDraftId(envId));
                    app.router.go({ view: 'home' });
                  }}
                >
                  Discard them
                </button>
              </div>
            </>
          )}
        </div>
      </div>
    );
  }
  const e = form.errors.value;

  async function save(ev: Event) {
    ev.preventDefault();
    const id = await form.save();
    if (!id) document.querySelector('.invalid')?.scrollIntoView({ block: 'center' });
    if (id && form.isNew) {
      app.ui.selectEnv(id);
      app.router.go({ view: 'env-edit', envId: id });
    }
  }

  const errorCount = Object.values(e).filter(Boolean).length;
  const mappings = env ? bindingViews(env, app.workspace.bindings.value, app.vibers.views.value) : [];
  const staleCount = mappings.filter((v) => v.status === 'stale').length;
  const preparing = mappings.filter((v) => v.status === 'preparing' || v.status === 'pending').length;
  const held = form.secrets.value
    .filter((r) => (r.action === 'new' || r.action === 'replace') && r.key)
    .map((r) => r.key);
  return (
    <form class="page" onSubmit={save} noValidate>
      <div class="page-head">
        <div>
          <h1>{form.isNew ? 'Create environment' : `Edit ${env?.name}`}</h1>
          <p>
            Where code comes from, how it is prepared, and what it can see. Saved on this device at once,
            synced when online.
          </p>
        </div>
        {env && (
          <button
            type="button"
            class="btn"
            onClick={() => app.router.go({ view: 'mappings', envId: env.id })}
          >
            Map to Viber →
          </button>
        )}
      </div>
      <nav class="section-nav" aria-label="Sections">
        <a
          href="#sec-basic"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-basic')?.scrollIntoView();
          }}
        >
          Basic
        </a>
        <a
          href="#sec-exec"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-exec')?.scrollIntoView();
          }}
        >
          Code execution
        </a>
        <a
          href="#sec-vars"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-vars')?.scrollIntoView();
          }}
        >
          Variables & secrets
        </a>
        <a
          href="#sec-validation"
          onClick={(ev) => {
            ev.preventDefault();
            document.getElementById('sec-validation')?.scrollIntoView();
          }}
        >
          Validation
        </a>
      </nav>

      {env && <SpecReview envId={env.id} />}
      {env && <RepreparePrompt env={env} />}
      {form.dirty.value && !form.savedAt.value && (form.baseline.value.name || form.fields.value.name) && (
        <div class="callout row wrap" data-testid="draft-note">
          <span class="grow">Unsaved changes are kept on this device until you save or discard them.</span>
          <button type="button" class="btn small" onClick={form.discard}>
            Discard changes
          </button>
        </div>
      )}

      <BasicSection form={form} />

      <ExecutionSection form={form} />

      <section class="card" id="sec-vars">
        <h2>Variables & secrets</h2>
        <p class="hint">
          Variables are plain. Secrets are encrypted in this browser to your Vibers’ keys; nobody can read
          them back here.
        </p>
        <VarsSection form={form} />
        <SecretsSection form={form} env={env} />
      </section>

      <ValidationSection form={form} env={env} />

      <div class="sticky-actions">
        <button class="btn primary" type="submit" disabled={form.saving.value} data-testid="save-env">
          {form.saving.value ? 'Encrypting and saving…' : form.isNew ? 'Create environment' : 'Save changes'}
        </button>
        {form.saveError.value ? (
          <span class="error-text wrap-anywhere" role="alert" data-testid="save-error">
            {form.saveError.value}
          </span>
        ) : errorCount ? (
          <button
            type="button"
            class="btn ghost small error-text"
            onClick={() => document.querySelector('.invalid')?.scrollIntoView({ block: 'center' })}
          >
            {errorCount === 1 ? '1 field needs attention' : `${errorCount} fields need attention`} ↑
          </button>
        ) : held.length && !viberCount ? (
          <span class="hint" data-testid="held-secrets">
            {form.savedAt.value || !form.isNew ? 'Saved, except ' : 'Not saved yet: '}
            {held.join(', ')}: secrets are encrypted for your Vibers, and you have none yet.{' '}
            <a href="#/vibers">Add a Viber</a> and {held.length === 1 ? 'it is' : 'they are'} saved then
            (until then only this tab holds {held.length === 1 ? 'it' : 'them'}).
          </span>
        ) : sealed.value && !form.dirty.value ? (
          <span class="hint" role="status" data-testid="sealed-note">
            {sealed.value.keys.join(', ')} {sealed.value.keys.length === 1 ? 'is' : 'are'} encrypted for{' '}
            {sealed.value.vibers.join(', ')} and saved.
          </span>
        ) : waitingCount ? (
          <span class="hint" data-testid="held-secrets">
            {form.waiting.value.map((s) => s.key).join(', ')} can be encrypted for your Viber now: Save to
            finish.
          </span>
        ) : form.savedAt.value && !form.dirty.value && workspaceRefused ? (
          // [S11a] Saved in this device's copy, which a server limit keeps from syncing: said here,
          // where the user is looking (the banner above is out of view after scrolling to Save).
          <span
            class="hint"
            role="status"
            data-testid="saved-note"
            data-state="refused"
            title={`The server refused it: ${workspaceRefused}.`}
          >
            Saved on this device; a server limit refused it for now (the notice above says which). The app
            keeps trying.
          </span>
        ) : form.savedAt.value && !form.dirty.value ? (
          // Saved, and what it means for the mappings, where the user is looking (the top banner is
          // out of view after scrolling to Save).
          <span class="saved-status" data-testid="saved-note">
            <span class="hint">
              {staleCount
                ? 'Saved ·'
                : preparing
                  ? `Saved · preparing on ${preparing} Viber${preparing === 1 ? '' : 's'}…`
                  : 'Saved.'}
            </span>
            {env && <RepreparePrompt env={env} inline />}
          </span>
        ) : form.dirty.value ? (
          <span class="hint">Unsaved changes</span>
        ) : null}
        <span class="grow" />
        {env && (
          <button
            type="button"
            class="btn danger"
            onClick={async () => {
              const ok = await app.confirm.ask({
                title: `Delete ${env.name}?`,
                body: 'Its mappings and its tasks are deleted on every device. Checkouts stay on the machines.',
                confirmLabel: 'Delete environment',
                danger: true,
              });
              if (!ok) return;
              form.discard();
              app.workspace.deleteEnvironment(env.id);
              app.router.go({ view: 'home' });
            }}
          >
            Delete
          </button>
        )}
      </div>
    </form>
  );
}
