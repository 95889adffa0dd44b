#!/usr/bin/env bash
# `make run` on a machine without a display: the screenshot command it prints must work.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export ANCHORDESK_X_ENV="$work/x.env"
pid=""
cleanup() {
  set +e
  if [ -n "$pid" ]; then kill -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  [ -n "${KEEP_SHOT:-}" ] && cp "$work/shot.png" "$KEEP_SHOT" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
env -u DISPLAY -u WAYLAND_DISPLAY setsid bash scripts/run.sh --data-dir "$work/data" >"$work/run.log" 2>&1 &
pid=$!
command=""
for _ in $(seq 300); do
  command=$(sed -n 's/^run: take a screenshot with: //p' "$work/run.log" || true)
  [ -n "$command" ] && [ -s "$work/x.env" ] && break
  sleep 0.1
done
[ -n "$command" ] || { cat "$work/run.log" >&2; echo "run-screenshot: run.sh printed no screenshot command" >&2; exit 1; }
shot="$work/shot.png"
colours=0
for _ in $(seq 60); do
  sleep 0.5
  (cd "$work" && eval "${command/shot.png/$shot}") 2>"$work/import.err" || continue
  colours=$(identify -format '%k' "$shot" 2>/dev/null || echo 0)
  [ "$colours" -gt 200 ] && break
done
if [ "$colours" -le 200 ]; then
  cat "$work/import.err" "$work/run.log" >&2
  echo "run-screenshot: the printed command did not capture the window ($colours colours)" >&2
  exit 1
fi
echo "run-screenshot: '$command' captured the window ($colours colours)"
