#!/bin/sh
# The nginx image's start-up, written for the replica after
# nginxinc/docker-nginx@b430bec:mainline/debian/docker-entrypoint.sh: for `nginx`, run the
# scripts of /docker-entrypoint.d (none in the replica: the image's only edit configuration
# files and skip themselves on a read-only file system), then exec nginx in the foreground.
# nginx itself does the privileged part: the master, root, creates /var/cache/nginx/*_temp
# and chowns them to nginx, binds port 80 and writes /var/run/nginx.pid; its workers switch to
# nginx (setgid, setuid); the master signals them to stop.
set -e

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
	for f in $(find /docker-entrypoint.d/ -follow -type f -print | sort -V); do
		case "$f" in
		*.envsh) [ ! -x "$f" ] || . "$f" ;;
		*.sh) [ ! -x "$f" ] || "$f" ;;
		esac
	done
fi

exec "$@"
