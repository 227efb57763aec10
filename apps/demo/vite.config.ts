import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { ensureBuilt } from '../../packages/mock-auth-server/scripts/ensure-built.mjs';

// mock-auth-server is imported from its dist/ (as a user would): (re)build it when a source is newer.
ensureBuilt();

// The library is resolved from its TypeScript source, so `pnpm --filter demo dev` needs no build first.
const librarySource = fileURLToPath(new URL('../../packages/ky-token-refresh/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: {
    alias: { 'ky-token-refresh': librarySource },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { target: 'es2022' },
});
