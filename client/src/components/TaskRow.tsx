// One task in the sidebar: title, last activity, Viber badge and run state.
import type { Task } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import { presenceDot, presenceWords } from '../lib/presence-words.ts';
import { routeHash } from '../models/router.ts';
import { StatusPill } from './StatusPill.tsx';

export function TaskRow({ task }: { task: Task }) {
  const app = useApp();
  const route = app.router.route.value;
  const viber = task.viberId ? app.vibers.views.value.get(task.viberId) : undefined;
  const run = task.viberId ? app.vibers.taskRun(task.viberId, task.id) : undefined;
  const active = route.view === 'task' && route.taskId === task.id;
  return (
    <a
      class={`task-row${active ? ' active' : ''}`}
      href={routeHash({ view: 'task', taskId: task.id })}
      data-testid="task-row"
    >
      <span class="title">{task.title}</span>
      <span class="meta">
        <span>{relativeTime(task.updatedAt)}</span>
        {viber ? (
          <span class="badge" title={`${viber.record.name}: ${presenceWords(viber.presence)}`}>
            <span class={presenceDot(viber.presence)} />
            {viber.record.name}
          </span>
        ) : (
          <span class="badge">no Viber</span>
        )}
        <span class="grow" />
        {run ? <StatusPill status={run.state} run /> : <span class="faint">idle</span>}
      </span>
    </a>
  );
}
