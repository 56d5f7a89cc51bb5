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
if (existsSync('bench/ui.mjs')) {
  run(['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);
  run(['bench/ui.mjs']);
}
// a 100-node / 3,000-pod kubectl dump: parse and build in Node, then opened in Chromium
run(['--import', 'tsx', 'bench/import.ts']);
