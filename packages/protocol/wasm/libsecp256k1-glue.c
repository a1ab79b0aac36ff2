/*
 * bitcrawl's interface to libsecp256k1's ElligatorSwift module, built to WebAssembly by build.sh:
 * BIP324's key creation and x-only ECDH over one static I/O buffer, so that a call passes no
 * pointers and the module needs no allocator (the context is preallocated here) and no imports.
 *
 * io layout (bytes): [0,32) our private key, [32,64) randomness, [64,128) our encoding,
 * [128,192) their encoding, [192,224) the result.
 */
#include <stddef.h>
#include <string.h>
#include <secp256k1.h>
#include <secp256k1_ellswift.h>
#include <secp256k1_preallocated.h>

/* libsecp256k1 calls these on misuse (built with USE_EXTERNAL_DEFAULT_CALLBACKS): trap, which
 * JavaScript sees as a thrown RuntimeError, instead of printing through a libc we do not link. */
void secp256k1_default_illegal_callback_fn(const char *str, void *data) {
  (void)str;
  (void)data;
  __builtin_trap();
}
void secp256k1_default_error_callback_fn(const char *str, void *data) {
  (void)str;
  (void)data;
  __builtin_trap();
}

static unsigned char ctx_mem[1024] __attribute__((aligned(16)));
static secp256k1_context *ctx;
static unsigned char io[256] __attribute__((aligned(16)));

__attribute__((export_name("io_ptr"))) unsigned char *io_ptr(void) { return io; }

/* Makes the context, blinded with the 32 random bytes at io[32..64) (side-channel protection
 * for G·k). Returns 1 on success. */
__attribute__((export_name("init"))) int init(void) {
  if (secp256k1_context_preallocated_size(SECP256K1_CONTEXT_NONE) > sizeof ctx_mem) return 0;
  ctx = secp256k1_context_preallocated_create(ctx_mem, SECP256K1_CONTEXT_NONE);
  return ctx != NULL && secp256k1_context_randomize(ctx, io + 32);
}

/* secp256k1_ellswift_create: the encoding of io[0..32)·G, randomised by io[32..64), into
 * io[64..128). Returns 0 when the private key is not in [1, n). */
__attribute__((export_name("create"))) int create(void) {
  return secp256k1_ellswift_create(ctx, io + 64, io, io + 32);
}

static int copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *ell_a64,
                  const unsigned char *ell_b64, void *data) {
  (void)ell_a64;
  (void)ell_b64;
  (void)data;
  memcpy(output, x32, 32);
  return 1;
}

/* secp256k1_ellswift_xdh with our key io[0..32), ours io[64..128), theirs io[128..192), into
 * io[192..224). party 0: we initiated. mode 0: BIP324's hash (v2_ecdh); mode 1: the shared x
 * alone (for the test vectors). Returns 0 when the private key is not in [1, n). */
__attribute__((export_name("xdh"))) int xdh(int party, int mode) {
  const unsigned char *ell_a = party ? io + 128 : io + 64;
  const unsigned char *ell_b = party ? io + 64 : io + 128;
  return secp256k1_ellswift_xdh(ctx, io + 192, ell_a, ell_b, io, party,
                                mode ? copy_x : secp256k1_ellswift_xdh_hash_function_bip324, NULL);
}
