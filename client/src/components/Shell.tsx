// The app frame: sidebar and main view side by side; on a phone, the sidebar is the home screen and views open over it.
import { useEffect } from 'preact/hooks';
import { useApp } from '../app-context.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { EnvironmentSheet } from './EnvironmentSheet.tsx';
import { UndoToast } from './UndoToast.tsx';
import { HomeView } from './HomeView.tsx';
import { lazyView } from './LazyView.tsx';
import { NewTaskView } from './NewTaskView.tsx';
import { Sidebar } from './Sidebar.tsx';
import { SyncBanners } from './SyncBanners.tsx';
import { SyncIndicator } from './SyncIndicator.tsx';
import { TaskView } from './TaskView.tsx';
import { TrustBanner } from './TrustBanner.tsx';

const TrustView = lazyView(() => import('./TrustView.tsx').then((m) => m.TrustView));

const EnvironmentEditor = lazyView(() => import('./EnvironmentEditor.tsx').then((m) => m.EnvironmentEditor));
// Mappings and Vibers (with onboarding) are not the first screen: loaded on first use, so the
// initial JS stays under its 100 KB budget (client/e2e/pwa.test.ts).
const MappingsView = lazyView(() => import('./MappingsView.tsx').then((m) => m.MappingsView));
const VibersView = lazyView(() => import('./VibersView.tsx').then((m) => m.VibersView));

export function Shell() {
  const app = useApp();
  const route = app.router.route.value;
  // Environment first: editing or mapping an environment makes it the current one.
  const routeEnv = route.view === 'env-edit' || route.view === 'mappings' ? route.envId : '';
  useEffect(() => {
    if (routeEnv && app.workspace.environments.peek().some((e) => e.id === routeEnv))
      app.ui.selectEnv(routeEnv);
  }, [routeEnv, app.workspace.ready.value]);
  if (!app.workspace.ready.value || !app.draftsReady.value) {
    return (
      <div class="center">
        <div class="hint opening">
          <div class="progress" role="progressbar" aria-label="Opening" />
          Opening your workspace…
        </div>
      </div>
    );
  }
  let view;
  switch (route.view) {
    case 'task':
      view = <TaskView key={route.taskId} taskId={route.taskId} />;
      break;
    case 'task-new':
      view = <NewTaskView />;
      break;
    case 'env-new':
      view = <EnvironmentEditor key="new" envId={null} />;
      break;
    case 'env-edit':
      view = <EnvironmentEditor key={route.envId} envId={route.envId} />;
      break;
    case 'mappings':
      view = <MappingsView key={route.envId} envId={route.envId} />;
      break;
    case 'vibers':
      view = <VibersView />;
      break;
    case 'trust':
      view = <TrustView />;
      break;
    default:
      view = <HomeView />;
  }
  return (
    <div class={`shell ${route.view === 'home' ? '' : 'show-main'}`}>
      <Sidebar />
      <main class="main">
        <div class="topbar">
          <button
            class="btn ghost small"
            onClick={() => app.router.go({ view: 'home' })}
            aria-label="Back to tasks"
          >
            ← Tasks
          </button>
          <span class="grow" />
          <SyncIndicator />
        </div>
        <SyncBanners />
        {route.view !== 'trust' && <TrustBanner />}
        {view}
      </main>
      {app.ui.sheetOpen.value && <EnvironmentSheet />}
      <ConfirmDialog />
      <UndoToast />
    </div>
  );
}
