// With nothing open: the next steps for a new user; once every step is done the checklist goes, and
// home is a nudge to pick a task or start one.
import { useApp } from '../app-context.ts';
import { startNewTask } from '../models/new-task.ts';
import { SetupChecklist, useSetupSteps } from './SetupChecklist.tsx';

export function HomeView() {
  const app = useApp();
  const allDone = useSetupSteps().every((s) => s.done);
  return (
    <div class="page">
      <div class="hero">
        <h1>{allDone ? 'Pick a task, or start a new one' : 'Get set up in four steps'}</h1>
        <p>Everything here works offline and syncs when you are back online.</p>
        {allDone ? (
          <button class="btn primary" onClick={() => startNewTask(app)}>
            + New Task
          </button>
        ) : (
          <SetupChecklist />
        )}
      </div>
    </div>
  );
}
