import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** process.sourceMapsEnabled after tsx's register() and sourceMapsOnlyWhenAsked(), in a fresh node. */
function enabledAfter(nodeOptions: string | undefined, execArgv: string[] = []): string {
  const script = [
    "import { register } from 'tsx/esm/api';",
    `import { sourceMapsOnlyWhenAsked } from ${JSON.stringify(new URL('./source-maps.mjs', import.meta.url).href)};`,
    'register();',
    'const before = process.sourceMapsEnabled;',
    'sourceMapsOnlyWhenAsked();',
    "console.log(before + ' ' + process.sourceMapsEnabled);",
  ].join('\n');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  return execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', script], {
    cwd: new URL('.', import.meta.url),
    env,
    encoding: 'utf8',
  }).trim();
}

describe('sourceMapsOnlyWhenAsked', () => {
  it('turns off the source maps tsx turned on', () => {
    expect(enabledAfter(undefined)).toBe('true false');
  });

  it('keeps them when --enable-source-maps is asked for, in NODE_OPTIONS or on the command line', () => {
    expect(enabledAfter('--enable-source-maps')).toBe('true true');
    expect(enabledAfter(undefined, ['--enable-source-maps'])).toBe('true true');
  });
});
