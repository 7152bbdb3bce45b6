// A view loaded with import() on first use (preact/compat's lazy without compat's weight): the
// environment editor is not needed for the first paint. The service worker precaches the chunk, but
// a page opened before it had (or a flaky network) can fail to load it: the view then says so and
// offers a reload (drafts are kept locally), instead of staying blank for the life of the page.
import { signal, type Signal } from '@preact/signals';
import type { ComponentType } from 'preact';

type State<P> = { view: ComponentType<P> } | { failed: string } | 'loading' | null;

/** Wraps `load` into a component that shows progress until the chunk is in, then the view. */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  const state: Signal<State<P>> = signal(null);
  const start = () => {
    state.value = 'loading';
    load().then(
      (view) => (state.value = { view }),
      (error: unknown) => (state.value = { failed: error instanceof Error ? error.message : String(error) }),
    );
  };
  return function LazyView(props: P) {
    const current = state.value;
    if (current === null) queueMicrotask(() => state.peek() === null && start());
    if (current && typeof current === 'object' && 'view' in current) {
      const View = current.view;
      return <View {...props} />;
    }
    if (current && typeof current === 'object')
      return (
        <div class="page" role="alert" data-testid="view-load-failed">
          <p>
            This view could not be loaded{navigator.onLine ? '' : ' (this device is offline)'}:{' '}
            <span class="wrap-anywhere">{current.failed}</span>
          </p>
          {/* A failed import() is remembered by the browser for the page's life: only a reload retries. */}
          <button class="btn" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      );
    return <div class="progress" role="progressbar" aria-label="Loading" />;
  };
}
