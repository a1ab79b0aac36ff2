export { configsFrom, type WorkerEnv } from './env.ts';
export { main, type WorkerMainOptions, workerEnvSchema } from './main.ts';
export { EngineThreadError } from './threads.ts';
export * from './worker.ts';
