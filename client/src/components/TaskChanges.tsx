// A task's artifacts under its timeline: "N files changed, +a −d", the file list, the diff (drawn by
// a lazily loaded chunk), Download patch, and Push branch with its live state. Everything is read
// from the synced documents, so it shows offline; a push asked offline waits in the task document.
import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import {
  MAX_CHANGES_FILE_PATCH_CHARS,
  MAX_CHANGES_PATCH_CHARS,
  checkPushBranch,
  type ChangedFile,
  type Refusal,
  type PushView,
  type TaskChanges as Changes,
} from '@openviber/shared';
import { useApp, useModel } from '../app-context.ts';
import { branchForTask } from '../lib/branch-name.ts';
import { changeTotals, createChangesModel } from '../models/changes-model.ts';
import type { DiffLayout } from './DiffView.tsx';
import { lazyView } from './LazyView.tsx';
import './task-changes.css';

const DiffView = lazyView(() => import('./DiffView.tsx').then((m) => m.DiffView));

const PHONE = '(max-width: 760px)';

function usePhone(): boolean {
  const phone = useSignal(matchMedia(PHONE).matches);
  useEffect(() => {
    const query = matchMedia(PHONE);
    const onChange = () => (phone.value = query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return phone.value;
}

const STATUS_LETTER: Record<ChangedFile['status'], string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
};

function size(chars: number): string {
  return chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} KB`;
}

function downloadPatch(patch: string, name: string) {
  const url = URL.createObjectURL(new Blob([patch], { type: 'text/x-diff' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The click starts the download synchronously from the URL; revoke once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function TaskChanges({ taskId, title, viberId }: { taskId: string; title: string; viberId: string }) {
  const app = useApp();
  const model = useModel(() => createChangesModel(app.store, app.userId, taskId, viberId), [taskId, viberId]);
  const changes = model.changes.value;
  if (!changes) return null;
  return <ChangesCard changes={changes} model={model} taskId={taskId} title={title} viberId={viberId} />;
}

function ChangesCard({
  changes,
  model,
  taskId,
  title,
  viberId,
}: {
  changes: Changes;
  model: ReturnType<typeof createChangesModel>;
  taskId: string;
  title: string;
  viberId: string;
}) {
  const app = useApp();
  const phone = usePhone();
  const layout = useSignal<DiffLayout>('unified');
  const totals = changeTotals(changes);
  const notKept = useMemo(
    () => new Set(changes.files.filter((f) => f.truncated).map((f) => f.path)),
    [changes.files],
  );
  const shownLayout: DiffLayout = phone ? 'unified' : layout.value;
  if (!totals.files)
    return (
      <p class="hint changes-none" data-testid="changes-summary">
        No files changed.
      </p>
    );
  return (
    <section class="card changes" data-testid="task-changes" aria-label="Changes">
      <div class="changes-head">
        <h2 data-testid="changes-summary">
          {totals.files} file{totals.files === 1 ? '' : 's'} changed,{' '}
          <span class="adds">+{totals.additions}</span> <span class="dels">−{totals.deletions}</span>
        </h2>
        <div class="row wrap changes-actions">
          {!phone && (
            <div class="seg" role="group" aria-label="Diff layout">
              {(['unified', 'split'] as const).map((l) => (
                <button
                  key={l}
                  type="button"
                  aria-pressed={layout.value === l}
                  onClick={() => (layout.value = l)}
                >
                  {l === 'unified' ? 'Unified' : 'Split'}
                </button>
              ))}
            </div>
          )}
          <button
            class="btn"
            type="button"
            data-testid="download-patch"
            onClick={() => downloadPatch(changes.patch, `${branchForTask(title, taskId).slice(3)}.patch`)}
          >
            Download patch
          </button>
        </div>
      </div>
      {changes.truncated && (
        <div class="callout warn" role="note" data-testid="changes-truncated">
          Part of the patch is not kept: a file’s diff over {size(MAX_CHANGES_FILE_PATCH_CHARS)}, or past{' '}
          {size(MAX_CHANGES_PATCH_CHARS)} in all, is cut, and those files are marked “diff not kept”. Their
          counts are exact; push the branch to see them whole.
        </div>
      )}
      <ul class="changed-files" data-testid="changed-files">
        {changes.files.map((f) => (
          <li key={f.path} data-testid="changed-file" data-status={f.status}>
            <span class="file-status" data-status={f.status} title={f.status}>
              {STATUS_LETTER[f.status]}
            </span>
            <span class="file-path mono" title={f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}>
              {f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}
            </span>
            <span class="file-counts">
              {f.binary ? (
                <span class="hint">binary</span>
              ) : (
                <>
                  <span class="adds">+{f.additions}</span> <span class="dels">−{f.deletions}</span>
                </>
              )}
              {f.truncated && <span class="hint"> · diff not kept ({size(f.patchBytes)})</span>}
            </span>
          </li>
        ))}
      </ul>
      {changes.patch && (
        <DiffView patch={changes.patch} layout={shownLayout} theme={app.ui.theme.value} notKept={notKept} />
      )}
      <PushBranch model={model} taskId={taskId} title={title} viberId={viberId} />
    </section>
  );
}

function PushBranch({
  model,
  taskId,
  title,
  viberId,
}: {
  model: ReturnType<typeof createChangesModel>;
  taskId: string;
  title: string;
  viberId: string;
}) {
  const app = useApp();
  const push = model.push.value;
  // Follows the title (and then the last push) until the user types a name of their own.
  const typed = useSignal<string | null>(null);
  const branch = typed.value ?? (push.state === 'none' ? branchForTask(title, taskId) : branchOf(push));
  const error = useSignal('');
  // While this device signs the request (a moment; it is written only once signed, or unsigned without a key).
  const signing = useSignal(false);
  // A pinned Viber that will not push on this request says why ([T5]): unsigned, or changed after signing.
  const refusal =
    push.state === 'requested'
      ? app.vibers.views.value
          .get(viberId)
          ?.refusals.find((r) => r.kind === 'push' && r.id === `${taskId}/${push.request.id}`)
      : undefined;
  // A refused request never ends by itself: Push branch asks again (signed, from this device).
  const busy = signing.value || (!refusal && (push.state === 'requested' || push.state === 'pushing'));

  function submit(ev: Event) {
    ev.preventDefault();
    const name = branch.trim();
    const check = checkPushBranch(name);
    if (!check.ok) {
      error.value = `Branch ${check.message}.`;
      return;
    }
    const task = app.workspace.tasks.value.find((t) => t.id === taskId);
    if (!task) return;
    error.value = '';
    signing.value = true;
    void model
      .requestPush(app.signing, { environmentId: task.environmentId, branch: name })
      // [V3] the Viber opens a task's document when the task's updatedAt moves.
      .then(() => app.workspace.patchTask(taskId, {}))
      .finally(() => (signing.value = false));
  }

  return (
    <form class="push-branch" onSubmit={submit} data-testid="push-form">
      <label for="push-branch-name">Push to branch</label>
      <div class="row push-row">
        <input
          id="push-branch-name"
          class="mono grow"
          value={branch}
          onInput={(ev) => {
            typed.value = ev.currentTarget.value;
            error.value = '';
          }}
          autoComplete="off"
          spellcheck={false}
          aria-invalid={error.value ? true : undefined}
          aria-describedby="push-state"
        />
        <button class="btn primary" type="submit" disabled={busy} data-testid="push-branch">
          Push branch
        </button>
      </div>
      {error.value && (
        <p class="field-error" role="alert" data-testid="push-error">
          {error.value}
        </p>
      )}
      <PushState push={push} refusal={refusal} viberId={viberId} />
    </form>
  );
}

function branchOf(push: Exclude<PushView, { state: 'none' }>): string {
  return push.state === 'requested' ? push.request.branch : push.result.branch;
}

function PushState({ push, refusal, viberId }: { push: PushView; refusal?: Refusal; viberId: string }) {
  const app = useApp();
  if (push.state === 'none') return <p id="push-state" class="hint" />;
  const branch = branchOf(push);
  const viber = app.vibers.views.value.get(viberId);
  let text: ComponentChildren;
  let state: string = push.state;
  if (refusal) {
    state = refusal.reason === 'unsigned' ? 'awaiting' : 'refused';
    text = (
      <>
        {refusal.reason === 'unsigned'
          ? `Awaiting approval: ${viber?.record.name ?? 'your Viber'} pushes to ${branch} only once you sign it.`
          : `Refused by ${viber?.record.name ?? 'your Viber'}: ${refusal.reason}. Nothing was pushed.`}{' '}
        <a href="#/trust">Review</a>
      </>
    );
  } else if (push.state === 'requested' || push.state === 'pushing') {
    if (app.store.state.value === 'offline') {
      state = 'queued';
      text = `Queued: this device is offline. The push to ${branch} is sent when it reconnects.`;
    } else if (viber && !viber.online) {
      state = 'queued';
      text = `Queued: ${viber.record.name} is offline and pushes to ${branch} when it is back.`;
    } else text = `Pushing to ${branch}…`;
  } else if (push.state === 'pushed') {
    text = (
      <>
        Pushed to <span class="mono">{branch}</span> as{' '}
        <span class="mono" data-testid="push-commit" title={push.result.commit}>
          {push.result.commit.slice(0, 12)}
        </span>
      </>
    );
  } else text = `Push to ${branch} failed: ${push.result.error || 'no reason given'}`;
  return (
    <p
      id="push-state"
      class={`push-state ${state}`}
      role="status"
      data-testid="push-state"
      data-state={state}
    >
      {text}
    </p>
  );
}
