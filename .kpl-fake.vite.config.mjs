import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
export default defineConfig({
  root: '/work/main',
  plugins: [react()],
  worker: { format: 'es' },
  resolve: { alias: [{ find: /^.*\/scenarios\/clusters\.ts$/, replacement: '/tmp/kpl-fake/clusters.ts' }, { find: /^.*\/sim\/api\.ts$/, replacement: '/tmp/kpl-fake/api.ts' }] },
  build: { outDir: '/tmp/kpl-fake/dist', emptyOutDir: true },
});
