export { engineConfig, workerConfigFrom } from './config.ts';
export { startEngine } from './engine.ts';
export { main } from './main.ts';
export { start } from './start.ts';
export { EngineThreadError, startEngineThreads } from './threads.ts';
export { type WorkerConfig, workerConfigSchema } from './worker.ts';
