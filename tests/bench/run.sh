#!/bin/sh
# run.sh - the project's benchmarks in one run, each next to its baseline:
#   parse.sh   recognizer lines/s, authguard against sshguard's sshg-parser
#   table      events/s through the counter table, lock-free against one mutex,
#              on 1 and 2 threads (tests/bench/table_bench)
#   scan.sh    `authguard scan` end to end with peak RSS
#
#   tests/bench/run.sh [--build DIR] [--cache DIR]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build cache=""
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
cache=${cache:-$build/cache}

echo "== parse: authguard bench vs sshg-parser"
sh "$here/parse.sh" --build "$build" --cache "$cache"
echo
echo "== table: lock-free vs one mutex, 1 and 2 threads"
make -s -C "$build" tests/bench/table_bench >/dev/null
"$build/tests/bench/table_bench" 1000000
echo
echo "== scan: end to end"
sh "$here/scan.sh" --build "$build" --cache "$cache"
