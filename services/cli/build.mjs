// Bundles the CLI and every @bitcrawl/* workspace package into dist/ for the Docker image (the
// same bundle bin/bitcrawl.mjs runs). npm dependencies stay external (installed with
// `npm ci --omit=dev`), so native packages like chdb load from node_modules as usual.
import { buildBundle, distDir } from './bin/bundle.mjs';

await buildBundle(distDir, 'warning');
