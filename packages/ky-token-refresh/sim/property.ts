/** One schedule as a fast-check property: build the world, run it, check it, tally what it exercised. */
import fc from 'fast-check';
import { type FaultClass, worldInput } from './arbitraries.js';
import { checkEnd } from './invariants.js';
import type { Sabotage, WorldInput } from './model.js';
import { type Counts, World } from './world.js';

export class SimViolation extends Error {
  override name = 'SimViolation';
}

/** Run one schedule; resolves with the world (violations included). */
export const runSchedule = async (
  s: fc.Scheduler,
  input: WorldInput,
  sabotage: Sabotage = {},
): Promise<World> => {
  const world = new World(s, input, sabotage);
  await world.run();
  checkEnd(world);
  return world;
};

export interface SimOptions {
  disabled?: ReadonlySet<FaultClass>;
  sabotage?: Sabotage;
  /** Sums of every schedule's counts (operations, faults, outcomes). */
  tally?: Counts;
  /** Called after each schedule (progress). */
  onSchedule?: () => void;
}

export const simProperty = ({ disabled = new Set(), sabotage = {}, tally, onSchedule }: SimOptions = {}) =>
  fc.asyncProperty(fc.scheduler(), worldInput(disabled), async (s, input) => {
    const world = await runSchedule(s, input, sabotage);
    if (tally) {
      tally.schedules = (tally.schedules ?? 0) + 1;
      for (const [key, value] of Object.entries(world.counts)) tally[key] = (tally[key] ?? 0) + value;
      tally['lost-rotation:crash'] = (tally['lost-rotation:crash'] ?? 0) + world.lostRotations.crash;
      tally['lost-rotation:abandoned'] =
        (tally['lost-rotation:abandoned'] ?? 0) + world.lostRotations.abandoned;
      if (world.violations.length > 0) tally.violations = (tally.violations ?? 0) + 1;
    }
    onSchedule?.();
    if (world.violations.length > 0) throw new SimViolation(world.violations.join('\n'));
  });
