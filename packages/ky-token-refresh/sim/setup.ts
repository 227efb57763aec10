/**
Setup of every sim vitest run: the `broadcast-channel` package is the simulation's (sim/package-channel.ts),
so the library's `FallbackChannel` runs on the world's channel hub, and it is loaded before any schedule
(a schedule never waits on a module load outside its scheduler).
*/
import { vi } from 'vitest';

vi.mock('broadcast-channel', () => import('./package-channel.js'));
await import('broadcast-channel');

// What the library reports (a store fault, a throwing listener) goes to `reportError` where there is one,
// else to a process warning. A schedule's faults are the world's own doing and its invariants judge the
// outcome: the sim runs like a page whose reportError is silent, not flooding stderr over a million
// schedules.
(globalThis as { reportError?: (error: unknown) => void }).reportError ??= () => {};
