#!/usr/bin/env node
// The CLI runs the TypeScript core directly through tsx's loader: one core, three thin users.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/node/cli.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
