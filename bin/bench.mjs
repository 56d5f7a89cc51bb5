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
  // the UI benchmark reads the app through its test hook, which only a test build has
  run(['node_modules/vite/bin/vite.js', 'build', '--mode', 'e2e', '--logLevel', 'warn']);
  run(['bench/ui.mjs']);
}
