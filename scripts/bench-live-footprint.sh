#!/usr/bin/env bash
# The release app's memory on the live console during a rehearsal on the test source,
# against a bare Tauri 2 window, on one Xvfb display (issue 18):
#
#   scripts/bench-live-footprint.sh [MINUTES]     (default 10; 30 for the leak check)
#
# Builds the release app (with its embedded UI) and the bare window, then drives the app
# through WebDriver (scripts/bench-live-footprint.mjs prints the samples, the PSS ratio to
# the bare window at 10 minutes and the RSS slope over the second half). A benchmark, not a
# test: it asserts nothing and is not run by CI.
set -euo pipefail
minutes=${1:-10}
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "building the release app ..." >&2
  npx tauri build --no-bundle >/tmp/bench-live-build.log 2>&1 || { tail -20 /tmp/bench-live-build.log; exit 1; }
fi
bare=$(scripts/build-bare-window.sh)
ANCHORDESK_APP_BIN="$root/target/release/anchordesk-app" BARE_BIN="$bare" TAURI_WEBVIEW_AUTOMATION=true \
  node scripts/bench-live-footprint.mjs "$minutes"
