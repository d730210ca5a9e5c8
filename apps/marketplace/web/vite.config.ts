// The marketplace web front end: built to web/dist (git-ignored) and served by the marketplace app at `/`.
// `npm run build -w @harvest/marketplace`; during development `npm run dev -w @harvest/marketplace` proxies /api
// to a marketplace on 127.0.0.1:3100.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:3100' } },
  logLevel: 'warn',
});
