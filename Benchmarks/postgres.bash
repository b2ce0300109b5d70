# Benchmarks/postgres.bash: a throwaway PostgreSQL 15 for Benchmarks/ingest and Benchmarks/e2e (sourced, not run).
#
# pg_start initialises a cluster in a new temp dir (owned by the postgres user when run as root: initdb and
# pg_ctl run as that user with runuser), starts it on a free 127.0.0.1 port with
# `-c listen_addresses=127.0.0.1 -c max_connections=200` plus $PG_OPTS, trust authentication (loopback only, no
# password, so nothing secret), and every durability setting at its default: fsync on, synchronous_commit on,
# full_page_writes on — a commit is on disk before the relay answers 200, like SQLite with synchronous=FULL.
# pg_stop (call it from the caller's EXIT trap) stops it with `pg_ctl -m fast stop` (SIGKILL to the postmaster
# PID only if that fails) and removes the temp dir unless KEEP_TMP=1.
#
# Needs from the caller: log, die, free_port, KEEP_TMP. Sets PG_URL (postgres://postgres@127.0.0.1:PORT, append
# /DATABASE), PG_PID (postmaster), PG_TMP, PG_VERSION, PG_SETTINGS.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OPTS="${PG_OPTS:-}"
PG_TMP=""
PG_PID=""
PG_URL=""
PG_VERSION=""
PG_SETTINGS=""

pg_as_user() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }

# pg_missing_package: prints the apt package to install if the server binaries are missing
pg_missing_package() { [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/psql" ]] || echo postgresql-15; }

pg_start() {
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL binaries not found in $PG_BIN (apt-get install postgresql-15, or set PG_BIN)"
    if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then die "no 'postgres' user (is the postgresql package installed?)"; fi
    [[ "$PG_OPTS" != *"'"* && "$PG_OPTS" != *'"'* ]] || die "PG_OPTS must not contain quotes"
    PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-pg.XXXXXX")"
    if ((EUID == 0)); then chown postgres: "$PG_TMP"; fi
    chmod 700 "$PG_TMP"
    # --no-sync only skips initdb's own final flush of the fresh cluster; the server runs with fsync on.
    pg_as_user "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }
    local attempt port started=0
    for attempt in 1 2 3; do # the port may be taken between picking and binding: a bounded number of retries
        port="$(free_port)"
        # the server's output goes to postgres.log (-l) and pg_ctl's to a file: never a pipe the server inherits
        if pg_as_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" -w -t 60 \
            -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c max_connections=200 $PG_OPTS" \
            start >>"$PG_TMP/pg_ctl.log" 2>&1; then
            started=1
            break
        fi
        log "PostgreSQL did not start on port $port (attempt $attempt)"
        tail -n 5 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    done
    ((started)) || die "PostgreSQL did not start (see $PG_TMP/postgres.log)"
    PG_PID="$(head -n 1 "$PG_TMP/data/postmaster.pid")"
    PG_URL="postgres://postgres@127.0.0.1:$port"
    PG_VERSION="$(pg_sql postgres 'show server_version')"
    PG_SETTINGS="$(pg_sql postgres "select string_agg(name || '=' || current_setting(name), ', ' order by name)
        from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
        'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'wal_level')")"
    log "PostgreSQL $PG_VERSION on 127.0.0.1:$port (postmaster $PG_PID, data in $PG_TMP): $PG_SETTINGS"
}

pg_stop() {
    [[ -n "$PG_TMP" ]] || return 0
    if [[ -f "$PG_TMP/data/postmaster.pid" ]]; then
        if ! pg_as_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >>"$PG_TMP/pg_ctl.log" 2>&1; then
            log "pg_ctl stop failed; SIGKILL to the postmaster $PG_PID"
            [[ -n "$PG_PID" ]] && kill -KILL "$PG_PID" 2>/dev/null
        fi
    fi
    if ((KEEP_TMP)); then log "kept $PG_TMP (PostgreSQL data and log)"; else rm -rf -- "$PG_TMP"; fi
    PG_TMP=""
    PG_PID=""
}

# pg_sql DATABASE SQL: prints the result (unaligned, tuples only), or "n/a" (and the error on stderr)
pg_sql() {
    local out
    if out="$("$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -d "$PG_URL/$1" -c "$2" 2>&1)"; then
        echo "$out"
    else
        log "psql '$2' failed: $out"
        echo "n/a"
    fi
}

# pg_fresh_db NAME: (re)creates an empty database and checkpoints, so every run starts from the same state
pg_fresh_db() {
    local out
    out="$("$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL/postgres" \
        -c "drop database if exists $1" -c "create database $1" -c "checkpoint" 2>&1)" ||
        die "could not create database $1: $out"
}

pg_drop_db() { "$PG_BIN/psql" -X -q -At -d "$PG_URL/postgres" -c "drop database if exists $1" >/dev/null 2>&1 || true; }

# pg_ticks: CPU ticks of the whole server so far: the postmaster's own and reaped children's (fields 14-17)
# plus its live children's (backends, checkpointer, WAL writer, autovacuum: fields 14-15)
pg_ticks() {
    local total=0 stat rest pid
    [[ -n "$PG_PID" ]] || { echo 0; return 0; }
    for pid in $(pgrep -P "$PG_PID"); do
        stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
        rest="${stat##*) }"
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
    done
    if stat="$(cat "/proc/$PG_PID/stat" 2>/dev/null)"; then
        rest="${stat##*) }"
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    fi
    echo "$total"
}
