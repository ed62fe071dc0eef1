#!/usr/bin/env bash
# What telemetry costs (BENCHMARKS.md, "Telemetry overhead"): the same load against the same server build in three
# configurations, interleaved and repeated so drift on the shared machine shows up as spread, not as a difference:
#
#   bare     metrics off, traces off                      (the baseline)
#   metrics  the default: /metrics on, traces off
#   traces   /metrics on, every trace sampled and exported over OTLP/gRPC to a counting sink (examples/otlp_sink.rs)
#   traces10 the same with 10% of traces sampled (the production overlay's ratio)
#
# Loads (SQLite, fresh database per server): refusals at 32 in flight (an RPC, screening, one insert: the RPC
# layer's span and metrics), and end-to-end verifications at 32 in flight against the in-process sandbox carrier
# answering at once (every span: RPC, handler, attempt, HTTP call, plus the stored trace context and traceparent).
#
#   bash benches/load/telemetry.sh            (LOAD_DURATION 10s, LOAD_WARMUP 2s, LOAD_ROUNDS 2)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${LOAD_DURATION:-10s}
WARMUP=${LOAD_WARMUP:-2s}
ROUNDS=${LOAD_ROUNDS:-2}
STAMP=$(date +%Y%m%d_%H%M%S)
OUT=target/load/telemetry-$STAMP
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$TARGET_DIR/release/insurance-verifier
SINK=$TARGET_DIR/release/examples/otlp_sink

cargo build --release --bin insurance-verifier --example otlp_sink
mkdir -p "$OUT"

SERVER_PID=""
SINK_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$SINK_PID" ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT

# free_port, wait_for_port
source benches/load/lib.sh

SINK_PORT=$(free_port)
"$SINK" "127.0.0.1:$SINK_PORT" >"$OUT/sink.log" 2>&1 &
SINK_PID=$!
wait_for_port "$SINK_PORT" "$SINK_PID"

# run NAME CONFIG SCENARIO: a fresh server in CONFIG, one loadgen run of SCENARIO, JSON in $OUT/NAME.json.
run() {
  local name=$1 config=$2 scenario=$3
  local port
  port=$(free_port)
  mkdir -p "$OUT/$name"
  local env=(IV_LISTEN_ADDR="127.0.0.1:$port" IV_LOG__FILTER=warn IV_LOG__FORMAT=text
    IV_DATABASE_URL="sqlite://$PWD/$OUT/$name/insurance-verifier.db" IV_METRICS__LISTEN_ADDR=127.0.0.1:0)
  case "$config" in
    bare) env+=(IV_METRICS__ENABLED=false) ;;
    metrics) ;;
    traces) env+=(IV_TELEMETRY__OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" IV_TELEMETRY__SAMPLING_RATIO=1) ;;
    traces10) env+=(IV_TELEMETRY__OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" IV_TELEMETRY__SAMPLING_RATIO=0.1) ;;
  esac
  env "${env[@]}" "$BIN" serve >"$OUT/$name.server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$port" "$SERVER_PID"
  echo "== $name" >&2
  local args=(--scenario "$scenario" --concurrency 32)
  [[ "$scenario" == e2e ]] && args+=(--carrier-latency-ms 0 --wait-for-result 15s)
  "$BIN" loadgen --target "http://127.0.0.1:$port" --duration "$DURATION" --warmup "$WARMUP" \
    --server-pid "$SERVER_PID" --json "${args[@]}" >"$OUT/$name.json"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

echo "load average before: $(cat /proc/loadavg)" | tee "$OUT/machine.txt"
for round in $(seq 1 "$ROUNDS"); do
  for scenario in refusals e2e; do
    for config in bare metrics traces traces10; do
      run "$scenario-$config-$round" "$config" "$scenario"
    done
  done
done
echo "load average after: $(cat /proc/loadavg)" | tee -a "$OUT/machine.txt"
kill "$SINK_PID" 2>/dev/null || true
wait "$SINK_PID" 2>/dev/null || true
SINK_PID=""

# Summary: each run, then each configuration's mean throughput as a ratio to the baseline's in the same round.
{
  printf '%-22s %10s %8s %8s %8s %10s %14s\n' run "per sec" "p50 ms" "p99 ms" failed "srv CPU" "CPU ms / call"
  for file in "$OUT"/*.json; do
    jq -r --arg name "$(basename "$file" .json)" '
      def r(x): (x * 1000 | round) / 1000;
      [ $name, (.result.throughput_per_s | round), r(.result.latency_ms.p50), r(.result.latency_ms.p99),
        ((.result.errors | add // 0) + (.result.unexpected | add // 0) + .result.unfinished),
        r(.server.cpu_cores), r(.server.cpu_cores * 1000 / .result.throughput_per_s) ] | @tsv' "$file" |
      awk -F'\t' '{ printf "%-22s %10s %8s %8s %8s %10s %14s\n", $1, $2, $3, $4, $5, $6, $7 }'
  done
  echo
  for scenario in refusals e2e; do
    for config in metrics traces traces10; do
      for round in $(seq 1 "$ROUNDS"); do
        jq -s -r --arg what "$scenario $config round $round" '
          (.[0].result.throughput_per_s) as $base | (.[1].result.throughput_per_s) as $with |
          (.[0].server.cpu_cores / $base) as $base_cpu | (.[1].server.cpu_cores / $with) as $with_cpu |
          "\($what): throughput x\($with / $base * 1000 | round / 1000) of bare, CPU per call x\($with_cpu / $base_cpu * 1000 | round / 1000)"' \
          "$OUT/$scenario-bare-$round.json" "$OUT/$scenario-$config-$round.json"
      done
    done
  done
  cat "$OUT/sink.log"
} | tee "$OUT/summary.txt"
echo "reports: $OUT"
