#!/usr/bin/env bash
# The postgres image's start-up, written for the replica after
# docker-library/postgres@6edb0a8:docker-entrypoint.sh (identical to 16/bookworm/docker-entrypoint.sh).
# Kept as there, in the same order and with the same failure handling, because they are what
# needs privileges: as root, `mkdir -p` and `chmod` of PGDATA and /var/run/postgresql (chmod
# failures ignored), `find ... \! -user postgres -exec chown postgres` on both, then `gosu
# postgres` runs this script again; as postgres, initdb on an empty PGDATA, the host line of
# pg_hba.conf, a socket-only temporary server that creates POSTGRES_DB, then `exec postgres`.
# Left out, as they need no privilege: /docker-entrypoint-initdb.d scripts, nss_wrapper for a
# uid without a passwd line, POSTGRES_INITDB_WALDIR, the 18+ data layout checks.
set -Eeo pipefail

# VAR from $VAR or from the file $VAR_FILE names (not both).
from_env_or_file() {
	local name="$1" file="${1}_FILE" value="${2:-}"
	if [ -n "${!name:-}" ] && [ -n "${!file:-}" ]; then
		echo >&2 "error: $name and $file are both set"
		exit 1
	fi
	if [ -n "${!name:-}" ]; then
		value="${!name}"
	elif [ -n "${!file:-}" ]; then
		value="$(<"${!file}")"
	fi
	export "$name=$value"
	unset "$file"
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ]; then
	from_env_or_file POSTGRES_PASSWORD
	from_env_or_file POSTGRES_USER postgres
	from_env_or_file POSTGRES_DB "$POSTGRES_USER"
	from_env_or_file POSTGRES_INITDB_ARGS
	initialized=''
	[ ! -s "$PGDATA/PG_VERSION" ] || initialized=yes

	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ "$(id -u)" = '0' ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
		exec gosu postgres "$BASH_SOURCE" "$@"
	fi

	if [ -z "$initialized" ]; then
		if [ -z "$POSTGRES_PASSWORD" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
			echo >&2 'error: the database is not initialized and POSTGRES_PASSWORD is not set'
			exit 1
		fi
		ls /docker-entrypoint-initdb.d/ >/dev/null
		eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
		auth="${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "${@:2}")}"
		printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
		export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
		NOTIFY_SOCKET= PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" \
			-o "$(printf '%q ' "${@:2}" -c listen_addresses='' -p "${PGPORT:-5432}")" -w start
		psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname postgres)
		if [ -z "$(PGHOST= "${psql[@]}" --tuples-only --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" ]; then
			PGHOST= "${psql[@]}" --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
		fi
		PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
		unset PGPASSWORD
		echo 'PostgreSQL init process complete; ready for start up.'
	fi
fi

exec "$@"
