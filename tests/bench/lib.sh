# lib.sh - what the benchmarks share: their common options, finding the
# authguard binary, and the generated logs they cache. Sourced, not run:
#   . "$(dirname "$0")/lib.sh"; bench_args "$@"; bench_locate; log=$(bench_log mixed)
#
# Common options: --build DIR (where authguard was built: default ./ when it
# holds authguard, else build/ in the source tree; $AG_BIN overrides the
# binary), --cache DIR (generated logs, default DIR/cache), --runs N,
# --lines N (log size, 2,000,000 by default), --kafka VERSION. Each script
# reads the ones it needs; its header comment is its --help.

bench_here=$(cd "$(dirname "$0")" && pwd)
bench_root=$(cd "$bench_here/../.." && pwd)
bench_name=$(basename "$0")
build="" cache="" runs=3 lines=2000000 kv=${KAFKA_VERSION:-3.9.1}

# The calling script's header comment, from its second line to `set -eu`.
bench_usage() {
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
}

bench_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --build) build=$2; shift 2 ;;
            --cache) cache=$2; shift 2 ;;
            --runs) runs=$2; shift 2 ;;
            --lines) lines=$2; shift 2 ;;
            --kafka) kv=$2; shift 2 ;;
            *) bench_usage ;;
        esac
    done
}

# Sets bin (the authguard binary) and cache (created), or stops.
bench_locate() {
    if [ -z "$build" ]; then
        if [ -x ./authguard ]; then build=.; else build=$bench_root/build; fi
    fi
    bin=${AG_BIN:-$build/authguard}
    cache=${cache:-$build/cache}
    [ -x "$bin" ] || { echo "$bench_name: no authguard at $bin" >&2; exit 1; }
    mkdir -p "$cache"
}

# bench_log mixed|all|botnet: the path of the generated log of $lines lines,
# made once and cached: "mixed" is ordinary syslog with 30% sshd lines (the
# parse and scan benchmarks), "all" plays every attack scenario, "botnet" is
# "mixed" with nearly all sshd lines single guesses of a botnet, a new source
# at a new invalid user each time (about 380,000 keys in 2,000,000 lines).
bench_log() {
    case $1 in
        mixed) f=$cache/genlog-$lines-seed1.log gen="--sshd-share 0.30" ;;
        all) f=$cache/genlog-$lines-seed1-all.log gen="--scenario all" ;;
        botnet) f=$cache/genlog-$lines-seed1-botnet.log gen="--sshd-share 0.30 --botnet 0.95" ;;
        *) echo "$bench_name: bench_log mixed|all|botnet" >&2; exit 2 ;;
    esac
    if [ ! -s "$f" ]; then
        echo "generating $f ..." >&2
        # shellcheck disable=SC2086 # $gen is several words on purpose
        python3 "$bench_root/tests/gen/genlog.py" --lines "$lines" --seed 1 $gen >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
