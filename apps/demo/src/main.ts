import './style.css';
import { startMockAuthWorker } from 'mock-auth-server/browser';
import { DEMO_DEFAULTS } from './server.ts';

// The mock server must answer before the app sends its first request: start MSW, then load the app.
const mockWorker = await startMockAuthWorker({ config: DEMO_DEFAULTS });
const { mount } = await import('./app.ts');
await mount(mockWorker);
