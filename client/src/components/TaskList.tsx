// The current environment's tasks, filtered by the search and grouped Today / Last 7 days / Older / Archived.
import { useApp } from '../app-context.ts';
import { startOfDay } from '../lib/format.ts';
import { TaskRow } from './TaskRow.tsx';
import type { Task } from '@openviber/shared';

export function TaskList() {
  const app = useApp();
  const env = app.ui.currentEnv.value;
  const q = app.ui.search.value.trim().toLowerCase();
  const tasks = app.workspace.tasks.value.filter(
    (t) => t.environmentId === env?.id && (!q || t.title.toLowerCase().includes(q)),
  );
  const today = startOfDay();
  const week = today - 6 * 86_400_000;
  const groups: [string, Task[]][] = [
    ['Today', tasks.filter((t) => t.status !== 'archived' && t.updatedAt >= today)],
    [
      'Last 7 days',
      tasks.filter((t) => t.status !== 'archived' && t.updatedAt < today && t.updatedAt >= week),
    ],
    ['Older', tasks.filter((t) => t.status !== 'archived' && t.updatedAt < week)],
    ['Archived', tasks.filter((t) => t.status === 'archived')],
  ];
  if (!env) return <p class="empty">Create an environment to start tasks in it.</p>;
  if (!tasks.length)
    return (
      // An environment's name or a search can be one long word: it wraps anywhere, never overflows.
      <p class="empty wrap-anywhere">
        {q
          ? `No task matches “${app.ui.search.value}”.`
          : `No tasks in ${env.name} yet. Start one with New Task.`}
      </p>
    );
  return (
    <nav aria-label="Tasks">
      {groups
        .filter(([, list]) => list.length)
        .map(([label, list]) => (
          <section key={label}>
            <div class="group-label">{label}</div>
            {list.map((t) => (
              <TaskRow key={t.id} task={t} />
            ))}
          </section>
        ))}
    </nav>
  );
}
