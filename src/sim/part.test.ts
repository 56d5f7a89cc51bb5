import { describe, expect, it } from 'vitest';
import { eagerPart, lazyPart, PartNotLoaded, withParts, type Part } from './part.ts';
import { parts } from './parts.ts';
import { parts as lazyParts, PART_COUNT } from './parts.lazy.ts';

describe('simulation parts loaded on demand', () => {
  it('a lazy part refuses get() until loaded, then answers the module, fetched once', async () => {
    let fetches = 0;
    const p = lazyPart('grep', async () => {
      fetches++;
      return { grep: (s: string) => s.toUpperCase() };
    });
    expect(() => p.get()).toThrow(PartNotLoaded);
    expect(() => p.get()).toThrow("the simulation's grep part is not loaded yet");
    await Promise.all([p.load(), p.load()]);
    expect(p.get().grep('kube')).toBe('KUBE');
    expect(fetches).toBe(1);
  });

  it('a failed fetch (offline) is tried again on the next load', async () => {
    let online = false;
    const p = lazyPart('shell', async () => {
      if (!online) throw new TypeError('Failed to fetch dynamically imported module');
      return 42;
    });
    await expect(p.load()).rejects.toThrow('Failed to fetch');
    online = true;
    await expect(p.load()).resolves.toBe(42);
  });

  it('withParts loads each part a call stops on and runs the call again, with the same answer', async () => {
    const a = lazyPart('a', async () => 1);
    const b = lazyPart('b', async () => 2);
    let runs = 0;
    const sum = await withParts(() => {
      runs++;
      return a.get() + b.get();
    }, 2);
    expect(sum).toBe(3);
    expect(runs).toBe(3);
  });

  it('withParts passes other errors on, and gives up past the number of parts', async () => {
    await expect(withParts(() => { throw new RangeError('bad'); }, 5)).rejects.toThrow(RangeError);
    // a part whose load does not make get() answer would loop: the bound stops it
    const stuck: Part<number> = {
      name: 'stuck',
      get: () => {
        throw new PartNotLoaded(stuck);
      },
      load: async () => 1,
    };
    await expect(withParts(() => stuck.get(), 2)).rejects.toThrow(PartNotLoaded);
  });

  it('Node has every part at once; the worker list names the same parts', () => {
    expect(Object.keys(lazyParts)).toEqual(Object.keys(parts));
    expect(PART_COUNT).toBe(Object.keys(parts).length);
    for (const [k, p] of Object.entries(parts)) {
      expect(p.get(), k).toBeTruthy();
      expect(lazyParts[k as keyof typeof parts].name).toBe(p.name);
    }
    expect(eagerPart('x', 7).get()).toBe(7);
  });

  it('every lazy part loads (the chunks the worker build makes exist)', async () => {
    for (const p of Object.values(lazyParts)) await expect(p.load()).resolves.toBeTruthy();
  });
});
