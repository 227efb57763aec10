import type { AuthServerStats } from '../core/stats.ts';

/** Refresh calls that did not succeed, any reason (the CSRF 403 included). */
export const refreshFailures = (stats: AuthServerStats): number =>
  Object.values(stats.refreshFailures).reduce((sum, count) => sum + (count ?? 0), 0);

/** Refresh calls answered `400 invalid_grant` (every failure reason but the CSRF 403). */
export const invalidGrants = (stats: AuthServerStats): number =>
  refreshFailures(stats) - (stats.refreshFailures.csrf ?? 0);

/** API answers 401, any reason. */
export const api401s = (stats: AuthServerStats): number =>
  Object.values(stats.api401s).reduce((sum, count) => sum + (count ?? 0), 0);
