// With nothing open: the next steps for a new user, or a nudge to pick a task.
import { SetupChecklist, useSetupSteps } from './SetupChecklist.tsx';

export function HomeView() {
  const allDone = useSetupSteps().every((s) => s.done);
  return (
    <div class="page">
      <div class="hero">
        <h1>{allDone ? 'Pick a task, or start a new one' : 'Get set up in four steps'}</h1>
        <p>Everything here works offline and syncs when you are back online.</p>
        <SetupChecklist />
      </div>
    </div>
  );
}
