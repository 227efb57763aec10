import type { Adapters } from '../core/types.js';
import { createMemoryAdapters } from './memory.js';

/**
The adapters used when `crossTab` is `true`: coordination between every instance that shares `name`.
Created lazily, once per instance.
*/
export const createDefaultAdapters = (name: string): Adapters => createMemoryAdapters(name);
