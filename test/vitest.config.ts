import { defineConfig } from 'vitest/config';

// Cross-service tests start simnets on the same loopback addresses and several real servers
// each: run the files one after another.
export default defineConfig({ test: { fileParallelism: false } });
