#!/usr/bin/env bash
# Starts the built app. Without a display (a server, CI), it runs under Xvfb and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/anchordesk-app
[ -x "$bin" ] || { echo "run: $bin is missing; run 'make app' first" >&2; exit 2; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  # xvfb-run guards its server with an Xauthority file: a screenshot needs both the
  # display and that file, so both are written where the printed command reads them.
  env_file=${ANCHORDESK_X_ENV:-/tmp/anchordesk-x.env}
  export ANCHORDESK_X_ENV_FILE="$env_file"
  echo "run: no display found, so AnchorDesk runs inside a virtual X server (Xvfb)."
  echo "run: take a screenshot with: env \$(cat $env_file) import -window root shot.png"
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c \
    'printf "DISPLAY=%s XAUTHORITY=%s\n" "$DISPLAY" "$XAUTHORITY" > "$ANCHORDESK_X_ENV_FILE"; exec dbus-run-session -- "$0" "$@"' \
    "$bin" "$@"
fi
exec "$bin" "$@"
