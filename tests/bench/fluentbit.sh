#!/bin/sh
# fluentbit.sh - records/s through flb-filter_authguard.so on one thread, as
# the harness loads it: tests/bench/fluentbit.sh [BUILDDIR] [ROUNDS]
# (a round is one chunk of 1000 records, half of them authentication failures).
set -eu
build=${1:-.}
rounds=${2:-2000}
[ -x "$build/tests/fluentbit/harness" ] || make -C "$build" tests/fluentbit/harness >/dev/null
AG_BUILDDIR=$(cd "$build" && pwd) "$build/tests/fluentbit/harness" --bench "$rounds"
