export { runStack } from './stack.ts';
