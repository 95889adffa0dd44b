#!/usr/bin/env bash
# The whole test suite, as CI runs it. Run `make test` (which installs what is missing first).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s\n' "$*"; }

step "free disk space"
# The suite's broadcasts plan two hours of 720p, and the go-live gate refuses a disk that cannot
# hold them (~2.4 GB under the temp dir); a cold build adds ~8 GB under target/. Say so at the
# start instead of as fifteen closed gates half an hour later.
free_gb() { df -P --block-size=1G "$1" | awk 'NR==2 {print $4}'; }
tmp_dir=${TMPDIR:-/tmp}
need_tmp=3
need_target=$([ -d target/debug/deps ] && echo 2 || echo 8)
# One filesystem for both: it must hold both.
[ "$(stat -c %d "$tmp_dir")" = "$(stat -c %d .)" ] && need_target=$((need_target + need_tmp))
echo "free: $(free_gb "$tmp_dir") GB under $tmp_dir (tests need ${need_tmp}), $(free_gb .) GB here (the build needs ${need_target})"
if [ "$(free_gb "$tmp_dir")" -lt "$need_tmp" ] || [ "$(free_gb .)" -lt "$need_target" ]; then
  echo "not enough free disk space for the test suite: free some (old target/ folders, temp files) and run it again" >&2
  exit 1
fi

step "dependency direction: core and claims link neither FFmpeg nor WebKit"
for crate in anchordesk-core anchordesk-claims; do
  tree=$(cargo tree -p "$crate" -e normal --prefix none)   # fails the script if cargo tree fails
  if grep -iE 'ffmpeg|webkit' <<<"$tree"; then
    echo "$crate must not depend on FFmpeg or WebKit" >&2
    exit 1
  fi
done

step "UI: type check, unit tests, build"
npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings
npx vitest run
npx vite build

step "Rust: unit, integration and CLI tests (workspace)"
cargo nextest run --workspace --no-fail-fast

step "Rust: doc examples (nextest does not run them, and several assert)"
cargo test --doc --workspace

step "the desktop app with its frontend embedded, packaged as a .deb and checked"
node scripts/third-party-notices.mjs
npx tauri build --debug --bundles deb
bash scripts/check-deb.sh target/debug/bundle/deb/AnchorDesk_*_amd64.deb

step "make run without a display prints a screenshot command that works"
bash tests/run-screenshot.sh

step "the .deb installed with apt on a clean Debian 12 root, started from its installed path"
bash scripts/test-deb-install.sh target/debug/bundle/deb/AnchorDesk_*_amd64.deb

step "end to end: the real app in a real window (Xvfb, tauri-driver, WebKitWebDriver)"
node --test --test-concurrency=1 tests/e2e/
echo "screenshots: target/e2e-shots/"
