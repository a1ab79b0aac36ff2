// tsx turns on source-mapped stack traces when it registers. Node formats the stack of every
// socket error as the socket is destroyed (a refused or timed-out dial), and through source
// maps that costs ~0.13 ms of the crawl's loop a failed dial, against ~0.01 ms without: a
// round of 2,000 dead addresses lost 0.25 s to it. Off, unless asked for with
// --enable-source-maps (NODE_OPTIONS or the command line), for TypeScript lines in stacks.
export function sourceMapsOnlyWhenAsked() {
  if (!sourceMapsAsked()) process.setSourceMapsEnabled(false);
}

/** --enable-source-maps was given, in NODE_OPTIONS or on the command line. */
export function sourceMapsAsked() {
  return `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('--enable-source-maps');
}
