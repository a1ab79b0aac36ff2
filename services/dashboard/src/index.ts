export * from './app.ts';
export * from './main.ts';
export * from './summary.ts';
