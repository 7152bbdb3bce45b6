// The signed-in app's models, handed to components through context.
import { createContext } from 'preact';
import { useContext, useEffect, useMemo } from 'preact/hooks';
import type { AppModel } from './models/app-model.ts';

export const AppContext = createContext<AppModel | null>(null);

export function useApp(): AppModel {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside a signed-in app');
  return app;
}

/** Creates a model for as long as the component is mounted with these deps, and disposes it after. */
export function useModel<T extends { dispose(): void }>(factory: () => T, deps: unknown[]): T {
  const model = useMemo(factory, deps);
  useEffect(() => () => model.dispose(), [model]);
  return model;
}
