// Phone width: environment management opens as a bottom sheet over the task list.
import { useApp } from '../app-context.ts';
import { EnvironmentList } from './EnvironmentList.tsx';

export function EnvironmentSheet() {
  const app = useApp();
  const close = () => (app.ui.sheetOpen.value = false);
  return (
    <div class="phone-only">
      <div class="sheet-backdrop" onClick={close} />
      <div class="sheet" role="dialog" aria-label="Environments">
        <div class="sheet-grip" />
        <div class="env-section">
          <EnvironmentList onNavigate={close} />
        </div>
        <button
          class="btn block sheet-action"
          onClick={() => {
            close();
            app.router.go({ view: 'vibers' });
          }}
        >
          Vibers · Add a Viber
        </button>
      </div>
    </div>
  );
}
