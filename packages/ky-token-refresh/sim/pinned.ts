/** Replaying a pinned schedule: its input and the order in which the scheduler ran its tasks. */
import fc from 'fast-check';
import { checkEnd } from './invariants.js';
import type { Sabotage, WorldInput } from './model.js';
import { runSchedule } from './property.js';
import { World } from './world.js';

export interface Pinned {
  input: WorldInput;
  /** Task ids in the order the scheduler ran them (from `report()` of the failing run). */
  order: number[];
}

export interface Replay {
  /** `pinned`: the exact order replayed; `explored`: the library's steps changed since the pin, so the input
  was run under `fallbackRuns` other orders instead (the first violations found are returned). */
  mode: 'pinned' | 'explored';
  violations: string[];
}

const isStaleOrder = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('Invalid schedulerFor');

/**
Re-run a pinned schedule with `fc.schedulerFor`. A pin names task ids, so it only holds while the library
takes the same steps; when it no longer does (the library changed), the same input is explored under
`fallbackRuns` random orders instead, so the regression keeps guarding the scenario.
*/
export const replayPinned = async (
  { input, order }: Pinned,
  { sabotage = {}, fallbackRuns = 200 }: { sabotage?: Sabotage; fallbackRuns?: number } = {},
): Promise<Replay> => {
  const s = fc.schedulerFor(order);
  const world = new World(s, input, sabotage);
  // A stale order makes fast-check's scheduler throw inside its own wait loop, where the error is
  // swallowed and the wait never ends: watch for a schedule that stops moving while tasks are pending.
  const stuck = new Promise<'stuck'>((resolve) => {
    let last = -1;
    let still = 0;
    const check = () => {
      const done = s.report().filter((task) => task.status !== 'pending').length;
      still = done === last && s.count() > 0 ? still + 1 : 0;
      last = done;
      if (still > 200) resolve('stuck');
      else if (!finished) setImmediate(check);
    };
    setImmediate(check);
  });
  let finished = false;
  try {
    const outcome = await Promise.race([world.run().then(() => 'done' as const), stuck]);
    finished = true;
    if (outcome === 'done') {
      checkEnd(world);
      return { mode: 'pinned', violations: world.violations };
    }
    world.abandon();
  } catch (error) {
    finished = true;
    if (!isStaleOrder(error)) throw error;
  }
  let violations: string[] = [];
  await fc
    .assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const world = await runSchedule(s, input, sabotage);
        if (world.violations.length > 0) violations = world.violations;
        return world.violations.length === 0;
      }),
      { numRuns: fallbackRuns, seed: 1, endOnFailure: true },
    )
    .catch(() => undefined);
  return { mode: 'explored', violations };
};

/** The pin of a counterexample: what a regression test needs to replay it. */
export const pinOf = (scheduler: fc.Scheduler, input: WorldInput): Pinned => ({
  input,
  order: scheduler
    .report()
    .filter((task) => task.status !== 'pending')
    .map((task) => task.taskId),
});
