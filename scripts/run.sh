#!/usr/bin/env bash
# Starts the built app. Without a display (a server, CI), it runs under Xvfb and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/anchordesk-app
[ -x "$bin" ] || { echo "run: $bin is missing; run 'make app' first" >&2; exit 2; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display found, so AnchorDesk runs inside a virtual X server (Xvfb)."
  echo "run: take a screenshot with: DISPLAY=\$(cat /tmp/anchordesk-display) import -window root shot.png"
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c 'echo "$DISPLAY" > /tmp/anchordesk-display; exec dbus-run-session -- "$0" "$@"' "$bin" "$@"
fi
exec "$bin" "$@"
