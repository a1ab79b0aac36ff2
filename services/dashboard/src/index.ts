export { main, start } from './main.ts';
