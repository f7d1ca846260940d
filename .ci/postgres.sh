# A throwaway PostgreSQL cluster for the tests: `source .ci/postgres.sh; pg_throwaway_start`.
#
# Installs Debian's postgresql when no server is found (root only), starts a cluster in a temp
# folder on a free 127.0.0.1 port as an unprivileged user (initdb refuses to run as root), and
# exports FREESORA_TEST_POSTGRES_URL (and FREESORA_TEST_POSTGRES_RESTART, a command that restarts
# it, for the reconnect test). `pg_throwaway_stop` stops it and removes the folder; the caller
# sets the trap.

pg_bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_install_if_missing() {
    if [ -n "$(pg_bin_dir)" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "postgres.sh: no PostgreSQL server in /usr/lib/postgresql and not root to install it" >&2
        return 1
    fi
    echo "postgres.sh: installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends postgresql >&2
    # Debian's package starts its own cluster on 5432; the tests use their own, so stop that one.
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for conf in /etc/postgresql/*/main; do
            [ -d "$conf" ] || continue
            ver=$(basename "$(dirname "$conf")")
            pg_ctlcluster "$ver" main stop >/dev/null 2>&1 || true
        done
    fi
}

pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the cluster's owner (as is, when we are not root).
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From /: the owner may not be allowed into the caller's (private, temp) folder.
        (cd / && runuser -u "$PG_OWNER" -- "$@")
    else
        "$@"
    fi
}

pg_pick_owner() {
    if [ "$(id -u)" != 0 ]; then
        PG_OWNER=$(id -un)
    elif id postgres >/dev/null 2>&1; then
        PG_OWNER=postgres
    else
        id freesora-ci >/dev/null 2>&1 || useradd --system --no-create-home freesora-ci
        PG_OWNER=freesora-ci
    fi
}

pg_throwaway_start() {
    pg_install_if_missing || return 1
    pg_pick_owner
    local bin port
    bin=$(pg_bin_dir)
    port=$(pg_free_port)
    PG_TMP=$(mktemp -d)
    chmod 755 "$PG_TMP"
    mkdir "$PG_TMP/data" "$PG_TMP/socket" "$PG_TMP/log"
    [ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$PG_TMP/data" "$PG_TMP/socket" "$PG_TMP/log"
    pg_as_owner "$bin/initdb" -D "$PG_TMP/data" -U freesora --auth=trust -E UTF8 \
        --no-instructions >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; return 1; }
    PG_CTL="$bin/pg_ctl -D $PG_TMP/data -l $PG_TMP/log/server.log -w -t 60"
    PG_OPTS="-p $port -k $PG_TMP/socket -c listen_addresses=127.0.0.1 -c max_connections=300"
    pg_as_owner $PG_CTL -o "$PG_OPTS" start >/dev/null || { cat "$PG_TMP/log/server.log" >&2; return 1; }
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U freesora freesora_test
    export FREESORA_TEST_POSTGRES_URL="postgresql://freesora@127.0.0.1:$port/freesora_test"
    if [ "$(id -u)" = 0 ]; then
        export FREESORA_TEST_POSTGRES_RESTART="cd / && runuser -u $PG_OWNER -- $PG_CTL -m fast -o '$PG_OPTS' restart"
    else
        export FREESORA_TEST_POSTGRES_RESTART="$PG_CTL -m fast -o '$PG_OPTS' restart"
    fi
    echo "postgres.sh: throwaway PostgreSQL at $FREESORA_TEST_POSTGRES_URL (data in $PG_TMP)" >&2
}

pg_throwaway_stop() {
    if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
        pg_as_owner $PG_CTL -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_TMP"
    fi
}
