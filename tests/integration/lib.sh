# lib.sh - a small TAP helper for the shell integration tests; source it:
#
#   . "${AG_SRCDIR:-.}/tests/integration/lib.sh"
#   tap_plan 3
#   tap_check "scan exits 0" "$AG_BIN" scan "$AG_SRCDIR/tests/data/sample.log"
#   tap_ok "found the bruteforce" grep -q bruteforce "$TAP_TMP/out"
#   tap_is "exit code" 2 "$rc"
#   tap_done
#
# make check exports AG_BIN, AG_SRCDIR and AG_BUILDDIR (Makefile.am,
# AM_TESTS_ENVIRONMENT); run by hand, they default to the usual places.
# POSIX sh, so it works under dash as well as bash.

# Variables such as TAP_LAST are for the scripts that source this file.
# shellcheck disable=SC2034
AG_SRCDIR=${AG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
AG_BUILDDIR=${AG_BUILDDIR:-$(pwd)}
AG_BIN=${AG_BIN:-$AG_BUILDDIR/authguard}
export AG_SRCDIR AG_BUILDDIR AG_BIN

TAP_N=0          # tests run so far
TAP_FAILED=0     # of which failed
TAP_PLANNED=""   # the plan, once printed
TAP_LAST=0       # 0 if the last check passed, 1 if it failed
TAP_CLEANUP=""   # commands run at exit, newest first

# A private scratch directory, removed at exit.
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/agtest.XXXXXX") || exit 99
export TAP_TMP

tap_diag() {
    # Every line of the arguments as a TAP comment.
    printf '%s\n' "$*" | sed 's/^/# /'
}

tap_plan() {
    TAP_PLANNED=$1
    echo "1..$1"
}

# The whole file is skipped (e.g. a tool is missing): counts as a skip,
# not a failure.
tap_skip_all() {
    echo "1..0 # SKIP $*"
    TAP_PLANNED=0
    exit 0
}

tap_bail() {
    echo "Bail out! $*"
    exit 99
}

# Every check prints one TAP line and returns 0, so that a test written
# with `set -e` carries on after a failure; $TAP_LAST is 0 after a pass and
# 1 after a failure, for the rare test that must stop (tap_bail).
tap_pass() {
    TAP_N=$((TAP_N + 1))
    TAP_LAST=0
    echo "ok $TAP_N - $*"
}

tap_fail() {
    TAP_N=$((TAP_N + 1))
    TAP_FAILED=$((TAP_FAILED + 1))
    TAP_LAST=1
    echo "not ok $TAP_N - $*"
}

tap_skip() {
    # tap_skip DESC REASON
    TAP_N=$((TAP_N + 1))
    TAP_LAST=0
    echo "ok $TAP_N - $1 # SKIP ${2:-}"
}

# tap_ok DESC CMD...: passes when CMD exits 0. CMD's output is kept out of
# the TAP stream and shown as a diagnostic only on failure.
tap_ok() {
    _tap_desc=$1
    shift
    "$@" >"$TAP_TMP/.tap_out" 2>&1 && _tap_rc=0 || _tap_rc=$?
    if [ "$_tap_rc" -eq 0 ]; then
        tap_pass "$_tap_desc"
    else
        tap_fail "$_tap_desc"
        tap_diag "command: $* (exit $_tap_rc)"
        tail -n 20 "$TAP_TMP/.tap_out" | sed 's/^/#   /'
    fi
}

# tap_check DESC CMD...: the same as tap_ok, the name the tests use.
tap_check() {
    tap_ok "$@"
}

# tap_not DESC CMD...: passes when CMD exits non-zero.
tap_not() {
    _tap_desc=$1
    shift
    "$@" >"$TAP_TMP/.tap_out" 2>&1 && _tap_rc=0 || _tap_rc=$?
    if [ "$_tap_rc" -ne 0 ]; then
        tap_pass "$_tap_desc"
    else
        tap_fail "$_tap_desc"
        tap_diag "command succeeded but should have failed: $*"
        tail -n 20 "$TAP_TMP/.tap_out" | sed 's/^/#   /'
    fi
}

# tap_is DESC EXPECTED GOT: string equality.
tap_is() {
    if [ "$2" = "$3" ]; then
        tap_pass "$1"
        return 0
    fi
    tap_fail "$1"
    tap_diag "expected: '$2'" "got:      '$3'"
}

# tap_cmp DESC OP A B: numeric comparison with test(1)'s -eq -ne -lt -le -gt -ge.
tap_cmp() {
    case $2 in
        -eq|-ne|-lt|-le|-gt|-ge) ;;
        *) tap_fail "$1"; tap_diag "tap_cmp: unknown operator '$2'"; return 0 ;;
    esac
    if test "$3" "$2" "$4" 2>/dev/null; then
        tap_pass "$1"
        return 0
    fi
    tap_fail "$1"
    tap_diag "expected $3 $2 $4"
}

# tap_grep DESC PATTERN FILE: FILE has a line matching the extended regex.
tap_grep() {
    if grep -Eq -- "$2" "$3" 2>/dev/null; then
        tap_pass "$1"
        return 0
    fi
    tap_fail "$1"
    tap_diag "no line of $3 matches: $2"
    if [ -f "$3" ]; then head -n 10 "$3" | sed 's/^/#   /'; fi
}

# tap_cleanup CMD: run CMD (a string, evaluated) at exit, e.g.
# tap_cleanup "kill $pid". Later registrations run first.
tap_cleanup() {
    TAP_CLEANUP="$1
$TAP_CLEANUP"
}

# A free TCP port on the loopback interface. The port is released before
# it is returned, so a race with another process is possible but unlikely.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds or
# SECONDS have passed; returns CMD's last status.
wait_for() {
    _wf_left=$(($1 * 10))
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        _wf_left=$((_wf_left - 1))
        [ "$_wf_left" -le 0 ] && return 1
        sleep 0.1
    done
}

# wait_for_port PORT [SECONDS]: something listens on 127.0.0.1:PORT.
wait_for_port() {
    wait_for "${2:-10}" python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()' "$1"
}

# tap_done: prints the plan if none was given and sets the exit status.
# sshd_failures PREFIX FIRST LAST [IP]: "Failed password" lines for the
# invalid users PREFIX<FIRST>..PREFIX<LAST> (four digits), stamped now (ISO
# 8601) so that they count in the rules' windows, each from IP or from one
# of 200 addresses in 192.0.2.0/24.
sshd_failures() {
    _now=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
    _i=$2
    while [ "$_i" -le "$3" ]; do
        printf '%s web1 sshd[%d]: Failed password for invalid user %s%04d from %s port %d ssh2\n' \
            "$_now" "$_i" "$1" "$_i" "${4:-192.0.2.$((_i % 200 + 1))}" "$((40000 + _i))"
        _i=$((_i + 1))
    done
}

tap_done() {
    [ -z "$TAP_PLANNED" ] && echo "1..$TAP_N"
    if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" -ne "$TAP_N" ]; then
        tap_diag "planned $TAP_PLANNED tests but ran $TAP_N"
        exit 1
    fi
    [ "$TAP_FAILED" -eq 0 ] || exit 1
    exit 0
}

_tap_exit() {
    _tap_status=$?
    set +e
    # Run the registered commands, newest first, whatever happened.
    printf '%s\n' "$TAP_CLEANUP" | while IFS= read -r _tap_cmd; do
        [ -n "$_tap_cmd" ] && eval "$_tap_cmd" >/dev/null 2>&1
    done
    rm -rf "$TAP_TMP"
    exit "$_tap_status"
}
trap _tap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
