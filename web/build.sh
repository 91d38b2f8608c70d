#!/usr/bin/env bash
# Builds the playground into web/dist (static files: open dist/index.html through any static
# server). Installs what is missing: the wasm32 target, wasm-bindgen-cli at exactly the version
# of the wasm-bindgen crate, and binaryen's wasm-opt (Debian). Works offline from everything but
# the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

WB_VERSION=$(grep -A1 'name = "wasm-bindgen"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p' | head -n1)
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | cut -d' ' -f2)" != "$WB_VERSION" ]; then
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi
if ! command -v wasm-opt >/dev/null; then
  if command -v apt-get >/dev/null; then
    apt-get install -y -q binaryen >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q binaryen >/dev/null; }
  else
    echo "wasm-opt (binaryen) is required" >&2; exit 2
  fi
fi

# Panic locations name source files: shorter paths are fewer bytes in the module (and say
# nothing about the machine that built it).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$registry/= --remap-path-prefix=$PWD/="
cargo build --locked --profile wasm --target wasm32-unknown-unknown -p composeguard-wasm
rm -rf web/dist && mkdir -p web/dist/pkg
# wasm-opt runs on rustc's module, before wasm-bindgen: Debian's binaryen (108) would rewrite
# the externref table that wasm-bindgen adds into one that Node and Chromium refuse.
wasm-opt -Oz --converge --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-reference-types --enable-multivalue \
  target/wasm32-unknown-unknown/wasm/composeguard_wasm.wasm -o target/composeguard_wasm_opt.wasm
wasm-bindgen --target web --no-typescript --out-name composeguard_wasm --out-dir web/dist/pkg \
  target/composeguard_wasm_opt.wasm
cp web/src/index.html web/src/style.css web/src/app.js web/dist/
# Rule docs, fetched by the page when opened (generated from the rules; a test keeps them current).
mkdir -p web/dist/rules && cp docs/rules/*.md web/dist/rules/
node web/tools/examples.mjs > web/dist/examples.js
size=$(stat -c %s web/dist/pkg/composeguard_wasm_bg.wasm)
gz=$(gzip -9 -c web/dist/pkg/composeguard_wasm_bg.wasm | wc -c)
echo "web/dist built: composeguard_wasm_bg.wasm is $((size / 1024)) KB ($((gz / 1024)) KB gzipped)"
