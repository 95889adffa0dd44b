#!/usr/bin/env bash
# Benchmarks the platform sync: outbox enqueue rate and 10,000 product upserts from the
# desk's outbox to an in-process sandbox through the sync worker (loopback, no faults,
# no rate limit). Figures go in crates/platform/BENCH.md.
#
#   scripts/bench-platform.sh            # release build
#   PROFILE=dev scripts/bench-platform.sh
#   BENCH_CONCURRENCY=16 scripts/bench-platform.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
echo "machine: $(nproc) cores, $(uname -sm); profile $profile; $(date -u +%Y-%m-%dT%H:%MZ)"
cargo run --quiet --profile "$profile" -p anchordesk-sandbox --example bench_sync
