#!/usr/bin/env bash
# Runs every benchmark and prints their figures side by side.
#
# usage: tests/bench/run_all.sh [--quick] [BUILD_DIR]
#
# Without BUILD_DIR it configures and builds an optimised tree in
# build-bench/ (CMAKE_BUILD_TYPE=Release: figures from an -O0 build say
# little). --quick runs small sizes (a minute or so); the default runs the
# full ones (several minutes). Benchmarks print figures and assert nothing
# about speed; this script fails only if one of them fails to run.
#
#   replay    drgate replay vs a cJSON parse-only pass   (1,000,000 msgs)
#   approval  the approval gate per reply                (20,000 replies)
#   kafka     drgate run vs kcat on one mock topic       (100,000 msgs, 3 runs)
#   startup   drgate run vs a boto3 handler, to ready    (7 runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
build=""
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) build=$a ;;
  esac
done
if [ -z "$build" ]; then
  build=$root/build-bench
  echo "== building $build (Release)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
    --target drgate parse_only peakrss bench_approval kafka_mock >/dev/null
fi
build=$(cd "$build" && pwd)
drgate=$build/drgate
bench=$build/tests/bench
mock=$build/tests/integration/kafka_mock
if [ "$quick" = 1 ]; then
  replay_n=50000; approval_n=2000; kafka_n=10000; kafka_runs=1; startup_runs=3
else
  replay_n=1000000; approval_n=20000; kafka_n=100000; kafka_runs=3; startup_runs=7
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run() { # name command...
  local name=$1; shift
  echo
  echo "== $name: $*"
  "$@" 2>&1 | tee "$logs/$name.log"
}

run replay python3 "$root/tests/bench/bench_replay.py" "$drgate" "$bench/parse_only" \
  "$bench/peakrss" --messages "$replay_n"
run approval "$bench/bench_approval" "$approval_n"
run kafka python3 "$root/tests/bench/bench_kafka.py" "$drgate" "$mock" \
  --messages "$kafka_n" --runs "$kafka_runs"
run startup python3 "$root/tests/bench/bench_startup.py" "$drgate" --runs "$startup_runs"

echo
echo "== summary ($( [ "$quick" = 1 ] && echo quick || echo full ) sizes; $(nproc) cores; build $build)"
printf '%-34s | %s\n' "replay, $replay_n msgs" \
  "$(grep -E '^drgate replay:' "$logs/replay.log" | sed 's/^drgate replay: *//')"
printf '%-34s | %s\n' "  parse-only floor" \
  "$(grep -E '^parse-only' "$logs/replay.log" | sed 's/^parse-only (cJSON): *//')"
printf '%-34s | %s\n' "  ratio" "$(grep -E 'time ratio' "$logs/replay.log")"
grep -E '^  ' "$logs/approval.log" | while IFS= read -r l; do
  printf '%-34s | %s\n' "approval: $(echo "$l" | sed -E 's/ +[0-9.]+ us.*//; s/^ +//')" \
    "$(echo "$l" | grep -Eo '[0-9.]+ us.*')"
done
grep -E '^(kcat|drgate run)' "$logs/kafka.log" | grep -v ratio | while IFS= read -r l; do
  printf '%-34s | %s\n' "kafka: $(echo "$l" | sed -E 's/ {2,}.*//')" \
    "$(echo "$l" | awk '{print $(NF-3) " s, " $(NF-2) " msg/s, CPU " $(NF-1) " s"}')"
done
grep -E 'kcat time ratio' "$logs/kafka.log" | sed 's/^/kafka: /'
grep -E '^(drgate|python3)' "$logs/startup.log" | while IFS= read -r l; do
  printf '%-34s | %s\n' "startup: $(echo "$l" | sed -E 's/ {2,}.*//')" \
    "$(echo "$l" | awk '{print $(NF-2) " ms to ready, " $NF " MiB RSS"}')"
done
grep -E '^boto3 /' "$logs/startup.log" | sed 's/^/startup: /'
