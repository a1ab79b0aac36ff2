import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withKnobTable } from './readme.ts';

// `npm run readme -w @bitcrawl/config`: writes the knob table into the README (readme.test.ts checks it).
const file = path.resolve(import.meta.dirname, '../../../README.md');
writeFileSync(file, withKnobTable(readFileSync(file, 'utf8')));
