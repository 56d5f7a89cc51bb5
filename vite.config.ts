import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The built app's Content-Security-Policy, as a meta tag: scripts, workers (the simulation
 * worker and the service worker) and requests only from the app's own origin, no inline script,
 * no plugins, no <base> rewriting. Inline style attributes stay allowed (React Flow and motion
 * position nodes with them); style elements must come from the origin. Only in a build: the dev
 * server's hot reload injects an inline script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'kpl-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

/**
 * Modules of the simulation whose value the worker gets as data, computed at build time by the
 * module itself run in Node: the seed file read (seed-spec.ts), so the first trace needs no YAML
 * parser. What the module exports must survive JSON unchanged (its test checks).
 */
const PREBUILT = ['src/sim/scenarios/seed-spec.ts'].map((f) => fileURLToPath(new URL(`./${f}`, import.meta.url)));

function prebuiltSimulationData(): Plugin {
  return {
    name: 'kpl-prebuilt-simulation-data',
    enforce: 'pre',
    async load(id) {
      if (!PREBUILT.includes(id)) return null;
      const { tsImport } = await import('tsx/esm/api');
      const exported = (await tsImport(pathToFileURL(id).href, import.meta.url)) as Record<string, unknown>;
      return Object.entries(exported)
        .filter(([name]) => name !== 'default' && name !== 'module.exports')
        .map(([name, value]) => `export const ${name} = /* @__PURE__ */ JSON.parse(${JSON.stringify(JSON.stringify(value))});`)
        .join('\n');
    },
  };
}

/**
 * The worker's build takes the simulation's parts on demand: every import of src/sim/parts.ts
 * (each part there at once, as Node wants it) gets parts.lazy.ts (each part a chunk fetched on
 * first need), so the first trace downloads only what it runs. See src/sim/part.ts.
 */
function lazySimulationParts(): Plugin {
  const eager = fileURLToPath(new URL('./src/sim/parts.ts', import.meta.url));
  const lazy = fileURLToPath(new URL('./src/sim/parts.lazy.ts', import.meta.url));
  return {
    name: 'kpl-lazy-simulation-parts',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer || !/(^|\/)parts\.ts$/.test(source)) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      return r?.id === eager ? lazy : null;
    },
  };
}

/**
 * The app is written against React's API and built with Preact's compat layer under it: the
 * same components, 50 KB (gzip) less JavaScript before the first trace. `KPL_REACT=1` builds
 * with React itself (to compare, or if a React-only behaviour is ever needed).
 */
const preact = process.env.KPL_REACT
  ? []
  : [
      { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
      { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
      { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
      { find: /^react$/, replacement: 'preact/compat' },
    ];

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  resolve: { alias: preact },
  worker: { format: 'es', plugins: () => [lazySimulationParts(), prebuiltSimulationData()] },
  build: { target: 'es2022', sourcemap: false },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // scenario and property tests build whole clusters; a slow CI core must not fail them
    testTimeout: 60_000,
  },
});
