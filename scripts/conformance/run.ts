/**
 * `npm run conformance`: builds the seed cluster and generated clusters twice — in the kernel
 * model and, through `export --netns`, in real network namespaces on this machine — runs the
 * same probes on both, and reports every fact on which they disagree. A disagreement not in
 * known-differences.ts fails the run. Needs root and the Debian tools .ci/run installs.
 *
 *   npm run conformance [-- --clusters 5] [-- --only seed] [-- --verbose]
 */
import { loadScenario } from '../../src/sim/api.ts';
import { netnsScript } from '../../src/sim/export/netns-script.ts';
import { Checker, type Finding } from './check.ts';
import { suiteClusters, type SuiteCluster } from './clusters.ts';
import { Lab, leftoverNamespaces, run } from './kernel.ts';
import { KNOWN_DIFFERENCES } from './known-differences.ts';
import { Probe } from './probe.ts';
import { stateProbes } from './state-probes.ts';
import { trafficProbes, UNAVAILABLE } from './traffic-probes.ts';

/** Everything the run creates on the real kernel carries this prefix; KPL_CONFORMANCE_PREFIX lets two runs share a machine. */
const PREFIX = process.env.KPL_CONFORMANCE_PREFIX ?? 'kplc';
if (!/^[a-z][a-z0-9]{1,7}$/.test(PREFIX)) throw new Error(`KPL_CONFORMANCE_PREFIX must be 2-8 lowercase letters or digits, got ${JSON.stringify(PREFIX)}`);
const TOOLS = ['ip', 'bridge', 'iptables-save', 'iptables-restore', 'socat', 'ethtool', 'tcpdump', 'conntrack', 'ping', 'traceroute', 'ss', 'python3', 'busybox'];

function args(): { clusters: number; only?: string; verbose: boolean } {
  const a = process.argv.slice(2);
  const n = a.indexOf('--clusters');
  const o = a.indexOf('--only');
  return { clusters: n >= 0 ? Number(a[n + 1]) : 20, only: o >= 0 ? a[o + 1] : undefined, verbose: a.includes('--verbose') };
}

/** Outside CI a machine without root or the tools skips with a clear word; in CI that is a failure. */
function preflight(): boolean {
  const ci = !!process.env.CI;
  const missing = TOOLS.filter((t) => run(['sh', '-c', `command -v ${t}`]).status !== 0);
  const why = process.getuid?.() !== 0 ? 'it must run as root (it creates network namespaces)' : missing.length ? `these tools are missing: ${missing.join(', ')} (.ci/run installs them)` : undefined;
  if (!why) return true;
  if (ci) {
    console.error(`conformance: cannot run: ${why}`);
    process.exit(1);
  }
  console.log(`conformance: skipped — ${why}`);
  process.exit(0);
}

let current: Lab | undefined;

function cleanupAndExit(code: number): never {
  current?.teardown();
  current = undefined;
  process.exit(code);
}

async function runCluster(sc: SuiteCluster): Promise<Checker> {
  const ck = new Checker(sc.name);
  const built = loadScenario({ cluster: sc.yaml, modes: { backend: sc.backend, proxy: sc.proxy ?? 'iptables' }, seed: sc.seed, before: [] });
  if (!built.ok) throw new Error(`${sc.name}: ${built.error.where}: ${built.error.message}`);
  const c = built.value;
  const script = netnsScript(c.world, { prefix: PREFIX, about: [`conformance: ${sc.name}`] });
  if (!script.ok) throw new Error(`${sc.name}: export: ${script.error}`);
  const lab = new Lab(script.value.text, script.value.namespaces);
  current = lab;
  try {
    const up = lab.up();
    if (up.status !== 0) throw new Error(`${sc.name}: the exported script failed: ${up.stderr.trim()}`);
    const p = new Probe(c, lab, script.value.names, ck);
    stateProbes(p, 'before traffic');
    await trafficProbes(p);
    stateProbes(p, 'after traffic');
  } finally {
    lab.teardown();
    current = undefined;
  }
  return ck;
}

function summary(all: Checker[], verbose: boolean): number {
  const findings = all.flatMap((ck) => ck.findings.map((f) => ({ ...f, cluster: ck.cluster })));
  const agree = findings.filter((f) => f.agree).length;
  const known = findings.filter((f) => !f.agree && f.known);
  const unknown = findings.filter((f) => !f.agree && !f.known);
  const byProbe = new Map<string, { n: number; agree: number }>();
  for (const f of findings) {
    const s = byProbe.get(f.probe) ?? { n: 0, agree: 0 };
    s.n++;
    if (f.agree) s.agree++;
    byProbe.set(f.probe, s);
  }
  console.log(`\n${all.length} clusters, ${findings.length} facts compared, ${agree} agree, ${known.length} known differences, ${unknown.length} new disagreements\n`);
  for (const [probe, s] of [...byProbe].sort()) console.log(`  ${probe.padEnd(28)} ${String(s.agree).padStart(6)} / ${String(s.n).padEnd(6)} agree`);
  const usedKnown = new Set(known.map((f) => f.known!));
  if (usedKnown.size) {
    console.log('\nknown differences seen:');
    for (const k of KNOWN_DIFFERENCES) if (usedKnown.has(k)) console.log(`  ${k.probe} ${k.fact}: ${known.filter((f) => f.known === k).length}× — ${k.reason}`);
  }
  const skipped = [...new Set([...UNAVAILABLE, ...all.flatMap((ck) => ck.skipped)])];
  console.log('\nnot run on this machine:');
  for (const s of skipped) console.log(`  ${s}`);
  if (unknown.length) {
    console.log('\nnew disagreements:');
    const shown = verbose ? unknown : dedupe(unknown);
    for (const f of shown) console.log(`  [${f.cluster}] ${f.probe} @ ${f.where}: ${f.fact}\n      model:  ${f.model}\n      kernel: ${f.kernel}`);
    if (!verbose && shown.length < unknown.length) console.log(`  (${unknown.length - shown.length} more like these; --verbose lists all)`);
  }
  return unknown.length ? 1 : 0;
}

/** One line per (probe, fact shape): the same difference on every node says nothing new. */
function dedupe(fs: (Finding & { cluster: string })[]): (Finding & { cluster: string })[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.probe} ${f.fact.replace(/[\d.:a-f]{6,}/g, '#').replace(/\d+/g, '#')} ${f.model.replace(/\d+/g, '#')}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

async function main(): Promise<void> {
  preflight();
  const o = args();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\nconformance: ${sig}: tearing the lab down`);
      cleanupAndExit(130);
    });
  }
  for (const n of leftoverNamespaces(PREFIX)) run(['ip', 'netns', 'del', n]);
  const clusters = suiteClusters(o.clusters).filter((sc) => !o.only || sc.name.startsWith(o.only));
  const results: Checker[] = [];
  const t0 = Date.now();
  for (const sc of clusters) {
    const t = Date.now();
    const ck = await runCluster(sc);
    results.push(ck);
    const bad = ck.findings.filter((f) => !f.agree && !f.known).length;
    console.log(`${sc.name}: ${ck.findings.length} facts, ${bad} new disagreements (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const code = summary(results, o.verbose);
  if (leftoverNamespaces(PREFIX).length) {
    console.error('conformance: namespaces were left behind');
    cleanupAndExit(1);
  }
  process.exit(code);
}

main().catch((e: unknown) => {
  console.error(`conformance: ${(e as Error).stack ?? String(e)}`);
  cleanupAndExit(2);
});
