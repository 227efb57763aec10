// One service worker: `node examples/services/worker.ts <mode> <redis> <server> <name> <key>` (Node 24 runs
// the TypeScript as is), forked by race.ts. In your own service, `ky-token-refresh/node`,
// `ky-token-refresh/redis` and `redis` come from npm and this file is only `import './service.ts'`; here, in
// the monorepo, they resolve to the library's TypeScript source and to the package's own node-redis.
import { createRequire, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const library = new URL('../../packages/ky-token-refresh/', import.meta.url);
const source = new URL('src/', library);
const redisClient = pathToFileURL(
  createRequire(new URL('package.json', library)).resolve('@redis/client'),
).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'ky-token-refresh/node')
      return nextResolve(new URL('node/index.ts', source).href, context);
    if (specifier === 'ky-token-refresh/redis')
      return nextResolve(new URL('node/redis/index.ts', source).href, context);
    if (specifier === 'redis') return nextResolve(redisClient, context);
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const inSource = context.parentURL?.startsWith(source.href) ?? false;
      if (!inSource || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});

await import('./service.ts');
