export { type EngineConfig, engineConfig, type WorkerServiceConfig, workerConfigFrom } from './config.ts';
export { type Engine, startEngine } from './engine.ts';
export { main, type WorkerMainOptions } from './main.ts';
export { start, type WorkerDeps } from './start.ts';
export { EngineThreadError, startEngineThreads } from './threads.ts';
export * from './worker.ts';
