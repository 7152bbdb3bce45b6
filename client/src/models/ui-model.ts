// View state that is not the user's data: the current environment, the task search, the phone sheet, the theme.
import { computed, signal, effect, type ReadonlySignal } from '@preact/signals';
import type { Environment } from '@openviber/shared';

export type Theme = 'system' | 'light' | 'dark';

export function createUiModel(userId: string, environments: ReadonlySignal<Environment[]>) {
  const envKey = `openviber.currentEnv.${userId}`;
  const chosenEnvId = signal(localStorage.getItem(envKey) ?? '');
  /** The chosen environment if it still exists, else the first pinned one, else the first one. */
  const currentEnv = computed<Environment | undefined>(() => {
    const envs = environments.value;
    return envs.find((e) => e.id === chosenEnvId.value) ?? envs.find((e) => e.pinned) ?? envs[0];
  });
  const search = signal('');
  const sheetOpen = signal(false);
  const theme = signal<Theme>((localStorage.getItem('openviber.theme') as Theme | null) ?? 'system');
  const stopTheme = effect(() => {
    localStorage.setItem('openviber.theme', theme.value);
    if (theme.value === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme.value;
  });
  return {
    currentEnv,
    search,
    sheetOpen,
    theme,
    selectEnv(id: string) {
      chosenEnvId.value = id;
      localStorage.setItem(envKey, id);
    },
    dispose: stopTheme,
  };
}

export type UiModel = ReturnType<typeof createUiModel>;
