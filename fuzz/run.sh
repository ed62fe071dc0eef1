#!/usr/bin/env bash
# Runs the X12 fuzz target on the stable toolchain, seeded with the repository's synthetic X12 vectors.
#   bash fuzz/run.sh            # 60 seconds
#   bash fuzz/run.sh 600        # ten minutes
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). New corpus entries go to fuzz/corpus/x12_parse (not
# committed); crashes to fuzz/artifacts/x12_parse/ (report them with the input in hex).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
corpus=corpus/x12_parse
mkdir -p "$corpus"
# Synthetic vectors only (tests/data/x12, written for this project, and seeds/: a small interchange from the
# benchmark generator); never the third-party files.
cp -n ../tests/data/x12/*.x12 seeds/*.x12 "$corpus"/ 2>/dev/null || true
exec cargo fuzz run x12_parse --sanitizer none "$corpus" -- -max_total_time="$seconds" -max_len=65536
