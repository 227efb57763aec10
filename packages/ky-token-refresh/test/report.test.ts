/** Errors nobody awaits are surfaced where the app can see them, in Node as in a browser. */
import { afterEach, expect, test, vi } from 'vitest';
import { createTokenRefresh } from '../src/index.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

test('in Node (no reportError), a listener that throws becomes a process warning, not silence', async () => {
  expect((globalThis as { reportError?: unknown }).reportError).toBeUndefined();
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const auth = createTokenRefresh({ crossTab: false, refresh: () => 'fresh' });
    auth.subscribe(() => {
      throw new Error('listener bug');
    });
    await auth.setToken('a-token');
    await auth.refresh();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(warnings.map((warning) => warning.message)).toContain('listener bug');
    expect(warnings.map((warning) => warning.message).join()).not.toContain('fresh');
    auth.dispose();
  } finally {
    process.off('warning', onWarning);
  }
});

test('where reportError exists, it gets the error (and no warning is emitted)', async () => {
  const reported: unknown[] = [];
  vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
  const emit = vi.spyOn(process, 'emitWarning');
  const auth = createTokenRefresh({ crossTab: false, refresh: () => 'fresh' });
  auth.subscribe(() => {
    throw new Error('listener bug');
  });
  await auth.refresh();
  expect(reported.length).toBeGreaterThan(0);
  expect(emit).not.toHaveBeenCalled();
  emit.mockRestore();
  auth.dispose();
});
