#!/usr/bin/env bash
# scripts/onboarding-check.sh: runs the commands of docs/ONBOARDING.md §8 exactly as written there (every ```sh block
# after an `<!-- onboarding-check -->` line), on free ports instead of 8080 and 8099, in a scratch copy of the
# repository's working directory layout; then checks that the PHP receiver verified the callback's notification.
#
#   scripts/onboarding-check.sh            needs: the relay built (.build/debug/relay, or RELAY_BINARY), php 8.1+,
#                                          curl, openssl
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GUIDE="$REPO/docs/ONBOARDING.md"
RELAY_BINARY="${RELAY_BINARY:-$REPO/.build/debug/relay}"

for tool in php curl openssl; do
    command -v "$tool" >/dev/null || { echo "onboarding-check: $tool is not installed" >&2; exit 1; }
done
[[ -x "$RELAY_BINARY" ]] || { echo "onboarding-check: no relay binary at $RELAY_BINARY (swift build first)" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
RELAY_PORT="$(free_port)"
RECEIVER_PORT="$(free_port)"

# The guide's blocks, in order, with the two ports replaced.
BLOCKS="$(awk '
    /^<!-- onboarding-check -->$/ { armed = 1; next }
    armed && /^```sh$/ { inside = 1; armed = 0; next }
    inside && /^```$/ { inside = 0; print ""; next }
    inside { print }
' "$GUIDE")"
[[ -n "$BLOCKS" ]] || { echo "onboarding-check: no <!-- onboarding-check --> blocks in $GUIDE" >&2; exit 1; }
BLOCKS="${BLOCKS//127.0.0.1:8080/127.0.0.1:$RELAY_PORT}"
BLOCKS="${BLOCKS//127.0.0.1:8099/127.0.0.1:$RECEIVER_PORT}"
if grep -q -E '8080|8099' <<<"$BLOCKS"; then
    echo "onboarding-check: the guide uses ports 8080/8099 other than as 127.0.0.1:PORT; update this script" >&2
    exit 1
fi

# A scratch directory that looks like the repository root to the guide's relative paths.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/onboarding-check.XXXXXX")"
mkdir -p "$WORK/bin" "$WORK/Tests/RelayCoreTests"
ln -s "$RELAY_BINARY" "$WORK/bin/relay"
ln -s "$REPO/clients" "$WORK/clients"
ln -s "$REPO/Tests/RelayCoreTests/Resources" "$WORK/Tests/RelayCoreTests/Resources"
printf '%s\n' "$BLOCKS" >"$WORK/guide.sh"

echo "== docs/ONBOARDING.md §8 on 127.0.0.1 (relay :$RELAY_PORT, receiver :$RECEIVER_PORT) in $WORK"
status=0
(
    cd "$WORK"
    export PATH="$WORK/bin:$PATH"
    # The guide starts the receiver and the relay in the background: stop exactly those (by pid) on any exit.
    bash -c '
        set -euo pipefail
        trap '\''for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true'\'' EXIT
        # Not set -x: it would print the generated secrets. The commands, as the guide writes them:
        sed "s/^/+ /" guide.sh
        source ./guide.sh
        echo "== checks"
        # The two test sends and the callback'\''s notification were verified by the PHP receiver.
        grep -q "receiver: verified POST ntf_test_" onboarding/receiver.log
        grep -q "receiver: verified PUT ntf_test_" onboarding/receiver.log
        grep -q -E "receiver: verified POST ntf_[^t]" onboarding/receiver.log
        if grep "receiver: rejected" onboarding/receiver.log; then exit 1; fi
        echo "receiver verified: 2 test sends and the DELIVERED notification of one Clickpost callback"
    '
) || status=$?
if ((status != 0)); then
    echo "onboarding-check: FAILED; logs:" >&2
    tail -n 40 "$WORK"/onboarding/*.log >&2 || true
fi
rm -rf -- "$WORK"
exit "$status"
