// A view loaded with import() on first use (preact/compat's lazy without compat's weight): the
// environment editor is not needed for the first paint. The service worker precaches the chunk.
import { signal, type Signal } from '@preact/signals';
import type { ComponentType } from 'preact';

/** Wraps `load` into a component that renders nothing until the chunk is in, then the view. */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  const loaded: Signal<ComponentType<P> | null> = signal(null);
  let started = false;
  return function LazyView(props: P) {
    if (!started) {
      started = true;
      void load().then((view) => (loaded.value = view));
    }
    const View = loaded.value;
    return View ? <View {...props} /> : null;
  };
}
