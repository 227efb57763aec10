/**
Setup of every sim vitest run: the `broadcast-channel` package is the simulation's (sim/package-channel.ts),
so the library's `FallbackChannel` runs on the world's channel hub, and it is loaded before any schedule
(a schedule never waits on a module load outside its scheduler).
*/
import { vi } from 'vitest';

vi.mock('broadcast-channel', () => import('./package-channel.js'));
await import('broadcast-channel');
