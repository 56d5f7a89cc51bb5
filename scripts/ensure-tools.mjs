// Makes sure the tools the tests drive exist: Debian's Chromium for Playwright (CHROMIUM_PATH
// overrides where it is) and tshark, which dissects the pcaps the simulation writes. When root, the
// missing Debian packages are installed with one apt-get; otherwise we stop and say what to install.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const chromium = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;

function onPath(command) {
  try {
    execSync(`command -v ${command}`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = [];
if (!existsSync(chromium)) {
  if (chromium !== DEFAULT_CHROMIUM) {
    // apt-get would put Chromium at /usr/bin/chromium, not where CHROMIUM_PATH points
    console.error(`Chromium not found at CHROMIUM_PATH=${chromium}. Fix the path, or unset it for Debian's chromium.`);
    process.exit(1);
  }
  missing.push('chromium');
}
if (!onPath('tshark')) missing.push('tshark');

if (missing.length > 0) {
  const install = `apt-get install -y -qq ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`Missing for the tests: ${missing.join(', ')}. Install with: sudo apt-get update && sudo ${install}`);
    process.exit(1);
  }
  console.log(`Installing missing Debian packages with apt-get: ${missing.join(', ')}…`);
  execSync(`apt-get update -qq && ${install}`, {
    stdio: 'inherit',
    // tshark's debconf question (may non-root users capture?) must not wait for an answer
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
