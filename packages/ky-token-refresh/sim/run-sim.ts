/**
`pnpm sim`: SIM_RUNS schedules (default 100,000) from SIM_SEED (default random), with SIM_DISABLE classes
off and an optional SIM_SABOTAGE negative control. Prints schedules/s, the seed and the counts of every
operation and fault exercised; a failure prints the shrunk schedule, the seed and path, and the command
that replays it.
*/
import fc from 'fast-check';
import { type RunnerEnv, replayCommand } from './options.js';
import { simProperty } from './property.js';
import type { Counts } from './world.js';

export interface SimRunResult {
  failed: boolean;
  schedules: number;
  seconds: number;
  perSecond: number;
  tally: Counts;
  report: string;
  /** Index (1-based) of the first failing schedule, when one failed. */
  firstFailure?: number;
  violation?: string;
  replay?: string;
}

export const runSim = async (
  env: RunnerEnv,
  log: (line: string) => void = console.log,
): Promise<SimRunResult> => {
  const tally: Counts = {};
  const started = performance.now();
  let lastLog = started;
  const onSchedule = () => {
    const now = performance.now();
    if (now - lastLog < 10_000) return;
    lastLog = now;
    const done = tally.schedules ?? 0;
    log(`sim: ${done} schedules, ${(done / ((now - started) / 1000)).toFixed(0)}/s`);
  };
  const property = simProperty({ disabled: env.disabled, sabotage: env.sabotage, tally, onSchedule });
  const result = await fc.check(property, {
    numRuns: env.runs,
    seed: env.seed,
    ...(env.path ? { path: env.path } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  const schedules = tally.schedules ?? 0;
  const run: SimRunResult = {
    failed: result.failed,
    schedules,
    seconds,
    perSecond: schedules / seconds,
    tally,
    report: '',
  };
  const lines = [
    `sim: ${schedules} schedules in ${seconds.toFixed(1)} s (${run.perSecond.toFixed(0)} schedules/s), seed ${env.seed}` +
      (env.disabledText ? `, disabled: ${env.disabledText}` : '') +
      (env.knownText ? `, known defects counted: ${env.knownText}` : '') +
      (env.sabotageName ? `, sabotage: ${env.sabotageName}` : ''),
    ...Object.entries(tally)
      .filter(([key]) => key !== 'schedules')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `  ${key.padEnd(32)} ${value}`),
  ];
  if (result.failed) {
    run.firstFailure = result.numRuns;
    run.violation =
      result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    run.replay = replayCommand(env, result.seed, result.counterexamplePath ?? undefined);
    lines.push(
      '',
      `FAILED after ${result.numRuns} schedule(s) (${result.numShrinks} shrinks). Violations of the shrunk schedule:`,
      run.violation,
      '',
      fc.defaultReportMessage(result) ?? '',
      '',
      `seed ${result.seed}, path ${result.counterexamplePath}`,
      `replay: ${run.replay}`,
    );
  }
  run.report = lines.join('\n');
  log(run.report);
  return run;
};
