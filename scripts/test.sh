#!/usr/bin/env bash
# scripts/test.sh: the project's single test command.
#
# On a fresh Debian 12 machine (root, or a user with sudo) it installs what the build and the tests need, creates
# the Python venv used by the tests, starts a throwaway PostgreSQL 15 on 127.0.0.1, builds the package with its
# tests, fails on any compiler warning in our own sources, runs `swift test` (the load suites last, on their own),
# validates the JSON Schemas, runs the PHP clients' checks (clients/run-tests.sh: php -l, PHPUnit) and the
# onboarding guide's walk-through (scripts/onboarding-check.sh).
# Re-running it is safe: every set-up step is skipped when already satisfied.
#
#   scripts/test.sh                     everything
#   scripts/test.sh -- --filter Store   extra arguments after `--` go to `swift test`
#   scripts/test.sh --setup-only        install, venv and a PostgreSQL smoke test; no Swift build
#   scripts/test.sh --help
#
# Environment it exports to the tests:
#   RELAY_TEST_POSTGRES_URL  postgres://postgres@127.0.0.1:<port>/postgres (trust auth, loopback only, throwaway)
#   RELAY_TEST_PG_BIN        PostgreSQL 15 binaries (initdb, pg_ctl, psql) for tests that run a server of their own
#   RELAY_TEST_PYTHON        .build-venv/bin/python (jsonschema, referencing, pyyaml, standardwebhooks 1.1.0, openapi-spec-validator)
# Logs: .build-logs/build.log, .build-logs/test.log, .build-logs/test-load.log, .build-logs/php-tests.log,
# .build-logs/onboarding-check.log.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

SETUP_ONLY=0
SWIFT_TEST_ARGS=()
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --setup-only) SETUP_ONLY=1 ;;
        --) shift; SWIFT_TEST_ARGS=("$@"); break ;;
        *) echo "test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
exec </dev/null # nothing here may wait for a terminal (CI=true, no stdin)
exec 3>&1 4>&2  # the exit trap writes here: a signal may arrive while a command's output is redirected to a file

PG_BIN=/usr/lib/postgresql/15/bin
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="$PATH:/opt/swift/usr/bin" # where this machine kind keeps the toolchain
fi
VENV="$REPO/.build-venv"
LOGS="$REPO/.build-logs"
APT_PACKAGES=(libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config postgresql chromium prometheus php-cli php-xml php-mbstring phpunit)
PIP_PACKAGES=(jsonschema referencing pyyaml standardwebhooks==1.1.0 openapi-spec-validator websocket-client)

# ---------------------------------------------------------------- phases, timing and the final summary
PHASE_NAMES=()
PHASE_RESULTS=()
PHASE_SECONDS=()
CURRENT_PHASE=""
CURRENT_START=0
FAILED=0

now_ms() { date +%s%3N; }
log() { printf '==> %s\n' "$*"; }

phase_begin() {
    CURRENT_PHASE="$1"
    CURRENT_START=$(now_ms)
    printf '\n==== %s\n' "$1"
}

# phase_end RESULT  (ok | FAILED | skipped)
phase_end() {
    local elapsed_ms=$(($(now_ms) - CURRENT_START))
    local secs
    secs=$(printf '%d.%d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)))
    PHASE_NAMES+=("$CURRENT_PHASE")
    PHASE_RESULTS+=("$1")
    PHASE_SECONDS+=("$secs")
    [[ "$1" == FAILED ]] && FAILED=1
    printf -- '---- %s: %s (%ss)\n' "$CURRENT_PHASE" "$1" "$secs"
    CURRENT_PHASE=""
}

# run_phase NAME FUNCTION: runs FUNCTION in a subshell with errexit active, records the result, never exits.
run_phase() {
    phase_begin "$1"
    local rc=0
    set +e
    (
        set -e
        "$2"
    )
    rc=$?
    set -e
    if ((rc == 0)); then phase_end ok; else phase_end FAILED; fi
    return 0
}

skip_phase() {
    phase_begin "$1"
    log "skipped: $2"
    phase_end skipped
}

# ---------------------------------------------------------------- throwaway PostgreSQL, stopped on any exit
PG_TMP=""
PG_STARTED=0

as_pg_user() {
    if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_postgres() {
    # postmaster.pid, not PG_STARTED: a signal can land after pg_ctl started the server and before the flag is set.
    if [[ -n "$PG_TMP" && -f "$PG_TMP/data/postmaster.pid" ]]; then
        as_pg_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            echo "test.sh: warning: pg_ctl stop failed; see $PG_TMP/postgres.log" >&2
        PG_STARTED=0
    fi
    if [[ -n "$PG_TMP" && -d "$PG_TMP" ]]; then
        rm -rf -- "$PG_TMP"
    fi
    PG_TMP=""
}

print_summary() {
    local i
    printf '\n================ summary (%s)\n' "$REPO"
    for i in "${!PHASE_NAMES[@]}"; do
        printf '  %-34s %-8s %7ss\n' "${PHASE_NAMES[$i]}" "${PHASE_RESULTS[$i]}" "${PHASE_SECONDS[$i]}"
    done
}

on_exit() {
    local rc=$?
    set +e
    exec 1>&3 2>&4
    if [[ -n "$CURRENT_PHASE" ]]; then # a set-up step died under errexit
        phase_end FAILED
    fi
    stop_postgres
    print_summary
    if ((rc == 0 && FAILED == 0)); then
        printf '  RESULT: PASS\n'
    else
        printf '  RESULT: FAIL\n'
        ((rc == 0)) && rc=1
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- set-up steps (run in this shell: they export)
is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_system_packages() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
    if [[ ! -x "$PG_BIN/initdb" ]] && ! is_installed postgresql-15; then
        missing+=(postgresql-15)
    fi
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    if ((${#missing[@]} == 0)); then
        log "system packages present: ${APT_PACKAGES[*]}"
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { echo "test.sh: missing packages ${missing[*]} and not root (no sudo)" >&2; return 1; }
        sudo=(sudo -n)
    fi
    log "installing: ${missing[*]}"
    local apt_opts=(-qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
    local apt_log="$LOGS/apt.log"
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${missing[@]}"; } \
        >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        echo "test.sh: apt-get failed (full log: $apt_log)" >&2
        return 1
    fi
    for p in "${missing[@]}"; do
        is_installed "$p" || { echo "test.sh: $p still not installed" >&2; return 1; }
    done
}

python_venv() {
    local py="$VENV/bin/python"
    if [[ ! -x "$py" ]] || ! "$py" -c 'import sys' >/dev/null 2>&1; then
        log "creating $VENV"
        rm -rf -- "$VENV"
        python3 -m venv "$VENV"
    fi
    if "$py" - <<'EOF' >/dev/null 2>&1; then
import importlib.metadata as m
import jsonschema, referencing, yaml, standardwebhooks, openapi_spec_validator, websocket  # noqa: F401
assert m.version("standardwebhooks") == "1.1.0"
EOF
        log "venv satisfied: ${PIP_PACKAGES[*]}"
    else
        log "pip install ${PIP_PACKAGES[*]}"
        "$py" -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
    fi
    export RELAY_TEST_PYTHON="$py"
    log "RELAY_TEST_PYTHON=$RELAY_TEST_PYTHON"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
    if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
        echo "test.sh: no 'postgres' user (is the postgresql package installed?)" >&2
        return 1
    fi
    PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/relay-test-pg.XXXXXX")"
    if ((EUID == 0)); then chown postgres: "$PG_TMP"; fi
    chmod 700 "$PG_TMP"
    as_pg_user "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust --no-sync -E UTF8 --locale=C \
        >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; return 1; }
    local attempt port
    for attempt in 1 2 3; do # the port may be taken between picking and binding: retry a bounded number of times
        port="$(free_port)"
        # fsync=off: a throwaway test cluster; durability of the host is not under test here.
        if as_pg_user "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" -w -t 30 \
            -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
            PG_STARTED=1
            break
        fi
        log "PostgreSQL did not start on port $port (attempt $attempt)"
        tail -n 5 "$PG_TMP/postgres.log" >&2 || true
    done
    ((PG_STARTED)) || return 1
    export RELAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
    export RELAY_TEST_PG_BIN="$PG_BIN" # the scale-out tests start (and restart) a private server of their own
    "$PG_BIN/psql" -X -q -At -d "$RELAY_TEST_POSTGRES_URL" -c 'select version()' | sed 's/^/    /'
    log "RELAY_TEST_POSTGRES_URL=$RELAY_TEST_POSTGRES_URL (data in $PG_TMP, removed on exit)"
}

# ---------------------------------------------------------------- test steps (each runs in a subshell)
build() {
    command -v swift >/dev/null || { echo "test.sh: swift is not on PATH" >&2; exit 1; }
    swift --version 2>&1 | head -n 1
    # Not -warnings-as-errors: it would also apply to dependencies. Our own warnings are checked from the log.
    swift build --build-tests 2>&1 | tee "$LOGS/build.log"
    [[ -x .build/debug/relay ]] || { echo "test.sh: .build/debug/relay was not built (end-to-end tests need it)" >&2; exit 1; }
}

check_warnings() {
    # Only files that were compiled in this run report warnings: on a fresh checkout that is all of them.
    local pattern="^(${REPO//./\\.}/)?(Sources|Tests)/[^:]+:[0-9]+:([0-9]+:)? warning:"
    local found
    found="$(grep -E "$pattern" "$LOGS/build.log" | sort -u || true)"
    if [[ -n "$found" ]]; then
        echo "compiler warnings in our sources (treated as errors):"
        printf '%s\n' "$found"
        exit 1
    fi
    echo "no compiler warnings under Sources/ or Tests/"
}

# The load suites push thousands of callbacks through real relay processes. They run after the others, alone: run
# beside the timing-sensitive tests on a 2-core machine they starved them (a CI run saw PostgreSQL commits over 3 s
# and a 2 s delivery timeout exceeded).
LOAD_SUITES='RelayEndToEndTests\.(ScaleOutEndToEndTests|DeliveryEndToEndTests|FaultSuiteTests|FaultSuiteOutageTests)'

swift_test() {
    if ((${#SWIFT_TEST_ARGS[@]})); then
        swift test "${SWIFT_TEST_ARGS[@]}" 2>&1 | tee "$LOGS/test.log"
    else
        swift test --skip "$LOAD_SUITES" 2>&1 | tee "$LOGS/test.log"
    fi
}

swift_test_load() {
    swift test --filter "$LOAD_SUITES" 2>&1 | tee "$LOGS/test-load.log"
}

prometheus_rules() {
    promtool check config Deploy/prometheus/prometheus.yaml
    promtool check rules Deploy/prometheus/relay-rules.yaml
    promtool test rules Deploy/prometheus/relay-rules.test.yaml
}

validate_schemas() {
    "$RELAY_TEST_PYTHON" scripts/validate_schemas.py
}

# The PHP verifier and the Magento module's logic (php -l, XML/JSON, PHPUnit); see clients/run-tests.sh.
php_tests() {
    clients/run-tests.sh 2>&1 | tee "$LOGS/php-tests.log"
}

# docs/ONBOARDING.md's one-machine walk-through, run as written (relay, PHP receiver, send-test, one callback).
onboarding_check() {
    scripts/onboarding-check.sh 2>&1 | tee "$LOGS/onboarding-check.log"
}

# ---------------------------------------------------------------- main
printf 'test.sh in %s (CI=%s, %s, %s cores)\n' "$REPO" "${CI:-}" "$(uname -sr)" "$(nproc)"
mkdir -p "$LOGS"

phase_begin "system packages"
install_system_packages
phase_end ok

phase_begin "python venv"
python_venv
phase_end ok

phase_begin "postgresql 15 (throwaway)"
start_postgres
phase_end ok

if ((SETUP_ONLY)); then
    log "--setup-only: not building or testing"
    exit 0
fi

run_phase "swift build --build-tests" build
if [[ "${PHASE_RESULTS[-1]}" == ok ]]; then
    run_phase "own compiler warnings" check_warnings
    run_phase "swift test" swift_test
    if ((${#SWIFT_TEST_ARGS[@]})); then
        skip_phase "swift test: load suites" "arguments given to swift test"
    else
        run_phase "swift test: load suites" swift_test_load
    fi
else
    skip_phase "own compiler warnings" "build failed"
    skip_phase "swift test" "build failed"
    skip_phase "swift test: load suites" "build failed"
fi

run_phase "prometheus rules (promtool)" prometheus_rules

if [[ -f scripts/validate_schemas.py ]]; then
    run_phase "validate schemas" validate_schemas
else
    skip_phase "validate schemas" "scripts/validate_schemas.py does not exist yet"
fi

run_phase "php tests" php_tests
if [[ -x .build/debug/relay ]]; then
    run_phase "onboarding guide check" onboarding_check
else
    skip_phase "onboarding guide check" "no relay binary (build failed)"
fi
# on_exit prints the summary and sets the exit status.
