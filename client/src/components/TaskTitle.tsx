// The task's title as the page heading, with a Rename button that turns it into a field.
import { useSignal } from '@preact/signals';
import type { Task } from '@openviber/shared';
import { useApp } from '../app-context.ts';

export function TaskTitle({ task }: { task: Task }) {
  const app = useApp();
  const editing = useSignal(false);
  if (editing.value)
    return (
      <form
        class="row"
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
        <button class="btn primary small" type="submit">
          Save
        </button>
      </form>
    );
  return (
    <div class="row task-title">
      <h1 class="grow truncate" title={task.title}>
        {task.title}
      </h1>
      <button class="btn ghost small" onClick={() => (editing.value = true)} aria-label="Rename task">
        Rename
      </button>
    </div>
  );
}
