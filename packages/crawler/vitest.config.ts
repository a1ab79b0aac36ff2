import { defineConfig } from 'vitest/config';

// Tests here start simnets on the same loopback addresses (127.1.x.y:8333) and real servers:
// run the files one after another.
export default defineConfig({ test: { fileParallelism: false } });
