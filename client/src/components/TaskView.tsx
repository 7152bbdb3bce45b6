// A task: its conversation, each message's run with live output, cancel, archive.
import { useEffect, useRef } from 'preact/hooks';
import { tasksMap } from '@openviber/shared';
import { useApp, useModel } from '../app-context.ts';
import { createTaskModel } from '../models/task-model.ts';
import { bindingViews } from '../models/environment-status.ts';
import { Composer } from './Composer.tsx';
import { MessageItem } from './MessageItem.tsx';

export function TaskView({ taskId }: { taskId: string }) {
  const app = useApp();
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const model = useModel(
    () => createTaskModel(app.store, app.userId, taskId, task?.viberId ?? ''),
    [taskId, task?.viberId ?? ''],
  );
  const bottom = useRef<HTMLDivElement>(null);
  const messages = model.messages.value;
  const lastOutputLength = messages.length ? (messages[messages.length - 1].run?.output.length ?? 0) : 0;
  useEffect(() => bottom.current?.scrollIntoView({ block: 'end' }), [messages.length, lastOutputLength]);
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

  function send(text: string) {
    model.send(text);
    const title = task!.title === 'New task' ? text.split('\n')[0].slice(0, 80) : undefined;
    app.workspace.patchTask(task!.id, title ? { title } : {});
  }

  return (
    <div class="page" style="padding-bottom:0">
      <div class="page-head">
        <div class="grow">
          <input
            aria-label="Task title"
            style="font-size:18px;font-weight:600;border-color:transparent;background:transparent;padding:4px 6px;margin-left:-6px"
            value={task.title}
            onChange={(e) => {
              const title = e.currentTarget.value.trim();
              if (title && title !== task.title) app.workspace.patchTask(task.id, { title });
            }}
          />
          <p class="row wrap" style="gap:6px">
            <span>{env?.name ?? 'Deleted environment'}</span>·
            {viber ? (
              <span class="badge">
                <span class={`dot${viber.online ? ' on' : ''}`} /> {viber.record.name}{' '}
                {viber.online ? 'online' : 'offline'}
              </span>
            ) : (
              <span class="badge">no Viber</span>
            )}
            {archived && <span class="badge">archived</span>}
          </p>
        </div>
        <button
          class="btn"
          onClick={() => app.workspace.patchTask(task.id, { status: archived ? 'active' : 'archived' })}
          data-testid="archive"
        >
          {archived ? 'Unarchive' : 'Archive'}
        </button>
      </div>
      {!task.viberId && (
        <div class="callout warn">
          No Viber runs this task: its environment was not mapped when it was created.{' '}
          {candidates.length ? (
            candidates.map((c) => (
              <button
                key={c.binding.id}
                class="btn small"
                style="margin-left:6px"
                onClick={() => {
                  const map = tasksMap(app.workspace.doc).get(task.id);
                  if (map && typeof map === 'object' && 'set' in map)
                    (map as { set(k: string, v: unknown): void }).set('viberId', c.binding.viberId);
                }}
              >
                Run on {c.viber?.record.name ?? 'Viber'}
              </button>
            ))
          ) : env ? (
            <a href={`#/environments/${env.id}/mappings`}>Map {env.name} to a Viber</a>
          ) : null}
        </div>
      )}
      {viber && !viber.online && messages.some((m) => !m.run) && (
        <div class="callout">{viber.record.name} is offline: queued messages run when it comes back.</div>
      )}
      {!messages.length && (
        <div class="hero" style="padding:40px 10px">
          <h2 style="color:var(--text)">What should run?</h2>
          <p>
            {env?.agentCommand
              ? `Each message is handed to \`${env.agentCommand}\`.`
              : 'Each message runs as a bash command in the environment’s working directory.'}
          </p>
        </div>
      )}
      {messages.map((m) => (
        <MessageItem key={m.message.id} view={m} onCancel={() => model.cancel([m.message.id])} />
      ))}
      <div ref={bottom} />
      <Composer
        disabled={archived}
        onSend={send}
        placeholder={env?.agentCommand ? 'Message to the agent…' : 'A shell command, e.g. npm test'}
      />
    </div>
  );
}
