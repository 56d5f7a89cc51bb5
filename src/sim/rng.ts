/**
 * The simulation's only source of randomness: a seeded PRNG (mulberry32), so a trace is
 * reproducible from (spec, modes, flow, seed). The sim never reads Math.random() or the clock.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 2^32) */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Starts the stream over from another seed (a new draw of the same cluster's traffic). */
  reseed(seed: number): void {
    this.state = seed >>> 0;
  }

  /** uniform integer in [min, max] */
  int(min: number, max: number): number {
    return min + (this.nextU32() % (max - min + 1));
  }
}
