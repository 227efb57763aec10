// The entry point: `node examples/cli/mycli.ts <command>` (Node 24 runs the TypeScript as is).
//
// In your own project, `ky-token-refresh` comes from npm and this file is only `import './cli.ts'`. Here, in
// the monorepo, `ky-token-refresh/node` resolves to the library's TypeScript source, as the library's own
// process tests run it: no build step, never a stale dist/, no workspace entry. The hook is registered
// before `cli.ts` is loaded (a static import would be resolved before it runs), hence the dynamic import.
import { registerHooks } from 'node:module';

const source = new URL('../../packages/ky-token-refresh/src/', import.meta.url);

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'ky-token-refresh/node')
      return nextResolve(new URL('node/index.ts', source).href, context);
    // The library's sources import `./x.js`, which exists as `./x.ts` only.
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const inSource = context.parentURL?.startsWith(source.href) ?? false;
      if (!inSource || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});

await import('./cli.ts');
