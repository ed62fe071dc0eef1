#!/usr/bin/env bash
# Service load measurement (BENCHMARKS.md, "Service load"): builds the release binary, and for each store starts a
# fresh server per scenario, drives it with `insurance-verifier loadgen` beside the baselines measured in the same
# run, writes one JSON report per run under target/load/<time>/ and prints a summary against the targets.
#
#   bash benches/load/run.sh [sqlite|postgres|all]        (default: all)
#
# Scenarios: refusals and accepted submits at 32 in flight (baselines: a bare tonic unary RPC and plain INSERTs
# into a scratch table of the same database), end-to-end verifications at 1,000 in flight against a carrier that
# answers in 200 ms (baseline: the ideal rate, in flight / latency).
#
# The end-to-end carrier is, by default, the simulator in a process of its own (`simulate-carrier`) behind a
# carrier directory whose route allows 1,100 calls in flight: the in-process sandbox route is limited to the
# directory's default of 16 calls in flight per carrier, which would cap the run at 16 / 0.2 s = 80/s.
# LOAD_E2E_CARRIER=sandbox uses the in-process sandbox anyway.
#
# Environment (all optional): LOAD_DURATION (10s), LOAD_WARMUP (2s), LOAD_CONCURRENCY (32),
# LOAD_E2E_CONCURRENCY (1000), LOAD_CARRIER_LATENCY_MS (200), LOAD_E2E_CARRIER (directory|sandbox),
# LOAD_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/insurance_verifier_test).
set -euo pipefail
cd "$(dirname "$0")/../.."

STORES=${1:-all}
case "$STORES" in
  sqlite) STORES=(sqlite) ;;
  postgres) STORES=(postgres) ;;
  all) STORES=(sqlite postgres) ;;
  *) echo "usage: $0 [sqlite|postgres|all]" >&2; exit 2 ;;
esac
DURATION=${LOAD_DURATION:-10s}
WARMUP=${LOAD_WARMUP:-2s}
CONCURRENCY=${LOAD_CONCURRENCY:-32}
E2E_CONCURRENCY=${LOAD_E2E_CONCURRENCY:-1000}
CARRIER_LATENCY_MS=${LOAD_CARRIER_LATENCY_MS:-200}
E2E_CARRIER=${LOAD_E2E_CARRIER:-directory}
PG_URL=${LOAD_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/insurance_verifier_test}
STAMP=$(date +%Y%m%d_%H%M%S)
OUT=target/load/$STAMP
BIN=${CARGO_TARGET_DIR:-target}/release/insurance-verifier

cargo build --release
mkdir -p "$OUT"

SERVER_PID=""
SIMULATOR_PID=""
SCHEMAS=()

cleanup() {
  # Only the processes this script started, by their ids.
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$SIMULATOR_PID" ]] && kill "$SIMULATOR_PID" 2>/dev/null && wait "$SIMULATOR_PID" 2>/dev/null
  for schema in "${SCHEMAS[@]}"; do
    psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  done
  return 0
}
trap cleanup EXIT

# free_port, wait_for_port
source benches/load/lib.sh

# start_server NAME STORE [VAR=VALUE...]: a fresh server (own SQLite file or PostgreSQL schema); sets PORT,
# SERVER_PID and DATABASE_URL.
start_server() {
  local name=$1 store=$2
  shift 2
  PORT=$(free_port)
  local env=(IV_LISTEN_ADDR="127.0.0.1:$PORT" IV_LOG__FILTER=warn IV_LOG__FORMAT=text IV_METRICS__LISTEN_ADDR=127.0.0.1:0)
  if [[ "$store" == sqlite ]]; then
    mkdir -p "$OUT/$name"
    DATABASE_URL="sqlite://$PWD/$OUT/$name/insurance-verifier.db"
    env+=(IV_DATABASE_URL="$DATABASE_URL")
  else
    local schema="load_${STAMP}_${name//-/_}"
    SCHEMAS+=("$schema")
    DATABASE_URL=$PG_URL
    env+=(IV_DATABASE_URL="$PG_URL" IV_DATABASE_SCHEMA="$schema")
  fi
  env "${env[@]}" "$@" "$BIN" serve >"$OUT/$name.server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$PORT" "$SERVER_PID"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# The busiest processes over one second in the middle of the measurement window, for the CPU split (top's first
# iteration shows averages since the process started, so the second one is kept).
snapshot_top() {
  local name=$1 after=$2
  (sleep "$after"; top -b -n 2 -d 1 -o %CPU | awk '/^top -/ { n++ } n == 2' | head -n 20 >"$OUT/$name.top.txt") &
}

# Whole seconds of a duration written like `10s` (the snapshot timing only needs seconds).
seconds() { echo "${1%s}"; }
ROUND=$(($(seconds "$WARMUP") + $(seconds "$DURATION")))

# loadgen NAME BASELINES ARGS...: one run against the current server after BASELINES measured baselines (each
# warm-up + duration long, run first), JSON report in $OUT/NAME.json.
loadgen() {
  local name=$1 baselines=$2
  shift 2
  echo "== $name" >&2
  snapshot_top "$name" $((baselines * ROUND + $(seconds "$WARMUP") + $(seconds "$DURATION") / 2))
  "$BIN" loadgen --target "http://127.0.0.1:$PORT" --duration "$DURATION" --warmup "$WARMUP" \
    --server-pid "$SERVER_PID" --json "$@" >"$OUT/$name.json"
}

echo "load average before: $(cat /proc/loadavg)" | tee "$OUT/machine.txt"
nproc | sed 's/^/cpus: /' | tee -a "$OUT/machine.txt"

for store in "${STORES[@]}"; do
  for scenario in refusals submits; do
    start_server "$store-$scenario" "$store"
    loadgen "$store-$scenario" 2 --scenario "$scenario" --concurrency "$CONCURRENCY" \
      --baseline grpc --baseline store --database-url "$DATABASE_URL"
    stop_server
  done

  e2e_env=(IV_DISPATCHER__CONCURRENCY=$((E2E_CONCURRENCY + 100)) IV_SUBMIT__MAX_IN_FLIGHT=4096)
  if [[ "$E2E_CARRIER" == directory ]]; then
    SIM_PORT=$(free_port)
    "$BIN" simulate-carrier --listen "127.0.0.1:$SIM_PORT" >"$OUT/$store-e2e.simulator.log" 2>&1 &
    SIMULATOR_PID=$!
    wait_for_port "$SIM_PORT" "$SIMULATOR_PID"
    cat >"$OUT/carriers.toml" <<EOF
# Written by benches/load/run.sh: one route to the simulator, with room for every end-to-end call in flight.
[[carriers]]
id = "anthem-ky"
display_name = "Anthem Blue Cross and Blue Shield (Kentucky)"
payer_ids = ["00660"]
names = ["Anthem Blue Cross Blue Shield"]
format = "eligibility_json_v3"
base_url = "http://127.0.0.1:$SIM_PORT"
max_concurrency = $((E2E_CONCURRENCY + 100))
EOF
    e2e_env+=(IV_CARRIER_DIRECTORY="$PWD/$OUT/carriers.toml")
  fi
  start_server "$store-e2e" "$store" "${e2e_env[@]}"
  simulator_cpu_before=0
  [[ -n "$SIMULATOR_PID" ]] && simulator_cpu_before=$(awk '{print $14 + $15}' "/proc/$SIMULATOR_PID/stat")
  loadgen "$store-e2e" 0 --scenario e2e --concurrency "$E2E_CONCURRENCY" \
    --carrier-latency-ms "$CARRIER_LATENCY_MS" --wait-for-result 15s --channels 8
  if [[ -n "$SIMULATOR_PID" ]]; then
    # The simulator's CPU over the whole run (warm-up and drain included), and its memory.
    simulator_cpu_after=$(awk '{print $14 + $15}' "/proc/$SIMULATOR_PID/stat")
    echo "simulator: $(awk -v t=$((simulator_cpu_after - simulator_cpu_before)) 'BEGIN { printf "%.2f", t / 100 }')" \
      "CPU seconds over the run," \
      "$(grep VmHWM "/proc/$SIMULATOR_PID/status" | tr -s ' \t' ' ')" | tee "$OUT/$store-e2e.simulator.txt"
    kill "$SIMULATOR_PID" 2>/dev/null || true
    wait "$SIMULATOR_PID" 2>/dev/null || true
    SIMULATOR_PID=""
  fi
  stop_server
done

echo "load average after: $(cat /proc/loadavg)" | tee -a "$OUT/machine.txt"

# Summary: one line per run, and each target met or missed.
{
  printf '%-20s %10s %8s %8s %8s %28s %10s %8s\n' run "per sec" "p50 ms" "p99 ms" failed "ratio to baseline" "RSS MiB" "srv CPU"
  for file in "$OUT"/*.json; do
    jq -r --arg name "$(basename "$file" .json)" '
      def r(x): (x * 1000 | round) / 1000;
      [ $name,
        (.result.throughput_per_s | round),
        r(.result.latency_ms.p50), r(.result.latency_ms.p99),
        ((.result.errors | add // 0) + (.result.unexpected | add // 0) + .result.unfinished),
        (.ratios | to_entries | map("\(.key) x\(r(.value.throughput))") | join(" ")),
        r(.server.peak_rss_mib), r(.server.cpu_cores) ] | @tsv' "$file" |
      awk -F'\t' '{ printf "%-20s %10s %8s %8s %8s %28s %10s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
  done
  echo
  for file in "$OUT"/*.json; do
    name=$(basename "$file" .json)
    case "$name" in
      sqlite-refusals | sqlite-submits) floor=3000 ;;
      postgres-refusals | postgres-submits) floor=1200 ;;
      *) floor="" ;;
    esac
    if [[ -n "$floor" ]]; then
      jq -r --arg name "$name" --argjson floor "$floor" '
        (.result.throughput_per_s >= $floor and .result.latency_ms.p99 < 30) as $met |
        "\($name): \(.result.throughput_per_s | round)/s (target \($floor)/s), p99 \(.result.latency_ms.p99) ms (target < 30 ms): \(if $met then "met" else "MISSED" end)"' "$file"
    else
      jq -r --arg name "$name" '
        (.ratios.ideal.throughput >= 0.8 and .server.peak_rss_mib < 150 and (.still_pending // 0) == 0) as $met |
        "\($name): \(.ratios.ideal.throughput * 100 | round)% of ideal (target 80%), peak RSS \(.server.peak_rss_mib | round) MiB (target < 150), still pending \(.still_pending): \(if $met then "met" else "MISSED" end)"' "$file"
    fi
  done
} | tee "$OUT/summary.txt"
echo "reports: $OUT"
