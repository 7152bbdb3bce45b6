// A popup closes on Escape, on a click or tap outside it, and when the view changes.
import type { Signal } from '@preact/signals';
import { useLayoutEffect, useRef } from 'preact/hooks';

/** Returns the ref of the popup's root; sets `open` to false on Escape / outside pointer / route change. */
export function useDismiss<T extends HTMLElement>(open: Signal<boolean>) {
  const root = useRef<T>(null);
  // The listeners exist for as long as the popup's owner is mounted and act only while it is open: an
  // Escape pressed right after opening (before the menu has rendered, or before a useEffect would
  // have run after paint) is not lost.
  useLayoutEffect(() => {
    const close = () => {
      if (open.peek()) open.value = false;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !open.peek()) return;
      close();
      root.current?.querySelector<HTMLElement>('[aria-haspopup]')?.focus();
    };
    const onPointer = (e: PointerEvent) => {
      if (open.peek() && !root.current?.contains(e.target as Node)) close();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    window.addEventListener('hashchange', close);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('hashchange', close);
    };
  }, [open]);
  return root;
}
