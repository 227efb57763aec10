/** Builds mock-auth-server's dist/ unless it is newer than every source; returns whether it built. */
export function ensureBuilt(): boolean;
