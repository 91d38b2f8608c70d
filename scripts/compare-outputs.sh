#!/usr/bin/env bash
# Records everything a composeguard binary says about every compose file of the repository
# (corpus, fixtures, rule fixtures, examples): findings in every output format, the diff and the
# fixed document with safe and with unsafe fixes, and each exit code. Two binaries that record
# the same folder behave the same on these files:
#
#   scripts/compare-outputs.sh OLD_BINARY /tmp/before
#   scripts/compare-outputs.sh NEW_BINARY /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# Run from anywhere; paths in the outputs are relative to the repository's root.
set -euo pipefail
bin="$(realpath "$1")"
out="$2"
cd "$(dirname "$0")/.."
rm -rf "$out"
mkdir -p "$out"
mapfile -t files < <(git ls-files -- '*.yaml' '*.yml' | grep -E '^(tests|crates/composeguard/tests/fixtures|examples)/' | sort)
# An empty configuration, so that no composeguard.toml of the repository changes the run.
config="$out.composeguard.toml"
: >"$config"
run() {
  local name="$1"
  shift
  local code=0
  "$bin" "$@" >"$out/$name.out" 2>"$out/$name.err" || code=$?
  echo "$code" >"$out/$name.code"
}
for f in "${files[@]}"; do
  key="${f//\//__}"
  for format in concise full json sarif github; do
    run "$key.check.$format" check --config "$config" --output-format "$format" "$f"
  done
  run "$key.check.strict" check --config "$config" --preset strict --output-format json "$f"
  run "$key.check.swarm" check --config "$config" --target swarm --output-format json "$f"
  run "$key.fix.diff" fix --config "$config" --diff "$f"
  run "$key.fix.stdout" fix --config "$config" --stdout "$f"
  run "$key.fix.unsafe.diff" fix --config "$config" --unsafe-fixes --diff "$f"
  run "$key.fix.unsafe.stdout" fix --config "$config" --unsafe-fixes --stdout "$f"
  run "$key.fix.strict.stdout" fix --config "$config" --preset strict --unsafe-fixes --stdout "$f"
done
for cmd in "rules" "images" "config --config $config"; do
  # shellcheck disable=SC2086
  run "cmd.${cmd%% *}" $cmd
done
# The configuration's own path is the only thing that names the output folder.
sed -i "s|$config|CONFIG|g" "$out"/cmd.config.*
echo "recorded ${#files[@]} files in $out"
