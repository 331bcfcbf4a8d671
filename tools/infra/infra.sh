#!/usr/bin/env bash
# Starts and stops the real servers Crest's integration tests and full-stack runs need, without Docker:
# a single-node Apache Kafka (KRaft) and a single-node Elasticsearch 8, both resolved from Maven Central.
#
#   tools/infra/infra.sh start    # start both (or reuse running ones), wait until ready, print addresses
#   tools/infra/infra.sh stop     # stop both and delete their data
#   tools/infra/infra.sh status   # say what is running
#
# Ports and places come from the environment (defaults in brackets): KAFKA_PORT [9092],
# KAFKA_CONTROLLER_PORT [9093], KAFKA_PROXIED_PORT [9094] and KAFKA_OUTAGE_PROXY_PORT [9095] (a second
# listener that advertises the proxy port, so a test's TCP proxy on that port can cut a client off from the
# broker: e2e/reliability/exposures-outage), ES_PORT [9200], ES_TRANSPORT_PORT [9300], CREST_INFRA_DIR (data, logs,
# pids) [$TMPDIR/crest-infra], CREST_INFRA_CACHE (unpacked servers) [/var/cache/crest-infra as root,
# ~/.cache/crest-infra otherwise]. CREST_INFRA=docker uses docker/docker-compose.yml instead, where a Docker
# engine runs.
set -euo pipefail

KAFKA_VERSION=4.4.0
ES_VERSION=8.19.21
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_PROXIED_PORT="${KAFKA_PROXIED_PORT:-9094}"
KAFKA_OUTAGE_PROXY_PORT="${KAFKA_OUTAGE_PROXY_PORT:-9095}"
ES_PORT="${ES_PORT:-9200}"
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-9300}"
STATE="${CREST_INFRA_DIR:-${TMPDIR:-/tmp}/crest-infra}"
if [ "$(id -u)" = 0 ]; then CACHE="${CREST_INFRA_CACHE:-/var/cache/crest-infra}"; else CACHE="${CREST_INFRA_CACHE:-$HOME/.cache/crest-infra}"; fi
ES_USER=crest-es
KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT}"
ELASTICSEARCH_URL="http://127.0.0.1:${ES_PORT}"

say() { printf '[infra] %s\n' "$*" >&2; }
fail() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is required ($2)"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

es_healthy() { curl -fsS "${ELASTICSEARCH_URL}/_cluster/health" 2>/dev/null | grep -Eq '"status":"(green|yellow)"'; }

kafka_ready() { node "$ROOT/tools/infra/kafka-ready.mjs" "$KAFKA_BROKERS" "${1:-5}" >/dev/null 2>&1; }

java_home() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME"; return; fi
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

fetch_kafka() {
  local lib="$CACHE/kafka-$KAFKA_VERSION/lib"
  if [ -f "$lib/.complete" ]; then return; fi
  say "resolving Kafka $KAFKA_VERSION from Maven Central (first run only)"
  mkdir -p "$lib"
  mvn -B -q -Dstyle.color=never -f "$ROOT/tools/infra/kafka-pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$lib" >&2 || fail "Maven could not resolve Kafka $KAFKA_VERSION"
  touch "$lib/.complete"
}

fetch_elasticsearch() {
  local home="$CACHE/elasticsearch-$ES_VERSION"
  if [ -f "$home/.complete" ]; then return; fi
  say "resolving Elasticsearch $ES_VERSION from Maven Central (first run only, ~107 MB)"
  local download="$CACHE/download"
  mkdir -p "$download"
  mvn -B -q -Dstyle.color=never dependency:copy \
    -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
    -DoutputDirectory="$download" >&2 || fail "Maven could not resolve Elasticsearch $ES_VERSION"
  rm -rf "$home"
  (cd "$CACHE" && unzip -q -o "$download/elasticsearch-$ES_VERSION.zip") || fail "could not unpack Elasticsearch"
  rm -f "$download/elasticsearch-$ES_VERSION.zip"
  touch "$home/.complete"
}

start_kafka() {
  if pid_alive "$STATE/kafka.pid" && kafka_ready 5; then say "Kafka already running at $KAFKA_BROKERS"; return; fi
  if kafka_ready 3; then say "Kafka already answering at $KAFKA_BROKERS (not started by this script)"; return; fi
  fetch_kafka
  local dir="$STATE/kafka" lib="$CACHE/kafka-$KAFKA_VERSION/lib"
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT},PROXIED://127.0.0.1:${KAFKA_PROXIED_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},PROXIED://127.0.0.1:${KAFKA_OUTAGE_PROXY_PORT}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${dir}/data
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java -cp "$lib/*" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$dir/server.properties" \
      >"$dir/logs/format.log" 2>&1 || fail "Kafka storage format failed: $(tail -5 "$dir/logs/format.log")"
  fi
  say "starting Kafka $KAFKA_VERSION on $KAFKA_BROKERS"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -cp "$lib/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/kafka.out" 2>&1 &
  echo $! >"$STATE/kafka.pid"
}

start_elasticsearch() {
  if es_healthy; then say "Elasticsearch already answering at $ELASTICSEARCH_URL"; return; fi
  fetch_elasticsearch
  local home="$CACHE/elasticsearch-$ES_VERSION" dir="$STATE/elasticsearch"
  mkdir -p "$dir/data" "$dir/logs" "$dir/config"
  cp -r "$home/config/." "$dir/config/"
  cat >"$dir/config/elasticsearch.yml" <<YML
cluster.name: crest-local
node.name: crest-es-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: ${ES_PORT}
transport.port: ${ES_TRANSPORT_PORT}
path.data: ${dir}/data
path.logs: ${dir}/logs
xpack.security.enabled: false
action.destructive_requires_name: false
YML
  local -a run=()
  if [ "$(id -u)" = 0 ]; then
    # Elasticsearch refuses to run as root.
    id "$ES_USER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$ES_USER"
    chmod 755 "$CACHE" "$STATE"
    chown -R "$ES_USER" "$home" "$dir"
    run=(runuser -u "$ES_USER" --)
  fi
  say "starting Elasticsearch $ES_VERSION on $ELASTICSEARCH_URL"
  # ES_PATH_CONF keeps the unpacked server read-only and shareable; settings live with the data.
  env ES_JAVA_HOME="$(java_home)" ES_PATH_CONF="$dir/config" ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms1g -Xmx1g}" \
    "${run[@]}" "$home/bin/elasticsearch" -d -p "$dir/es.pid" >"$dir/logs/start.out" 2>&1 ||
    fail "Elasticsearch did not start: $(tail -20 "$dir/logs/start.out")"
  cp "$dir/es.pid" "$STATE/elasticsearch.pid" 2>/dev/null || true
}

wait_ready() {
  local deadline=$((SECONDS + ${CREST_INFRA_TIMEOUT:-180}))
  local kafka_ok=0 es_ok=0
  while [ $SECONDS -lt $deadline ]; do
    [ $es_ok = 1 ] || { es_healthy && es_ok=1 && say "Elasticsearch ready at $ELASTICSEARCH_URL"; } || true
    [ $kafka_ok = 1 ] || { kafka_ready 10 && kafka_ok=1 && say "Kafka ready at $KAFKA_BROKERS (produce + group consume ok)"; } || true
    if [ $kafka_ok = 1 ] && [ $es_ok = 1 ]; then return 0; fi
    if [ $kafka_ok = 0 ] && [ -f "$STATE/kafka.pid" ] && ! pid_alive "$STATE/kafka.pid"; then
      fail "Kafka exited: $(tail -20 "$STATE/kafka/logs/kafka.out")"
    fi
    if [ $es_ok = 0 ] && [ -f "$STATE/elasticsearch/es.pid" ] && ! pid_alive "$STATE/elasticsearch/es.pid"; then
      fail "Elasticsearch exited: $(tail -20 "$STATE/elasticsearch/logs/crest-local.log" 2>/dev/null)"
    fi
    sleep 1
  done
  [ $kafka_ok = 1 ] || fail "Kafka not ready after ${CREST_INFRA_TIMEOUT:-180}s: $(tail -20 "$STATE/kafka/logs/kafka.out" 2>/dev/null)"
  fail "Elasticsearch not healthy after ${CREST_INFRA_TIMEOUT:-180}s: $(tail -20 "$STATE/elasticsearch/logs/crest-local.log" 2>/dev/null)"
}

print_env() {
  cat >"$STATE/env" <<ENV
KAFKA_BROKERS=$KAFKA_BROKERS
ELASTICSEARCH_URL=$ELASTICSEARCH_URL
ENV
  say "ready in ${SECONDS}s"
  cat "$STATE/env"
}

stop_pid() {
  local file="$1" name="$2"
  if ! pid_alive "$file"; then rm -f "$file"; return; fi
  local pid
  pid="$(cat "$file")"
  say "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

use_docker() {
  [ "${CREST_INFRA:-}" = docker ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

cmd="${1:-}"
case "$cmd" in
  start)
    mkdir -p "$STATE"
    if use_docker; then
      say "starting Kafka and Elasticsearch with docker compose"
      KAFKA_PORT=$KAFKA_PORT ES_PORT=$ES_PORT docker compose -f "$ROOT/docker/docker-compose.yml" up -d kafka elasticsearch
    else
      need java "Java 17+"
      need mvn "Apache Maven, to resolve the servers from Maven Central"
      need node "Node.js, for the Kafka readiness check"
      need curl "curl, for the Elasticsearch health check"
      need unzip "unzip, to unpack Elasticsearch"
      start_kafka
      start_elasticsearch
    fi
    wait_ready
    print_env
    ;;
  stop)
    if use_docker; then docker compose -f "$ROOT/docker/docker-compose.yml" stop kafka elasticsearch; exit 0; fi
    stop_pid "$STATE/kafka.pid" Kafka
    stop_pid "$STATE/elasticsearch/es.pid" Elasticsearch
    rm -f "$STATE/elasticsearch.pid"
    rm -rf "$STATE/kafka" "$STATE/elasticsearch" "$STATE/env"
    say "stopped; data removed"
    ;;
  status)
    if kafka_ready 5; then echo "kafka: ready at $KAFKA_BROKERS"; else echo "kafka: not answering at $KAFKA_BROKERS"; fi
    if es_healthy; then echo "elasticsearch: ready at $ELASTICSEARCH_URL"; else echo "elasticsearch: not answering at $ELASTICSEARCH_URL"; fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
