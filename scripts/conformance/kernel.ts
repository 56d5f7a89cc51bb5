import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The real kernel's side of the conformance suite: run the exported script, run commands inside
 * the namespaces it made, capture frames with tcpdump. Every command here names one of the
 * lab's namespaces; nothing runs in the namespace the suite itself runs in.
 */

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv (no shell), bounded by a timeout; never throws on a non-zero exit. */
export function run(argv: readonly string[], timeoutMs = 10_000, input?: string): Run {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, input, maxBuffer: 64 << 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${argv[0]} is not installed`);
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export class Lab {
  private readonly dir = mkdtempSync(join(tmpdir(), 'kplc-'));
  private readonly script: string;
  private readonly captures = new Set<Capture>();

  constructor(
    scriptText: string,
    /** every namespace the script makes: the only ones this lab touches */
    readonly namespaces: readonly string[],
  ) {
    this.script = join(this.dir, 'lab.sh');
    writeFileSync(this.script, scriptText);
  }

  /** when `up` returned (ms since the epoch) */
  private upAt = 0;

  up(): Run {
    const r = run(['bash', this.script, 'up'], 60_000);
    this.upAt = Date.now();
    return r;
  }

  /** Waits, without spinning, until `ms` have passed since the lab came up. */
  settle(ms: number): void {
    const left = this.upAt + ms - Date.now();
    if (left > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, left);
  }

  teardown(): void {
    for (const c of this.captures) c.kill();
    this.captures.clear();
    run(['bash', this.script, 'teardown'], 30_000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private check(ns: string): void {
    if (!this.namespaces.includes(ns)) throw new Error(`${ns} is not one of this lab's namespaces`);
  }

  /** `ip netns exec NS argv…` */
  exec(ns: string, argv: readonly string[], timeoutMs = 10_000): Run {
    this.check(ns);
    return run(['ip', 'netns', 'exec', ns, ...argv], timeoutMs);
  }

  /** `ip -n NS args…` (and `bridge -n NS …`) */
  ip(ns: string, args: readonly string[], tool: 'ip' | 'bridge' = 'ip'): string {
    this.check(ns);
    const r = run([tool, '-n', ns, ...args]);
    if (r.status !== 0) throw new Error(`${tool} -n ${ns} ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Starts tcpdump on one device; resolves once it listens. */
  async capture(ns: string, dev: string, filter: readonly string[] = []): Promise<Capture> {
    this.check(ns);
    const file = join(this.dir, `cap-${this.captures.size}-${dev.replace(/[^a-z0-9.]/gi, '_')}.pcap`);
    const c = new Capture(ns, dev, file, filter);
    this.captures.add(c);
    await c.started;
    return c;
  }

  async stop(c: Capture): Promise<Uint8Array> {
    const bytes = await c.stop();
    this.captures.delete(c);
    return bytes;
  }
}

export class Capture {
  private readonly child;
  readonly started: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(
    readonly ns: string,
    readonly dev: string,
    private readonly file: string,
    filter: readonly string[],
  ) {
    // --immediate-mode and -U: each packet reaches the file as it arrives; -s 0: whole frames; -n: no name lookups
    this.child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '--immediate-mode', '-i', dev, '-n', '-U', '-s', '0', '-w', file, ...filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.started = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump on ${ns}/${dev} did not start: ${err}`)), 5000);
      this.child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`tcpdump on ${ns}/${dev} exited: ${err}`));
      });
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  async stop(): Promise<Uint8Array> {
    // let the last frames reach the file before tcpdump is told to finish
    await new Promise((r) => setTimeout(r, 150));
    this.child.kill('SIGINT');
    await this.exited;
    return new Uint8Array(readFileSync(this.file));
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Splits a classic pcap file into its frames. */
export function pcapFrames(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < 24) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const frames: Uint8Array[] = [];
  for (let off = 24; off + 16 <= bytes.length; ) {
    const incl = view.getUint32(off + 8, le);
    frames.push(bytes.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return frames;
}

/** Namespaces of ours left from an earlier run that was killed hard. */
export function leftoverNamespaces(prefix: string): string[] {
  const r = run(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
}
