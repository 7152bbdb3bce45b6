// A popup closes on Escape, on a click or tap outside it, and when the view changes.
import type { Signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';

/** Returns the ref of the popup's root; sets `open` to false on Escape / outside pointer / route change. */
export function useDismiss<T extends HTMLElement>(open: Signal<boolean>) {
  const root = useRef<T>(null);
  useEffect(() => {
    if (!open.value) return;
    const close = () => (open.value = false);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      close();
      root.current?.querySelector<HTMLElement>('[aria-haspopup]')?.focus();
    };
    const onPointer = (e: PointerEvent) => !root.current?.contains(e.target as Node) && close();
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    window.addEventListener('hashchange', close);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('hashchange', close);
    };
  }, [open.value]);
  return root;
}
