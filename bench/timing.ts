/** What every benchmark here reports: the median of timed runs after untimed warm-up ones. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median ms of `runs` timed calls of `f` after `warm` untimed ones; `setup` (outside the timing)
 * makes each call's fresh input. `performance.now()` around the call only.
 */
export function timeEach<S>(runs: number, warm: number, setup: () => S, f: (s: S) => void): number {
  for (let i = 0; i < warm; i++) f(setup());
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = setup();
    const t0 = performance.now();
    f(s);
    xs.push(performance.now() - t0);
  }
  return +median(xs).toFixed(4);
}

/** Median ms of `runs` calls of `f` after `warm` untimed ones. */
export function time(runs: number, warm: number, f: () => void): number {
  return timeEach(runs, warm, () => undefined, f);
}
