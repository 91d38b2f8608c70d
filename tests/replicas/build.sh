#!/usr/bin/env bash
# Builds the replica images tests/tests/replicas.rs starts: one Debian root file system with
# the packages of base/packages (made with mmdebstrap, imported as
# composeguard-replica/base:<hash>), and on it one small image per folder here, tagged
# <repository>:replica-<hash> under the repository of the image it replicates, so that
# composeguard's image table applies to it. Nothing is pulled: the packages come from Debian's
# mirror, the rest from this folder.
#
# Cached by hashes of the recipe: the root file system's tar under
# ${XDG_CACHE_HOME:-~/.cache}/composeguard/replicas/ and the images' tags carry the hash of
# what made them (the base: its packages, users.sh and the mmdebstrap command; a replica: the
# base's hash and every file of its folder), so a second run only checks that they exist.
# Older tags and tars of these names are removed.
#
# Prints one line per replica, `<folder> <image>`, on stdout; the rest goes to stderr.
# Needs root (mmdebstrap, docker).
set -euo pipefail
cd "$(dirname "$0")"

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/composeguard/replicas"
SUITE=bookworm
# folder, the repository it replicates, the replica it is built on (else the base)
REPLICAS=(
  "postgres postgres"
  "redis redis"
  "nginx nginx"
  "nginx-unprivileged nginxinc/nginx-unprivileged nginx"
  "caddy caddy"
  "python python"
)
MMDEBSTRAP=(
  mmdebstrap --variant=apt --format=tar --include="$(paste -sd, base/packages)"
  --essential-hook="\"$PWD/base/users.sh\" \"\$1\""
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*'
  "$SUITE"
)

log() { printf '%s\n' "$*" >&2; }
# A short hash of its arguments' text and of the files under the folders or files it is given
# after `--`.
hash_of() {
  local text=()
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do text+=("$1"); shift; done
  shift
  {
    printf '%s\n' "${text[@]}"
    find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
}
exists() { docker image inspect "$1" >/dev/null 2>&1; }
# Removes the tags `<repository>:replica-*` (or base:*) but `keep`.
prune() {
  local repository="$1" prefix="$2" keep="$3" ref
  docker image ls --format '{{.Repository}}:{{.Tag}}' "$repository" | while read -r ref; do
    if [ "$ref" != "$keep" ] && [ "${ref#"$repository:$prefix"}" != "$ref" ]; then
      docker image rm "$ref" >/dev/null 2>&1 || true
    fi
  done
}

mkdir -p "$CACHE"
# Relative to this folder: the hook's absolute path is not part of the recipe.
base_hash="$(hash_of "$SUITE" "${MMDEBSTRAP[*]//$PWD/.}" -- base)"
base="composeguard-replica/base:$base_hash"
if ! exists "$base"; then
  tar="$CACHE/base-$base_hash.tar"
  if [ ! -s "$tar" ]; then
    log "replicas: building the root file system ($SUITE: $(paste -sd' ' base/packages))"
    start=$SECONDS
    "${MMDEBSTRAP[@]}" "$tar.partial" >&2
    mv "$tar.partial" "$tar"
    log "replicas: root file system made in $((SECONDS - start)) s"
  fi
  docker import "$tar" "$base" >/dev/null
fi
find "$CACHE" -maxdepth 1 -name 'base-*.tar*' ! -name "base-$base_hash.tar" -delete
prune composeguard-replica/base "" "$base"

declare -A built
for replica in "${REPLICAS[@]}"; do
  read -r folder repository on <<<"$replica"
  from="${on:+${built[$on]}}"
  from="${from:-$base}"
  image="$repository:replica-$(hash_of "$from" -- "$folder")"
  if ! exists "$image"; then
    log "replicas: building $image"
    # The legacy builder: it needs nothing but the local base (its notice is dropped).
    if ! out="$(DOCKER_BUILDKIT=0 docker build --quiet --build-arg BASE="$from" -t "$image" "$folder" 2>&1)"; then
      log "$out"
      exit 1
    fi
  fi
  prune "$repository" replica- "$image"
  built[$folder]="$image"
  printf '%s %s\n' "$folder" "$image"
done
