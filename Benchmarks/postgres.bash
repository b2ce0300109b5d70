# Benchmarks/postgres.bash: a throwaway PostgreSQL 15 for Benchmarks/ingest and Benchmarks/e2e (sourced, not run).
#
# pg_start initialises a cluster in a new temp dir (owned by the postgres user when run as root: initdb and
# pg_ctl run as that user with runuser), starts it on a free 127.0.0.1 port with
# `-c listen_addresses=127.0.0.1 -c max_connections=200` plus $PG_OPTS, trust authentication (loopback only, no
# password, so nothing secret), and every durability setting at its default: fsync on, synchronous_commit on,
# full_page_writes on — a commit is on disk before the relay answers 200, like SQLite with synchronous=FULL.
# The server preloads pg_stat_statements (`-c shared_preload_libraries=pg_stat_statements`, shipped with Debian's
# postgresql-15; track=top): pg_stat_enable DB creates the extension in a database, pg_stat_reset DB zeroes the
# counters, pg_stat_top DB N prints its statements by total execution time as markdown table rows. The caller's own
# queries should carry the comment /* bench-harness */ (PG_HARNESS_TAG): pg_stat_top leaves them out.
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
PG_HARNESS_TAG="/* bench-harness */"

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
            -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top -c pg_stat_statements.track_planning=on $PG_OPTS" \
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
    PG_PORT="$port"
    PG_VERSION="$(pg_sql postgres 'show server_version')"
    PG_SETTINGS="$(pg_sql postgres "select string_agg(name || '=' || current_setting(name), ', ' order by name)
        from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
        'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'wal_level', 'shared_preload_libraries')")"
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

# pg_stat_enable DB: CREATE EXTENSION pg_stat_statements in DB (the view and the reset function live there)
pg_stat_enable() {
    local out
    out="$("$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PG_URL/$1" \
        -c "create extension if not exists pg_stat_statements" 2>&1)" ||
        die "could not create extension pg_stat_statements in $1: $out"
}

# pg_stat_reset DB: zero pg_stat_statements (all databases; its own call is tagged and left out of pg_stat_top)
pg_stat_reset() { pg_sql "$1" "$PG_HARNESS_TAG select pg_stat_statements_reset()" >/dev/null; }

# pg_stat_top DB N: the N statements of DB with the most total execution time since the last reset, as markdown
# table rows `| calls | total ms | mean µs | plan ms | rows | variants | statement |` (plan ms: time spent planning,
# `track_planning` is on; not part of total ms). Statement = the normalised text with
# whitespace folded, its first 160 characters (`|` escaped); entries with the same first 160 characters are summed
# and counted as variants (pg_stat_statements gives a multi-row VALUES list of each length its own entry). Then one
# row with the sums over all of DB's statements; the harness's tagged queries are left out.
pg_stat_top() {
    local db="$1" n="$2" where
    where="dbid = (select oid from pg_database where datname = '$db') and query not like '%bench-harness%'"
    pg_sql "$db" "$PG_HARNESS_TAG select format('| %s | %s | %s | %s | %s | %s | \`%s\` |', calls, round(t::numeric, 1),
        round((1000 * t / greatest(calls, 1))::numeric, 0), round(p::numeric, 1), r, variants, replace(q, '|', '\|'))
        from (select left(regexp_replace(query, '\s+', ' ', 'g'), 160) q, count(*) variants, sum(calls) calls,
              sum(total_exec_time) t, sum(total_plan_time) p, sum(rows) r
              from pg_stat_statements where $where group by 1) s
        order by t desc limit $n"
    pg_sql "$db" "$PG_HARNESS_TAG select format('| %s | %s | | %s | %s | %s | all statements of the relay |',
        coalesce(sum(calls), 0), coalesce(round(sum(total_exec_time)::numeric, 1), 0),
        coalesce(round(sum(total_plan_time)::numeric, 1), 0), coalesce(sum(rows), 0), count(*))
        from pg_stat_statements where $where"
}

# A persistent psql session for polls (a new connection per poll forks a backend: ~5-8 ms of PostgreSQL CPU each on
# this machine, which would be charged to the relay's PostgreSQL CPU). pg_poll_open DB starts it (bash coproc),
# pg_poll SQL prints the first line of the answer (or "n/a" if none within 10 s), pg_poll_close ends it.
PGPOLL_PID=""
PGPOLL_DB=""
pg_poll_open() {
    pg_poll_close
    coproc PGPOLL { exec "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=0 -d "$PG_URL/$1" 2>&1; }
    PGPOLL_DB="$1"
}
pg_poll() {
    local line first="" i
    [[ -n "$PGPOLL_PID" ]] || { echo "n/a"; return 0; }
    printf '%s;\n\\echo __pg_poll_end__\n' "$1" >&"${PGPOLL[1]}" 2>/dev/null || { echo "n/a"; return 0; }
    for ((i = 0; i < 100; i++)); do # bounded: an answer, an error message of a few lines, then the marker
        IFS= read -r -t 10 line <&"${PGPOLL[0]}" || { first="${first:-n/a}"; break; }
        [[ "$line" == __pg_poll_end__ ]] && break
        [[ -n "$first" ]] || first="$line"
    done
    echo "${first:-n/a}"
}
pg_poll_close() {
    [[ -n "$PGPOLL_PID" ]] || return 0
    local pid="$PGPOLL_PID"
    { exec {PGPOLL[1]}>&-; } 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    PGPOLL_PID=""
    PGPOLL_DB=""
}
