# aggregate_lib.sh - what the aggregate tests share, sourced after lib.sh:
# a private Apache Kafka ($KAFKA_VERSION, 3.9.1 by default) with the topics
# a test asks for, and the simulated hosts that scan logs into it.
KV=${KAFKA_VERSION:-3.9.1}
KSH="$AG_SRCDIR/tests/kafka/kafka.sh"
GEN="$AG_SRCDIR/tests/integration/aggregate_logs.py"
CHECK="$AG_SRCDIR/tests/integration/aggregate_check.py"
KDIR=$TAP_TMP/kafka
T=$TAP_TMP

# agg_kafka NAME:PARTITIONS...: starts the broker (stopped at exit), sets B
# to its address and creates the topics; bails out if it cannot.
agg_kafka() {
    tap_diag "Apache Kafka $KV"
    tap_cleanup "sh '$KSH' stop '$KDIR'"
    if ! sh "$KSH" start "$KV" "$KDIR" >"$T/start.log" 2>&1; then
        sed 's/^/# /' "$T/start.log"
        tap_bail "cannot start Apache Kafka $KV"
    fi
    B=127.0.0.1:$(cat "$KDIR/port")
    for t in "$@"; do
        sh "$KSH" topic "$KDIR" "${t%:*}" "${t#*:}" || tap_bail "cannot create topic $t"
    done
}

# hosts EVENTS_TOPIC LOG...: each log scanned by its own authguard into Kafka.
hosts() {
    printf '[sink.kafka]\nbrokers = %s\ntopic_events = %s\ntopic_findings = hf\n' \
        "$B" "$1" >"$T/host-$1.conf"
    topic=$1
    shift
    for log in "$@"; do
        "$AG_BIN" scan --tz UTC --config "$T/host-$topic.conf" "$log" \
            >"$log.out" 2>&1 || { sed 's/^/# /' "$log.out"; return 1; }
    done
}

# aggconf FILE GROUP EVENTS REPARTITION FINDINGS [LINE...]: an aggregator's
# configuration with the tests' fleet threshold (8 hosts) and a short
# session timeout; each LINE ("key = value") is added to [aggregate].
aggconf() {
    _f=$1
    printf '[aggregate]\nbrokers = %s\ngroup_id = %s\ntopic_events = %s\ntopic_repartition = %s\ntopic_findings = %s\nfleet_source_threshold = 8\nsession_timeout = 6s\n' \
        "$B" "$2" "$3" "$4" "$5" >"$_f"
    shift 5
    for _line in "$@"; do
        printf '%s\n' "$_line" >>"$_f"
    done
}
