// The task's title as the page heading (up to two lines, then an ellipsis; the full title on hover),
// or, while `editing`, a field to rename it. The Rename button sits with the task's other actions.
import type { Signal } from '@preact/signals';
import type { Task } from '@openviber/shared';
import { useApp } from '../app-context.ts';

export function TaskTitle({ task, editing }: { task: Task; editing: Signal<boolean> }) {
  const app = useApp();
  if (editing.value)
    return (
      <form
        class="row task-title"
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem('title') as HTMLInputElement;
          const title = input.value.trim();
          if (title && title !== task.title) app.workspace.patchTask(task.id, { title });
          editing.value = false;
        }}
      >
        <input
          name="title"
          aria-label="Task title"
          defaultValue={task.title}
          autoFocus
          onKeyDown={(e) => e.key === 'Escape' && (editing.value = false)}
        />
        <button class="btn primary" type="submit">
          Save
        </button>
        <button class="btn ghost" type="button" onClick={() => (editing.value = false)}>
          Cancel
        </button>
      </form>
    );
  return (
    <h1 class="task-title clamp-2" title={task.title}>
      {task.title}
    </h1>
  );
}
