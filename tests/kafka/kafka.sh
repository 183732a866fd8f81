#!/bin/sh
# kafka.sh - a throwaway single-node Apache Kafka (KRaft, broker and
# controller in one process) for the Kafka tests and the benchmark.
#
#   kafka.sh install VERSION      jars into $AG_CACHE/kafka-VERSION (reused)
#   kafka.sh start VERSION DIR    format DIR, start on free loopback ports;
#                                 DIR/port holds the broker port, DIR/pid the pid
#   kafka.sh stop DIR             SIGTERM, wait for the process to exit
#   kafka.sh restart DIR          start a stopped broker again (same ports, data)
#   kafka.sh topic DIR NAME [PARTITIONS]   create a topic (auto-creation is off)
#   kafka.sh config DIR TOPIC KEY=VALUE    change one setting of a topic
#   kafka.sh dump DIR TOPIC PARTITION      the partition's record batches as the
#                                 broker stored them (producerId, sequence numbers)
#
# Environment: AG_CACHE (default $HOME/.cache/authguard), KAFKA_HEAP (512m),
# KAFKA_GROUP_DELAY_MS (group.initial.rebalance.delay.ms: 0, so that tests
# do not wait; Kafka's own default, 3000, lets members that start together
# join one generation).
set -eu

cache=${AG_CACHE:-${HOME:-/tmp}/.cache/authguard}

die() { echo "kafka.sh: $*" >&2; exit 1; }

jars_dir() { echo "$cache/kafka-$1"; }

install() {
    v=$1
    dir=$(jars_dir "$v")
    [ -f "$dir/.complete" ] && return 0
    command -v mvn >/dev/null 2>&1 || die "mvn is not installed (scripts/deps.sh --test)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/agkafka-pom.XXXXXX")
    cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>authguard.test</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$v</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$v</version>
    </dependency>
  </dependencies>
</project>
POM
    mkdir -p "$dir"
    echo "kafka.sh: fetching Apache Kafka $v into $dir" >&2
    if ! mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$dir" >"$work/mvn.log" 2>&1; then
        tail -n 30 "$work/mvn.log" >&2
        rm -rf "$work"
        die "could not fetch Apache Kafka $v with Maven"
    fi
    rm -rf "$work"
    touch "$dir/.complete"
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

java_cp() {
    cp="$(jars_dir "$1")/*"
    shift
    # shellcheck disable=SC2086
    java -Xmx"${KAFKA_HEAP:-512m}" -Xms"${KAFKA_HEAP:-512m}" -XX:+UseSerialGC \
        -Djava.awt.headless=true -Dlog4j.configuration=file:"$KDIR/log4j.properties" \
        -Dlog4j2.configurationFile="$KDIR/log4j2.properties" -cp "$cp" "$@"
}

write_props() {
    port=$1 cport=$2
    cat >"$KDIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KDIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=${KAFKA_GROUP_DELAY_MS:-0}
log.flush.interval.messages=9223372036854775807
PROPS
    cat >"$KDIR/log4j.properties" <<L4J
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
    cat >"$KDIR/log4j2.properties" <<L4J2
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
L4J2
}

# launch VERSION: starts the broker of $KDIR in the background (formatted).
launch() {
    java_cp "$1" kafka.Kafka "$KDIR/server.properties" >>"$KDIR/broker.log" 2>&1 &
    echo $! >"$KDIR/pid"
    port=$(cat "$KDIR/port")
    i=0
    while ! kcat -b "127.0.0.1:$port" -L -m 2 >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge 120 ] || ! kill -0 "$(cat "$KDIR/pid")" 2>/dev/null; then
            tail -n 30 "$KDIR/broker.log" >&2
            die "broker $1 did not come up on 127.0.0.1:$port"
        fi
        sleep 0.5
    done
}

start() {
    v=$1
    KDIR=$2
    install "$v"
    mkdir -p "$KDIR"
    port=$(free_port)
    cport=$(free_port)
    [ "$port" != "$cport" ] || cport=$(free_port)
    echo "$port" >"$KDIR/port"
    echo "$v" >"$KDIR/version"
    write_props "$port" "$cport"
    id=$(java_cp "$v" kafka.tools.StorageTool random-uuid 2>>"$KDIR/broker.log" | tail -n 1)
    java_cp "$v" kafka.tools.StorageTool format -t "$id" -c "$KDIR/server.properties" \
        >>"$KDIR/broker.log" 2>&1 || { tail -n 20 "$KDIR/broker.log" >&2; die "format failed"; }
    launch "$v"
}

# restart DIR: starts a stopped broker again on the same ports and data.
restart() {
    KDIR=$1
    launch "$(cat "$KDIR/version")"
}

stop() {
    KDIR=$1
    [ -f "$KDIR/pid" ] || return 0
    pid=$(cat "$KDIR/pid")
    if kill -TERM "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            if [ "$i" -ge 300 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
            sleep 0.1
        done
    fi
    rm -f "$KDIR/pid"
}

# topic DIR NAME [PARTITIONS]
topic() {
    KDIR=$1
    java_cp "$(cat "$KDIR/version")" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "127.0.0.1:$(cat "$KDIR/port")" --create --topic "$2" \
        --partitions "${3:-1}" --replication-factor 1 >>"$KDIR/broker.log" 2>&1 ||
        { tail -n 20 "$KDIR/broker.log" >&2; die "cannot create topic $2"; }
}

# config DIR TOPIC KEY=VALUE
config() {
    KDIR=$1
    java_cp "$(cat "$KDIR/version")" kafka.admin.ConfigCommand \
        --bootstrap-server "127.0.0.1:$(cat "$KDIR/port")" --alter --entity-type topics \
        --entity-name "$2" --add-config "$3" >>"$KDIR/broker.log" 2>&1 ||
        { tail -n 20 "$KDIR/broker.log" >&2; die "cannot set $3 on topic $2"; }
}

# dump DIR TOPIC PARTITION
dump() {
    KDIR=$1
    java_cp "$(cat "$KDIR/version")" kafka.tools.DumpLogSegments --files \
        "$KDIR/data/$2-$3/00000000000000000000.log" 2>>"$KDIR/broker.log"
}

KDIR=${TMPDIR:-/tmp}
cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
    install) [ $# -eq 1 ] || die "usage: kafka.sh install VERSION"; install "$1" ;;
    start) [ $# -eq 2 ] || die "usage: kafka.sh start VERSION DIR"; start "$1" "$2" ;;
    restart) [ $# -eq 1 ] || die "usage: kafka.sh restart DIR"; restart "$1" ;;
    stop) [ $# -eq 1 ] || die "usage: kafka.sh stop DIR"; stop "$1" ;;
    topic) [ $# -ge 2 ] || die "usage: kafka.sh topic DIR NAME [PARTITIONS]"; topic "$@" ;;
    config) [ $# -eq 3 ] || die "usage: kafka.sh config DIR TOPIC KEY=VALUE"; config "$@" ;;
    dump) [ $# -eq 3 ] || die "usage: kafka.sh dump DIR TOPIC PARTITION"; dump "$@" ;;
    *) die "usage: kafka.sh install|start|restart|stop|topic|config|dump ..." ;;
esac
