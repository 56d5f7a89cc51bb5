#!/usr/bin/env node
// The CLI runs the TypeScript core directly through tsx's loader: one core, three thin users.
import { register } from 'tsx/esm/api';

register();
// `kube-packet-lab … | head` closes the pipe early: stop quietly, as other command-line tools do
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
