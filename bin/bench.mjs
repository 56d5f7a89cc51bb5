#!/usr/bin/env node
// `npm run bench`: the simulation benchmark (Node) and, when the app is built, the UI one (Chromium).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (args) => {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(['--import', 'tsx', 'bench/sim.ts']);
run(['--import', 'tsx', 'bench/kube-proxy-sync.ts']);
// cluster size: each in a process of its own (5,000 nodes need more than the default heap)
for (const [nodes, pods, prefix, cidr] of [[100, 30, 26, '10.42.0.0/16'], [1000, 30, 26, '10.42.0.0/16'], [5000, 20, 27, '10.64.0.0/12']]) {
  run(['--expose-gc', '--max-old-space-size=8000', '--import', 'tsx', 'bench/build.ts', String(nodes), String(pods), String(prefix), cidr]);
}
if (existsSync('bench/ui.mjs')) {
  // the UI benchmark reads the app through its test hook, which only a test build has
  run(['node_modules/vite/bin/vite.js', 'build', '--mode', 'e2e', '--logLevel', 'warn']);
  run(['bench/ui.mjs']);
}
