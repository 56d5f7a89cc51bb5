/**
 * A part of the simulation that the first trace of the default lab does not need (the shell
 * behind the terminal, the YAML reader and writer, nftables, the derived cluster files), so the
 * browser's worker can fetch it on demand while Node has it at once.
 *
 * The core stays synchronous: it asks `part.get()` where it needs one. Node's users (the CLI,
 * the tests, the scripts) import `parts.ts`, where every part is already there. The worker's
 * build swaps in `parts.lazy.ts` (vite.config.ts), where `get()` throws {@link PartNotLoaded}
 * until `load()` has fetched the chunk; {@link withParts} then loads it and runs the call again.
 */
export interface Part<T> {
  readonly name: string;
  /** the module, or PartNotLoaded when it has not been fetched yet */
  get(): T;
  load(): Promise<T>;
}

/** Thrown by a lazy part's `get()` before its chunk is loaded; carries the part to load. */
export class PartNotLoaded extends Error {
  constructor(readonly part: Part<unknown>) {
    super(`the simulation's ${part.name} part is not loaded yet`);
    this.name = 'PartNotLoaded';
  }
}

/** A part that is there from the start (Node: a static import). */
export function eagerPart<T>(name: string, module: T): Part<T> {
  return { name, get: () => module, load: () => Promise.resolve(module) };
}

/** A part fetched by `importer` on first `load()`; a failed fetch may be tried again. */
export function lazyPart<T>(name: string, importer: () => Promise<T>): Part<T> {
  let module: T | undefined;
  let pending: Promise<T> | undefined;
  const part: Part<T> = {
    name,
    get() {
      if (module === undefined) throw new PartNotLoaded(part);
      return module;
    },
    load() {
      if (module !== undefined) return Promise.resolve(module);
      pending ??= importer().then(
        (m) => (module = m),
        (e: unknown) => {
          pending = undefined;
          throw e;
        },
      );
      return pending;
    },
  };
  return part;
}

/**
 * Runs a synchronous core call, loading each part it turns out to need and running it again
 * (the core rebuilds its cluster from the request on every call, so a run cut short leaves
 * nothing behind). Bounded: a call can stop at most once per part.
 */
export async function withParts<T>(call: () => T, parts: number): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return call();
    } catch (e) {
      if (!(e instanceof PartNotLoaded) || tries >= parts) throw e;
      await e.part.load();
    }
  }
}
