/**
Trace a pinned schedule (SIM_TRACE=/path/to/pin.json pnpm test:sim -- trace): replays it with
fc.schedulerFor and prints every protocol event of every tab, the server's refresh answers, and the
violations. The pin is what `-- pin` prints.
*/
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { test } from 'vitest';
import { checkEnd } from './invariants.js';
import type { Pinned } from './pinned.js';
import { World } from './world.js';

test.skipIf(!process.env.SIM_TRACE)('trace a pinned schedule', async () => {
  const pin = JSON.parse(readFileSync(process.env.SIM_TRACE as string, 'utf8')) as Pinned;
  const world = new World(fc.schedulerFor(pin.order), pin.input);
  const lines: string[] = [];
  const open = world.openTab.bind(world);
  world.openTab = () => {
    const tab = open();
    tab.auth.subscribe((event) => {
      const at = event.at - 1_767_225_600_000;
      lines.push(
        `${at} tab${tab.id} ${event.type} g${event.generation}${event.code ? ` ${event.code}` : ''}`,
      );
    });
    return tab;
  };
  await world.run();
  checkEnd(world);
  console.log(
    `${lines.join('\n')}\n\nops: ${JSON.stringify(pin.input.ops)}\ncounts: ${JSON.stringify(world.counts)}\n` +
      `tabs: ${world.tabs
        .map(
          (tab) =>
            `tab${tab.id} token #${world.server.tokens.get(tab.auth.getToken() ?? '')?.seq ?? 'none'}` +
            `${tab.dead ? ' (dead)' : ''}${tab.disposed ? ' (disposed)' : ''}`,
        )
        .join(', ')}\n` +
      `store: ${JSON.stringify(world.storeHub.value)}\nviolations:\n${world.violations.join('\n')}`,
  );
});
