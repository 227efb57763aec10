import './style.css';
import { startDemoMockWorker } from './mock-worker.ts';
import { DEMO_DEFAULTS } from './server.ts';

// The mock server must answer before the app sends its first request: start MSW, then load the app.
const mockWorker = await startDemoMockWorker(DEMO_DEFAULTS);
const { mount } = await import('./app.ts');
await mount(mockWorker);
