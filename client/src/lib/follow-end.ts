// Output that follows the end, unless the reader scrolled up to read something.
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';

type Ref<T> = { current: T | null };

/** Within this many pixels of the bottom counts as "at the end". */
const AT_END_SLACK = 48;

/** Keeps `ref`'s scroll container at its end whenever `content` changes, while the user is at the end. */
export function useFollowEnd<T extends HTMLElement>(content: unknown, given?: Ref<T>) {
  const own = useRef<T>(null);
  const ref = given ?? own;
  const atEnd = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_END_SLACK;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, [ref.current]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  return ref;
}

/** Output trimmed at the front starts at the next line, never mid-line. */
export function fromLineStart(output: string, trimmed: boolean): string {
  if (!trimmed) return output;
  const nl = output.indexOf('\n');
  return nl === -1 ? output : output.slice(nl + 1);
}
