// A task: its conversation, each message's run with live output, cancel, archive (with undo).
// Long timelines are windowed: the latest messages render, earlier ones on request.
import { useSignal } from '@preact/signals';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { taskDocName, tasksMap, titleFromMessage } from '@openviber/shared';
import { useApp, useModel } from '../app-context.ts';
import { useFollowEnd } from '../lib/follow-end.ts';
import { presenceDot, presenceWords } from '../lib/presence-words.ts';
import { composerDraftId } from '../models/composer-draft.ts';
import { createTaskModel } from '../models/task-model.ts';
import { bindingViews, environmentPill } from '../models/environment-status.ts';
import { Composer } from './Composer.tsx';
import { EnvErrorWarning } from './EnvErrorWarning.tsx';
import { MessageItem } from './MessageItem.tsx';
import { StatusPill } from './StatusPill.tsx';
import { TaskTitle } from './TaskTitle.tsx';
import { lazyView } from './LazyView.tsx';

// The changes card (and its diff library) is not needed for the first paint.
const TaskChanges = lazyView(() => import('./TaskChanges.tsx').then((m) => m.TaskChanges));

/** How many of the latest messages render at first; "Show earlier" adds this many more. */
export const MESSAGE_WINDOW = 50;

export function TaskView({ taskId }: { taskId: string }) {
  const app = useApp();
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const model = useModel(
    () =>
      createTaskModel(app.store, app.userId, taskId, task?.viberId ?? '', {
        signing: app.signing,
        outbox: app.outbox,
        environmentId: task?.environmentId ?? '',
      }),
    [taskId, task?.viberId ?? '', task?.environmentId ?? ''],
  );
  const refusedHere = app.refusals.value.get(taskDocName(app.userId, taskId));
  const shown = useSignal(MESSAGE_WINDOW);
  const renaming = useSignal(false);
  const page = useRef<HTMLDivElement>(null);
  const main = useRef<HTMLElement | null>(null);
  useLayoutEffect(() => {
    main.current = page.current?.closest<HTMLElement>('.main') ?? null;
  }, []);
  const messages = model.messages.value;
  const last = messages.length ? messages[messages.length - 1] : undefined;
  // The page follows the conversation's end (new messages, the last run's output) unless scrolled up.
  useFollowEnd(`${messages.length}:${last?.run?.output.length ?? 0}:${last?.run?.state ?? ''}`, main);
  if (!task) {
    return (
      <div class="page">
        <div class="callout warn">
          This task does not exist here (yet). If it was created on another device, it appears once synced.
        </div>
      </div>
    );
  }
  const env = app.workspace.environments.value.find((e) => e.id === task.environmentId);
  const viber = task.viberId ? app.vibers.views.value.get(task.viberId) : undefined;
  const candidates = env ? bindingViews(env, app.workspace.bindings.value, app.vibers.views.value) : [];
  const archived = task.status === 'archived';
  const browserOffline = !app.store.browserOnline.value;
  const queued = messages.some((m) => !m.run && !m.cancelRequested);
  const start = Math.max(0, messages.length - shown.value);

  function send(text: string) {
    // The outbox bumps the task for its Viber once the message is written ([V3]); a bump here, before
    // the signature, would only send the Viber to look at a task with nothing new yet.
    void model.send(text);
    if (task!.title === 'New task') app.workspace.patchTask(task!.id, { title: titleFromMessage(text) });
  }

  function toggleArchive() {
    const next = archived ? 'active' : 'archived';
    app.workspace.patchTask(task!.id, { status: next });
    if (next === 'archived')
      app.confirm.offerUndo('Task archived.', () => app.workspace.patchTask(task!.id, { status: 'active' }));
  }

  return (
    <div class="page task-page" ref={page}>
      <div class="page-head task-head">
        <div class="grow">
          <TaskTitle task={task} editing={renaming} />
          <p class="row wrap task-meta">
            <span class="truncate">{env?.name ?? 'Deleted environment'}</span>
            {env && <StatusPillFor env={env} />}
            {viber ? (
              <span class="badge" data-testid="viber-badge">
                <span class={presenceDot(viber.presence)} /> {viber.record.name}
                {viber.presence === 'unknown' ? ': ' : ' '}
                {presenceWords(viber.presence)}
              </span>
            ) : (
              <span class="badge">no Viber</span>
            )}
            {archived && <span class="badge">archived</span>}
          </p>
        </div>
        {/* Beside the title on a desktop, below it on a phone, so the title keeps the full width. */}
        <div class="task-actions">
          {!renaming.value && (
            <button class="btn ghost" onClick={() => (renaming.value = true)} aria-label="Rename task">
              Rename
            </button>
          )}
          <button class="btn" onClick={toggleArchive} data-testid="archive">
            {archived ? 'Unarchive' : 'Archive'}
          </button>
        </div>
      </div>
      {env && <EnvErrorWarning env={env} />}
      {!task.viberId && (
        <div class="callout warn">
          No Viber runs this task: its environment was not mapped when it was created.{' '}
          {candidates.length ? (
            candidates.map((c) => (
              <button
                key={c.binding.id}
                class="btn small inline-action"
                onClick={() =>
                  void model.runOn(c.binding.viberId, () => {
                    const map = tasksMap(app.workspace.doc).get(task.id);
                    if (map && typeof map === 'object' && 'set' in map)
                      (map as { set(k: string, v: unknown): void }).set('viberId', c.binding.viberId);
                  })
                }
              >
                Run on {c.viber?.record.name ?? 'Viber'}
              </button>
            ))
          ) : env ? (
            <a href={`#/environments/${env.id}/mappings`}>Map {env.name} to a Viber</a>
          ) : null}
        </div>
      )}
      {browserOffline ? (
        <div class="callout" role="status" data-testid="offline-note">
          This device is offline. New messages are saved here and sent when it reconnects; what the Viber is
          doing shows up then.
        </div>
      ) : (
        viber &&
        !viber.online &&
        queued && (
          <div class="callout" role="status" data-testid="offline-note">
            {viber.record.name} is offline: queued messages run when it comes back.
          </div>
        )
      )}
      {!messages.length && (
        <div class="hero task-hero">
          <h2>What should run?</h2>
          <p>
            {env?.agentCommand
              ? `Each message is handed to \`${env.agentCommand}\`.`
              : 'Each message runs as a bash command in the environment’s working directory.'}
          </p>
        </div>
      )}
      {start > 0 && (
        <button
          class="btn block show-earlier"
          onClick={() => (shown.value += MESSAGE_WINDOW)}
          data-testid="show-earlier"
        >
          Show {Math.min(start, MESSAGE_WINDOW)} earlier message
          {Math.min(start, MESSAGE_WINDOW) === 1 ? '' : 's'} ({start} hidden)
        </button>
      )}
      {messages.slice(start).map((m) => (
        <MessageItem
          key={m.message.id}
          view={m}
          onCancel={model.cancel}
          refusal={viber?.refusals.find((r) => r.kind === 'message' && r.id === `${task.id}/${m.message.id}`)}
        />
      ))}
      {task.viberId && <TaskChanges taskId={task.id} title={task.title} viberId={task.viberId} />}
      {refusedHere && (
        // [S11a] The server refuses this task's document for now: what is sent waits on this device.
        // Above the composer, where the user is looking after sending (the view follows the newest).
        <div class="callout warn wrap-anywhere" role="status" data-testid="refused-note">
          The server refused this task’s messages for now: {refusedHere}. New messages are saved here and sent
          once it lets them in; the app keeps trying.
        </div>
      )}
      <Composer
        draftId={composerDraftId(task.id)}
        disabled={archived}
        onSend={send}
        autoFocus={matchMedia('(pointer: fine)').matches}
        placeholder={env?.agentCommand ? 'Message to the agent…' : 'A shell command, e.g. npm test'}
      />
    </div>
  );
}

function StatusPillFor({ env }: { env: Parameters<typeof environmentPill>[0] }) {
  const app = useApp();
  const pill = environmentPill(env, app.workspace.bindings.value, app.vibers.views.value);
  return pill === 'Ready' ? null : <StatusPill status={pill} />;
}
