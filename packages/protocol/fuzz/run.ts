import { parseArgs } from 'node:util';
import { fuzz } from './fuzz.ts';

/**
 * The nightly fuzz run: `npm run fuzz -- --frames 10000000 [--seed N]`. Runs in slices so the
 * progress shows; exits 1 on the first slice with a disagreement, printing the streams.
 */
const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '10000000' },
    seed: { type: 'string', default: `${Date.now() % 1e9}` },
  },
});
const total = Number(values.frames);
const seed = Number(values.seed);
if (!Number.isInteger(total) || total <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --frames N [--seed N]');
  process.exit(2);
}
const SLICE = 100_000;
const t0 = performance.now();
let done = 0;
let accepted = 0;
for (let slice = 0; done < total; slice++) {
  const r = fuzz(Math.min(SLICE, total - done), seed + slice * 7919);
  done += r.frames;
  accepted += r.accepted;
  if (r.disagreements > 0) {
    console.error(JSON.stringify(r.mismatches, null, 2));
    console.error(`${r.disagreements} disagreements in slice ${slice} (seed ${seed + slice * 7919})`);
    process.exit(1);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${done} frames (${accepted} accepted), ${Math.round(done / s)} frames/s, no disagreement`);
}
