#!/bin/sh
# Rebuilds the two WebAssembly modules BIP324 uses, embedded as base64 in src/v2/*.generated.ts:
# - libsecp256k1 0.5.0's ElligatorSwift module with libsecp256k1-glue.c (keys and ECDH);
# - libsodium 1.0.18's ChaCha20-Poly1305 with libsodium-glue.c (small packets' AEAD).
# Run it only to change a build: the output is committed, so installs and CI need no C toolchain.
#
#   apt-get install clang-14 lld-14 libclang-rt-14-dev-wasm32 wasi-libc   (Debian 12)
#   sh build.sh libsecp256k1_0.5.0.orig.tar.xz libsodium_1.0.18.orig.tar.gz [--check]
#
# The tarballs are Debian's sources (pool/main/libs/: libsecp256k1 0.5.0-2 from trixie,
# libsodium 1.0.18-1+deb12u1 from bookworm), checked against their SHA-256 below. The build is
# reproducible: --check rebuilds and compares with the committed files.
#
# Flags: USE_FORCE_WIDEMUL_INT64 picks libsecp256k1's 10x26 field, 2.3x faster in WebAssembly
# than the 5x52 one (wasm32 has no 64x64->128 multiply); libsodium gets its portable code
# (chacha20 ref, poly1305 donna32). No libc beyond memcpy/memset is linked: the modules import
# nothing and export their memory and their glue's functions.
set -eu
SECP=${1:?usage: sh build.sh libsecp256k1_0.5.0.orig.tar.xz libsodium_1.0.18.orig.tar.gz [--check]}
SODIUM=${2:?usage: sh build.sh libsecp256k1_0.5.0.orig.tar.xz libsodium_1.0.18.orig.tar.gz [--check]}
CHECK=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/../src/v2"

echo "13b70138be52d7a23bdf0ea39ed79799a30eb855f2ed82c028357f6432cd536b  $SECP" | sha256sum -c --quiet -
echo "d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4  $SODIUM" | sha256sum -c --quiet -
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tar -xJf "$SECP" -C "$WORK"
tar -xzf "$SODIUM" -C "$WORK"
WASM="clang-14 --target=wasm32-wasi -O3 -flto -nostartfiles -Wl,--no-entry -Wl,--gc-sections -Wl,--lto-O3 -Wl,-z,stack-size=131072 -Wl,--strip-all"

S="$WORK/libsecp256k1-0.5.0"
$WASM -DENABLE_MODULE_ELLSWIFT=1 -DUSE_EXTERNAL_DEFAULT_CALLBACKS=1 -DUSE_FORCE_WIDEMUL_INT64=1 \
  -I"$S" -I"$S/src" -I"$S/include" \
  "$S/src/secp256k1.c" "$S/src/precomputed_ecmult.c" "$S/src/precomputed_ecmult_gen.c" \
  "$HERE/libsecp256k1-glue.c" -o "$WORK/ellswift.wasm"

N="$WORK/libsodium-1.0.18/src/libsodium"
mkdir -p "$WORK/include/sodium" # version.h is made by libsodium's configure, which is not run
sed -e 's/@VERSION@/1.0.18/; s/@SODIUM_LIBRARY_VERSION_MAJOR@/10/; s/@SODIUM_LIBRARY_VERSION_MINOR@/3/' \
  -e 's/@SODIUM_LIBRARY_MINIMAL_DEF@//' "$N/include/sodium/version.h.in" > "$WORK/include/sodium/version.h"
$WASM -DNATIVE_LITTLE_ENDIAN=1 -DCONFIGURED=1 -I"$WORK/include" -I"$N/include" -I"$N/include/sodium" \
  "$N/crypto_aead/chacha20poly1305/sodium/aead_chacha20poly1305.c" \
  "$N/crypto_stream/chacha20/stream_chacha20.c" "$N/crypto_stream/chacha20/ref/chacha20_ref.c" \
  "$N/crypto_onetimeauth/poly1305/onetimeauth_poly1305.c" \
  "$N/crypto_onetimeauth/poly1305/donna/poly1305_donna.c" "$N/crypto_verify/sodium/verify.c" \
  "$HERE/libsodium-glue.c" -o "$WORK/aead.wasm"

node "$HERE/embed-wasm.mjs" "$WORK/ellswift.wasm" "$OUT/ellswift-wasm.generated.ts" "libsecp256k1 0.5.0 and libsecp256k1-glue.c" $CHECK
node "$HERE/embed-wasm.mjs" "$WORK/aead.wasm" "$OUT/aead-wasm.generated.ts" "libsodium 1.0.18 and libsodium-glue.c" $CHECK
