import { useSyncExternalStore } from 'react';

const lists = new Map<string, MediaQueryList>();
const list = (query: string) => {
  let m = lists.get(query);
  if (!m) lists.set(query, (m = window.matchMedia(query)));
  return m;
};

/** Whether a CSS media query matches now, re-rendering when it starts or stops matching. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = list(query);
      m.addEventListener('change', cb);
      return () => m.removeEventListener('change', cb);
    },
    () => list(query).matches,
    () => false,
  );
}
