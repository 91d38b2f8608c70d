#!/usr/bin/env bash
# Times `composeguard fix` against the other hardening tools on the same files, whole
# process, with hyperfine, and prints the ratios.
#   - peers: compose-harden and compose-lint from PyPI, in a throwaway virtualenv;
#   - files: the 44-line example stack, and generated 500- and 5,000-service files
#     (examples/generated.rs, deterministic).
#   - then composeguard alone: the 5,000-service time over the 500-service time, and peak
#     resident memory (GNU time's %M) at both sizes.
# Needs hyperfine and time (Debian packages) and python3 with venv. Prints Markdown tables and
# the issue's targets beside what was measured.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install hyperfine" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check compose-harden compose-lint
cargo build --quiet --release -p composeguard-cli
cargo run --quiet --release -p composeguard --example generated -- 500 > "$work/g500.yaml"
cargo run --quiet --release -p composeguard --example generated -- 5000 > "$work/g5000.yaml"
cp examples/stack/compose.yaml "$work/small.yaml"
cg="$PWD/target/release/composeguard"
harden="$work/venv/bin/compose-harden"
lint="$work/venv/bin/compose-lint"

# Each tool fixes a fresh copy, so every run does the same work.
run() { # name file command...
  local name=$1 file=$2; shift 2
  hyperfine --style none --warmup 2 --runs "${RUNS:-10}" -N --ignore-failure \
    --prepare "cp $work/$file $work/run-$file" \
    --export-json "$work/$name-$file.json" "$* $work/run-$file" >/dev/null 2>&1 || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(round(r["median"]*1000,1))' \
    "$work/$name-$file.json" 2>/dev/null || echo "n/a"
}

declare -A ours_ms
echo "| file | composeguard fix | compose-harden fix | compose-lint fix | fastest peer / composeguard |"
echo "|---|---|---|---|---|"
for file in small.yaml g500.yaml g5000.yaml; do
  ours=$(run composeguard "$file" "$cg" fix)
  ours_ms[$file]=$ours
  h=$(run compose-harden "$file" "$harden" fix --in-place)
  l=$(run compose-lint "$file" "$lint" fix --apply)
  ratio=$(python3 -c "import sys
vals=[float(v) for v in sys.argv[2:] if v!='n/a']
print(f'{min(vals)/float(sys.argv[1]):.1f}x' if vals else 'n/a')" "$ours" "$h" "$l")
  echo "| $file | $ours ms | $h ms | $l ms | $ratio |"
done
echo
echo "Target: at least 30x the fastest peer at 500 services."

# Peak resident memory of one fix of a fresh copy, in MB.
rss() {
  cp "$work/$1" "$work/rss-$1"
  /usr/bin/time -f %M -o "$work/rss" "$cg" fix "$work/rss-$1" >/dev/null 2>&1 || true
  python3 -c 'import sys; print(round(int(open(sys.argv[1]).read().split()[-1]) / 1024, 1))' "$work/rss"
}
echo
echo "| composeguard alone | measured | target |"
echo "|---|---|---|"
echo "| 5,000 services / 500 services | $(python3 -c "import sys; print(f'{float(sys.argv[2])/float(sys.argv[1]):.1f}x')" "${ours_ms[g500.yaml]}" "${ours_ms[g5000.yaml]}") | below 10x |"
echo "| peak memory, 500 services | $(rss g500.yaml) MB | at most 10 MB |"
echo "| peak memory, 5,000 services | $(rss g5000.yaml) MB | at most 60 MB |"
echo "| 44-line example | ${ours_ms[small.yaml]} ms | at most 3 ms |"
echo
echo "Machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); median wall time of the whole process."
