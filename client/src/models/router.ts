// Where the user is, kept in the URL hash so reloads (online or offline) land on the same view.
import { signal } from '@preact/signals';

export type Route =
  | { view: 'home' }
  | { view: 'task'; taskId: string }
  | { view: 'task-new' }
  | { view: 'env-new' }
  | { view: 'env-edit'; envId: string }
  | { view: 'mappings'; envId: string }
  | { view: 'vibers' }
  | { view: 'trust' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'task' && parts[1] === 'new') return { view: 'task-new' };
  if (parts[0] === 'task' && parts[1]) return { view: 'task', taskId: parts[1] };
  if (parts[0] === 'environments' && parts[1] === 'new') return { view: 'env-new' };
  if (parts[0] === 'environments' && parts[1] && parts[2] === 'mappings')
    return { view: 'mappings', envId: parts[1] };
  if (parts[0] === 'environments' && parts[1]) return { view: 'env-edit', envId: parts[1] };
  if (parts[0] === 'vibers') return { view: 'vibers' };
  if (parts[0] === 'trust') return { view: 'trust' };
  return { view: 'home' };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'task':
      return `#/task/${route.taskId}`;
    case 'task-new':
      return '#/task/new';
    case 'env-new':
      return '#/environments/new';
    case 'env-edit':
      return `#/environments/${route.envId}`;
    case 'mappings':
      return `#/environments/${route.envId}/mappings`;
    case 'vibers':
      return '#/vibers';
    case 'trust':
      return '#/trust';
  }
}

/** The current route as a signal, following the hash. */
export function createRouter() {
  const route = signal<Route>(parseRoute(location.hash));
  window.addEventListener('hashchange', () => {
    route.value = parseRoute(location.hash);
  });
  return {
    route,
    go(next: Route) {
      const hash = routeHash(next);
      if (location.hash !== hash) location.hash = hash;
      route.value = next;
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
