#!/usr/bin/env bash
# Memory and first paint of the release app against a bare Tauri 2 window (hello world,
# the same tauri version, built here), both under Xvfb on this machine, in one run.
#
#   scripts/bench-footprint.sh [ROUNDS]        (default 5; BENCH_NO_BUILD=1 keeps the build)
#
# For each round and each app: start it on a fresh Xvfb display, time until the screen
# first shows a painted window and until it shows the page's content (scripts/paint-probe.c
# reads the display every 10 ms and counts colours), wait 10 s idle, then sum
# RSS and PSS over the process tree (the app, WebKitWebProcess, WebKitNetworkProcess) from
# /proc/PID/smaps_rollup. Prints every round, the medians, and our/bare ratios.
set -euo pipefail
rounds=${1:-5}
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work=$(mktemp -d)
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

probe="$work/paint-probe"
cc -O2 -o "$probe" scripts/paint-probe.c -lX11

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "building the release app ..."
  npx tauri build --no-bundle >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
fi
ours="$root/target/release/anchordesk-app"

bare=$(scripts/build-bare-window.sh)

tree_pids() { local p=$1; echo "$p"; for c in $(pgrep -P "$p" || true); do tree_pids "$c"; done; }
sum_kb() { # field pids...
  local field=$1; shift; local total=0 v
  for p in "$@"; do v=$(awk -v f="$field:" '$1==f{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0); total=$((total + ${v:-0})); done
  echo "$total"
}

measure() { # name binary data_dir -> "rss_kb pss_kb painted_ms content_ms nprocs"
  local name=$1 bin=$2 display=":$((150 + RANDOM % 50))"
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!; pids+=("$xvfb")
  for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
  local data=$3
  # A session bus, as a desktop has (without one GLib spawns dbus-launch on the X display).
  dbus-daemon --session --nofork --print-address=3 3>"$work/bus" >/dev/null 2>&1 &
  local bus=$!; pids+=("$bus")
  for _ in $(seq 50); do [ -s "$work/bus" ] && break; sleep 0.1; done
  local address; address=$(head -1 "$work/bus"); rm -f "$work/bus"
  local started; started=$(date +%s%N)
  setsid env DISPLAY="$display" DBUS_SESSION_BUS_ADDRESS="$address" ANCHORDESK_SKIP_FIRST_RUN=1 "$bin" --data-dir "$data" >"$work/$name.log" 2>&1 &
  local app=$!; pids+=("$app")
  local paint_ms content_ms
  read -r paint_ms content_ms < <(DISPLAY="$display" "$probe" "$started" 30000)
  sleep 10
  local tree; tree=$(tree_pids "$app" | tr '\n' ' ')
  # shellcheck disable=SC2086
  echo "$(sum_kb Rss $tree) $(sum_kb Pss $tree) $paint_ms $content_ms $(echo $tree | wc -w)"
  # WebKit's helper processes leave the app's process group: end every process of the
  # tree by PID and wait until they are gone, so none runs on into the next round.
  # shellcheck disable=SC2086
  kill -- "-$app" $tree 2>/dev/null; wait "$app" 2>/dev/null || true
  for _ in $(seq 50); do
    # shellcheck disable=SC2086
    ps -p "$(echo $tree | tr ' ' ',')" >/dev/null 2>&1 || break; sleep 0.1
  done
  kill "$xvfb" "$bus" 2>/dev/null; wait "$xvfb" "$bus" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# "ours" starts on a data directory made by an earlier start (the everyday start);
# "ours-first" on an empty one (the first start: migrations and the sample catalog).
warm="$work/data-warm"
measure warm "$ours" "$warm" >/dev/null
declare -A rss pss paint content
for r in $(seq "$rounds"); do
  for name in ours ours-first bare; do
    bin=$ours data=$warm
    [ "$name" = ours-first ] && data="$work/data-first-$r"
    [ "$name" = bare ] && bin=$bare
    read -r r_rss r_pss r_paint r_content r_n < <(measure "$name" "$bin" "$data")
    echo "round $r $name: RSS $((r_rss / 1024)) MB, PSS $((r_pss / 1024)) MB over $r_n processes, first paint ${r_paint} ms, content ${r_content} ms"
    rss[$name]+="$r_rss "; pss[$name]+="$r_pss "; paint[$name]+="$r_paint "; content[$name]+="$r_content "
  done
done
for name in ours ours-first bare; do
  m_rss=$(tr ' ' '\n' <<<"${rss[$name]}" | grep . | median)
  m_pss=$(tr ' ' '\n' <<<"${pss[$name]}" | grep . | median)
  m_paint=$(tr ' ' '\n' <<<"${paint[$name]}" | grep . | median)
  m_content=$(tr ' ' '\n' <<<"${content[$name]}" | grep . | median)
  echo "median $name: RSS $((m_rss / 1024)) MB, PSS $((m_pss / 1024)) MB, first paint $m_paint ms, content $m_content ms"
  key=${name//-/_}
  eval "med_rss_$key=$m_rss med_pss_$key=$m_pss med_paint_$key=$m_paint med_content_$key=$m_content"
done
awk -v a="$med_pss_ours" -v b="$med_pss_bare" -v c="$med_rss_ours" -v d="$med_rss_bare" -v e="$med_content_ours" -v f="$med_content_bare" -v g="$med_content_ours_first" \
  'BEGIN { printf "ratio ours/bare: PSS %.2fx, RSS %.2fx, content painted %.2fx (first start %.2fx)\n", a/b, c/d, e/f, g/f }'
