#!/usr/bin/env bash
# spark-cluster.sh start|stop|status: a standalone Spark cluster on 127.0.0.1 (one master, two
# workers) built from Torus's own Maven jars, no Spark download. Train on it with
#   scripts/torus spark-submit --master "$(scripts/spark-cluster.sh url)" mnist-mlp
#
# The cluster's SPARK_HOME is $TORUS_SPARK_CLUSTER_DIR/spark-home holding only jars/: links to
# every jar of Torus's runtime classpath (Spark's and Torus's own), so executors load Torus's
# classes (jobs included) from the cluster's classpath; directories on the classpath (a build's
# target/classes) go to the executors through SPARK_DIST_CLASSPATH. Restart the cluster after
# rebuilding Torus.
#
# Environment:
#   TORUS_SPARK_CLUSTER_DIR     state: pids, logs, work dirs (default <repo>/runs/spark-cluster)
#   TORUS_SPARK_MASTER_PORT     master port (default 7077); the web UIs take free ports
#   TORUS_SPARK_WORKERS         number of workers (default 2)
#   TORUS_SPARK_WORKER_CORES    cores per worker (default 1: with spark.executor.cores=1, one rank per executor JVM)
#   TORUS_SPARK_WORKER_MEMORY   memory per worker (default 2g)
#   TORUS_CLASSPATH             the classpath to serve (default: the launcher's build output, built if missing)
#   JAVA_HOME                   JDK 17+ (default: java on the PATH)
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
root=$(dirname "$(dirname "$self")")
state=${TORUS_SPARK_CLUSTER_DIR:-$root/runs/spark-cluster}
port=${TORUS_SPARK_MASTER_PORT:-7077}
workers=${TORUS_SPARK_WORKERS:-2}
cores=${TORUS_SPARK_WORKER_CORES:-1}
memory=${TORUS_SPARK_WORKER_MEMORY:-2g}
host=127.0.0.1
url="spark://$host:$port"

die() { echo "spark-cluster: $*" >&2; exit 1; }

java_cmd=java
[[ -n ${JAVA_HOME:-} ]] && java_cmd=$JAVA_HOME/bin/java

# True when something accepts connections on host:port.
listening() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The pid and every descendant of it, children first.
tree() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$c"; done
  echo "$1"
}

classpath() {
  if [[ -n ${TORUS_CLASSPATH:-} ]]; then
    echo "$TORUS_CLASSPATH"
    return
  fi
  local launcher=$root/launcher jar
  jar=$(ls "$launcher"/target/torus-launcher-*.jar 2>/dev/null | grep -v -e '-sources.jar$' -e '-tests.jar$' | head -n 1 || true)
  if [[ -z $jar || ! -d $launcher/target/lib ]]; then
    "$root/scripts/torus" --version >/dev/null || die "could not build Torus"
    jar=$(ls "$launcher"/target/torus-launcher-*.jar | grep -v -e '-sources.jar$' -e '-tests.jar$' | head -n 1)
  fi
  echo "$jar:$launcher/target/lib/*"
}

# Fills $state/spark-home/jars with links to the classpath's jars; prints its directories.
prepare_home() {
  local jars=$state/spark-home/jars entry f dirs=()
  rm -rf "$state/spark-home"
  mkdir -p "$jars"
  IFS=: read -r -a entries <<<"$(classpath)"
  for entry in "${entries[@]}"; do
    if [[ $entry == */\* ]]; then
      for f in "${entry%/\*}"/*.jar; do [[ -e $f ]] && ln -sf "$(readlink -f "$f")" "$jars/$(basename "$f")"; done
    elif [[ -d $entry ]]; then
      dirs+=("$(readlink -f "$entry")")
    elif [[ $entry == *.jar && -f $entry ]]; then
      ln -sf "$(readlink -f "$entry")" "$jars/$(basename "$entry")"
    fi
  done
  ls "$jars"/spark-core_*.jar >/dev/null 2>&1 || die "no spark-core jar on the classpath (is it Torus's runtime classpath?)"
  local IFS=:
  echo "${dirs[*]}"
}

jvm_flags() {
  local f=$root/launcher/target/classes/io/torus/launcher/jvm-flags.txt
  [[ -f $f ]] && cat "$f"
  return 0
}

# Waits up to $2 seconds for the command $1 to succeed.
await() {
  local deadline=$((SECONDS + $2))
  until eval "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

start() {
  if alive "$state/master.pid"; then
    echo "spark-cluster: already running at $(cat "$state/url")"
    return 0
  fi
  listening "$port" && die "port $port on $host is taken: stop what uses it or set TORUS_SPARK_MASTER_PORT"
  mkdir -p "$state/logs"
  local dirs
  dirs=$(prepare_home)
  read -r -d '' -a flags < <(jvm_flags) || true
  export SPARK_HOME=$state/spark-home SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=$host SPARK_DIST_CLASSPATH=$dirs
  local cp="$SPARK_HOME/jars/*${dirs:+:$dirs}"
  # Spark at WARN, except the deploy classes, whose INFO lines say when a worker has registered.
  cat >"$state/log4j2.properties" <<'LOG4J'
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1}: %m%n
logger.deploy.name = org.apache.spark.deploy
logger.deploy.level = info
LOG4J
  local log4j=(-Dlog4j2.configurationFile="$state/log4j2.properties")
  # shellcheck disable=SC2086
  nohup "$java_cmd" "${flags[@]}" -Xmx512m "${log4j[@]}" -cp "$cp" org.apache.spark.deploy.master.Master \
    --host "$host" --port "$port" --webui-port 0 >"$state/logs/master.log" 2>&1 </dev/null &
  echo $! >"$state/master.pid"
  echo "$url" >"$state/url"
  if ! await "listening $port" 60; then
    stop >/dev/null
    die "the master did not open $url within 60 s; see $state/logs/master.log"
  fi
  local i
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$state/work-$i"
    nohup "$java_cmd" "${flags[@]}" -Xmx512m "${log4j[@]}" -cp "$cp" org.apache.spark.deploy.worker.Worker \
      --host "$host" --port 0 --webui-port 0 --cores "$cores" --memory "$memory" --work-dir "$state/work-$i" \
      "$url" >"$state/logs/worker-$i.log" 2>&1 </dev/null &
    echo $! >"$state/worker-$i.pid"
  done
  for ((i = 1; i <= workers; i++)); do
    if ! await "grep -q 'Successfully registered with master' '$state/logs/worker-$i.log'" 90; then
      stop >/dev/null
      die "worker $i did not register with $url within 90 s; see $state/logs/worker-$i.log"
    fi
  done
  echo "spark-cluster: master $url, $workers workers × $cores cores, state in $state"
}

stop() {
  local f pids=() p
  for f in "$state"/worker-*.pid "$state"/master.pid; do
    [[ -f $f ]] || continue
    if alive "$f"; then
      mapfile -t tree_pids < <(tree "$(cat "$f")")
      pids+=("${tree_pids[@]}")
    fi
    rm -f "$f"
  done
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    for p in "${pids[@]}"; do
      while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
    done
  fi
  rm -f "$state/url"
  echo "spark-cluster: stopped (${#pids[@]} processes)"
}

status() {
  local f up=0
  for f in "$state"/master.pid "$state"/worker-*.pid; do
    [[ -f $f ]] || continue
    if alive "$f"; then
      echo "$(basename "$f" .pid): running (pid $(cat "$f"))"
      up=$((up + 1))
    else
      echo "$(basename "$f" .pid): dead (pid $(cat "$f"))"
    fi
  done
  if ((up == 0)); then
    echo "spark-cluster: not running"
    return 3
  fi
  echo "master: $(cat "$state/url" 2>/dev/null || echo '?')"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) [[ -f $state/url ]] && cat "$state/url" || die "not running" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
