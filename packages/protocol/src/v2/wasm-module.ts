import { createHash } from 'node:crypto';

// Node's global, typed here: this package's TypeScript lib has no DOM or WebAssembly types.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** What every module built by wasm/build.sh exports besides its functions. */
export interface EmbeddedExports {
  memory: { buffer: ArrayBuffer };
  io_ptr(): number;
}

/**
 * Compiles and instantiates a module embedded by wasm/build.sh (base64 in a *.generated.ts),
 * after checking its SHA-256, synchronously: small modules, compiled once per thread on first
 * use. Throws when it cannot (WebAssembly disabled, as under `node --jitless`).
 */
export function instantiateEmbedded<E extends EmbeddedExports>(
  base64: string,
  sha256: string,
  name: string,
): E {
  const bytes = Buffer.from(base64, 'base64');
  if (createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new Error(`${name} WebAssembly: the embedded module does not match its SHA-256`);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as E;
}

/**
 * A module's I/O buffer. The modules never grow their memory (no allocator), so the view stays
 * valid.
 */
export function ioBuffer(e: EmbeddedExports, length: number): Uint8Array {
  return new Uint8Array(e.memory.buffer, e.io_ptr(), length);
}
