#!/bin/sh
# mmdebstrap --essential-hook: the users the replicas run as, with the ids of the real images,
# created before the packages (whose maintainer scripts keep an existing system user).
#   postgres 999:999  docker-library/postgres 16/bookworm/Dockerfile (groupadd/useradd --uid=999)
#   nginx    101:101  nginxinc/docker-nginx mainline/debian/Dockerfile (--uid 101)
# redis (999:999 in its image) is renumbered in tests/replicas/redis/Dockerfile.
set -eu
root="$1"
echo 'postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash' >>"$root/etc/passwd"
echo 'postgres:x:999:' >>"$root/etc/group"
echo 'postgres:*:19000:0:99999:7:::' >>"$root/etc/shadow"
echo 'nginx:x:101:101:nginx user:/nonexistent:/bin/false' >>"$root/etc/passwd"
echo 'nginx:x:101:' >>"$root/etc/group"
echo 'nginx:*:19000:0:99999:7:::' >>"$root/etc/shadow"
