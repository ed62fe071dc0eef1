#!/usr/bin/env bash
# Peer comparison of the X12 reader: the same generated 271 file through pyx12 (PyPI), node-x12 (npm) and this
# project's reader, in one run, on one machine; prints the medians and the ratios.
#
#   bash benches/peers/compare.sh                 # 5 MiB file, default repetitions
#   SIZE_MB=20 PEER_REPS=7 OURS_REPS=100 bash benches/peers/compare.sh
#
# What it does, from the repository root (everything it writes is under target/peers/):
#   1. installs pyx12 $PYX12_VERSION into a venv (target/peers/venv) and node-x12 $NODE_X12_VERSION under
#      target/peers/node, unless those exact versions are already there (needs python3 with venv, node, npm);
#   2. release-builds examples/generate_271.rs and examples/x12_tokenize.rs, and writes the file with the
#      generator the criterion benchmark uses (benches/support/generate_271.rs): target/peers/271_${SIZE_MB}mb.edi;
#   3. checks that both peers accept the file: pyx12's X12Reader reports no error (envelope counts, control
#      numbers, HL numbering; pyx12 ships no 005010X279A1 map, so it cannot check more) and node-x12's strict
#      parser raises nothing and reports no diagnostic;
#   4. times, each on the file already in memory, one untimed warm-up (node, ours) then N timed runs, median:
#        pyx12     RawX12File iterated (its tokenizer)            PEER_REPS runs  (benches/peers/pyx12_tokenize.py)
#        pyx12     X12Reader iterated (elements split, checks)    READER_REPS runs
#        node-x12  X12Parser segment splitter (_parseSegments)    PEER_REPS runs  (benches/peers/node_x12.js)
#        node-x12  X12Parser.parse, strict, to its object model   PEER_REPS runs
#        ours      segments() drained                             OURS_REPS runs  (examples/x12_tokenize.rs)
#        ours      parse() + eligibility_271() of every ST        OURS_REPS runs
#      and checks that all three counted the same number of segments;
#   5. prints a table and the ratios (tokenizer vs tokenizer; full read vs full read), and the raw JSON lines.
# The goal (issue 3): ours at least 100x pyx12's tokenizer and 40x node-x12. Run it on an otherwise idle machine:
# the three tools run one after another, so a busy neighbour skews the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYX12_VERSION=4.0.0
NODE_X12_VERSION=1.7.1
SIZE_MB="${SIZE_MB:-5}"
PEER_REPS="${PEER_REPS:-5}"
READER_REPS="${READER_REPS:-3}"
OURS_REPS="${OURS_REPS:-50}"

peers=target/peers
mkdir -p "$peers"
venv="$peers/venv"
node_dir="$peers/node"

# 1. Peers, pinned.
if ! "$venv/bin/python" -c "import pyx12, sys; sys.exit(pyx12.__version__ != '$PYX12_VERSION')" 2>/dev/null; then
  echo "installing pyx12 $PYX12_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pyx12==$PYX12_VERSION"
fi
if ! NODE_PATH="$node_dir/node_modules" node -e \
  "process.exit(require('node-x12/package.json').version === '$NODE_X12_VERSION' ? 0 : 1)" 2>/dev/null; then
  echo "installing node-x12 $NODE_X12_VERSION under $node_dir" >&2
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent "node-x12@$NODE_X12_VERSION"
fi

# 2. Our binaries and the file.
cargo build --release --quiet --example generate_271 --example x12_tokenize
file="$peers/271_${SIZE_MB}mb.edi"
target/release/examples/generate_271 "$file" "$SIZE_MB"

# 3. Both peers accept it.
"$venv/bin/python" benches/peers/pyx12_tokenize.py "$file" 1 --check >/dev/null
NODE_PATH="$node_dir/node_modules" node benches/peers/node_x12.js "$file" 1 --check >/dev/null

# 4. Timings.
echo "timing pyx12 ($PEER_REPS + $READER_REPS runs), node-x12 ($PEER_REPS), ours ($OURS_REPS) on $file" >&2
pyx12_json=$("$venv/bin/python" benches/peers/pyx12_tokenize.py "$file" "$PEER_REPS" --reader-reps "$READER_REPS")
node_json=$(NODE_PATH="$node_dir/node_modules" node benches/peers/node_x12.js "$file" "$PEER_REPS")
ours_json=$(target/release/examples/x12_tokenize "$file" "$OURS_REPS")

# 5. Report.
"$venv/bin/python" - "$pyx12_json" "$node_json" "$ours_json" <<'PY'
import json, sys

pyx12, node, ours = (json.loads(arg) for arg in sys.argv[1:4])
counts = {"pyx12": pyx12["segments"], "node-x12": node["segments"], "ours": ours["segments"]}
if len(set(counts.values())) != 1:
    sys.exit(f"the tools disagree on the segment count: {counts}")

def ms(m):
    return f"{m['median_s'] * 1e3:10.2f} ms"

def mbs(m):
    return f"{m['mb_per_s']:9.1f} MB/s"

rows = [
    ("pyx12 " + pyx12["tool"].split()[-1] + " RawX12File (tokenizer)", pyx12["tokenize"]),
    ("pyx12 X12Reader (segments + checks)", pyx12["reader"]),
    ("node-x12 " + node["tool"].split()[-1] + " segment splitter", node["tokenize"]),
    ("node-x12 X12Parser.parse (strict)", node["parse"]),
    ("ours: segments() drained", ours["tokenize"]),
    ("ours: parse() + eligibility_271()", ours["parse_eligibility"]),
]
print(f"file: {ours['bytes']} bytes, {ours['segments']} segments, {ours['transactions']} transactions "
      f"({pyx12['tool']}, Python {pyx12['python']}; {node['tool']}, Node {node['node']}; {ours['tool']})")
print(f"{'reader':44} {'median':>13} {'throughput':>14} {'runs':>5}")
for name, m in rows:
    print(f"{name:44} {ms(m)} {mbs(m)} {m['reps']:5}")

def ratio(slow, fast):
    return slow["median_s"] / fast["median_s"]

tok_py = ratio(pyx12["tokenize"], ours["tokenize"])
tok_node = ratio(node["tokenize"], ours["tokenize"])
print()
print(f"tokenizer:  ours vs pyx12 RawX12File        {tok_py:8.1f}x   (goal 100x: {'met' if tok_py >= 100 else 'MISSED'})")
print(f"tokenizer:  ours vs node-x12 splitter       {tok_node:8.1f}x   (goal 40x: {'met' if tok_node >= 40 else 'MISSED'})")
print(f"full read:  ours vs pyx12 X12Reader         {ratio(pyx12['reader'], ours['parse_eligibility']):8.1f}x")
full_node = ratio(node['parse'], ours['parse_eligibility'])
print(f"full read:  ours vs node-x12 parse          {full_node:8.1f}x   (goal 40x: {'met' if full_node >= 40 else 'MISSED'})")
print()
for doc in (pyx12, node, ours):
    print(json.dumps(doc))
PY
