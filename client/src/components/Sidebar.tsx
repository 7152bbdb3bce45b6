// Environment first: switcher with its status and New Task on top, then the tasks, then environments, then health.
import { useApp } from '../app-context.ts';
import { startNewTask } from '../models/new-task.ts';
import { EnvSwitcher } from './EnvSwitcher.tsx';
import { EnvironmentList } from './EnvironmentList.tsx';
import { SetupChecklist, useSetupSteps } from './SetupChecklist.tsx';
import { SidebarFooter } from './SidebarFooter.tsx';
import { SyncIndicator } from './SyncIndicator.tsx';
import { SyncBanners } from './SyncBanners.tsx';
import { TaskList } from './TaskList.tsx';

export function Sidebar() {
  const app = useApp();
  const setUp = useSetupSteps().every((s) => s.done);
  return (
    <aside class="sidebar">
      <div class="sidebar-top">
        <div class="row">
          <div class="brand">
            <img src="/favicon.svg" alt="" /> OpenViber
          </div>
          <SyncIndicator />
        </div>
        <EnvSwitcher />
        <button class="btn primary block" onClick={() => startNewTask(app)} data-testid="new-task">
          + New Task
        </button>
        <input
          type="search"
          placeholder="Search tasks"
          aria-label="Search tasks"
          value={app.ui.search.value}
          onInput={(e) => (app.ui.search.value = e.currentTarget.value)}
        />
      </div>
      <div class="sidebar-scroll">
        <div class="phone-only">
          <SyncBanners />
        </div>
        {!setUp && (
          <div class="phone-only first-steps">
            <div class="group-label">First steps</div>
            <SetupChecklist compact />
          </div>
        )}
        <TaskList />
        <div class="env-section">
          <EnvironmentList />
        </div>
        <div class="phone-only sheet-opener">
          <button class="btn block" onClick={() => (app.ui.sheetOpen.value = true)}>
            Environments & mappings
          </button>
        </div>
      </div>
      <SidebarFooter />
    </aside>
  );
}
