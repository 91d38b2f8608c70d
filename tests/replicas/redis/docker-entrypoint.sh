#!/bin/sh
# The redis:7 image's start-up, written for the replica after
# docker-library/redis@e920499:7.2/debian/docker-entrypoint.sh: started as root for
# redis-server, it chowns to redis whatever in the working folder (/data) redis does not own
# (`find . \! -user redis -exec chown redis`), then `gosu redis` runs this script again, which
# sets umask 0077 and execs the server. (Redis 8, redis/docker-library-redis, steps down with
# setpriv instead and tolerates a failed chown.)
set -e

case "$1" in
-* | *.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

if [ "$(umask)" = 0022 ]; then
	umask 0077
fi

exec "$@"
