export * from '../index.ts';
export { createMockAuthRequestListener, type NodeAdapterOptions } from './adapter.ts';
export { type RunningMockAuthServer, type StartOptions, startMockAuthServer } from './server.ts';
export { serveStatic } from './static-files.ts';
