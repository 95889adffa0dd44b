#!/usr/bin/env bash
# Memory and first paint of the release app against a bare Tauri 2 window (hello world,
# the same tauri version, built here), both under Xvfb on this machine, in one run.
#
#   scripts/bench-footprint.sh [ROUNDS]        (default 3)
#
# For each round and each app: start it on a fresh Xvfb display, time until the screen
# shows the painted page (polled screenshots, ~0.15 s resolution), wait 10 s idle, then sum
# RSS and PSS over the process tree (the app, WebKitWebProcess, WebKitNetworkProcess) from
# /proc/PID/smaps_rollup. Prints every round, the medians, and our/bare ratios.
set -euo pipefail
rounds=${1:-3}
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

echo "building the release app ..."
npx tauri build --no-bundle >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
ours="$root/target/release/anchordesk-app"

tauri_version=$(awk '/^name = "tauri"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
tauri_build_version=$(awk '/^name = "tauri-build"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
bare_src="$root/target/bench-bare-src"
mkdir -p "$bare_src/src" "$bare_src/dist" "$bare_src/icons"
cat >"$bare_src/Cargo.toml" <<TOML
[package]
name = "bare-window"
version = "0.1.0"
edition = "2021"
[dependencies]
tauri = "=$tauri_version"
[build-dependencies]
tauri-build = "=$tauri_build_version"
[workspace]
TOML
echo 'fn main() { tauri_build::build() }' >"$bare_src/build.rs"
echo 'fn main() { tauri::Builder::default().run(tauri::generate_context!()).expect("bare window"); }' >"$bare_src/src/main.rs"
cat >"$bare_src/dist/index.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><title>bare</title></head>
<body style="margin:0;font-family:sans-serif"><h1 style="padding:20px">Hello, world</h1>
<div style="height:600px;background:linear-gradient(90deg,#e8590c,#1c7ed6,#2f9e44)"></div></body></html>
HTML
cp src-tauri/icons/32x32.png src-tauri/icons/128x128.png src-tauri/icons/icon.png "$bare_src/icons/"
cat >"$bare_src/tauri.conf.json" <<'JSON'
{ "productName": "bare-window", "version": "0.1.0", "identifier": "net.anchordesk.bare",
  "build": { "frontendDist": "dist" },
  "app": { "windows": [ { "title": "bare", "width": 1280, "height": 800 } ] },
  "bundle": { "active": false, "icon": ["icons/32x32.png", "icons/128x128.png", "icons/icon.png"] } }
JSON
echo "building the bare Tauri $tauri_version window ..."
(cd "$bare_src" && CARGO_TARGET_DIR="$root/target/bench-bare" cargo build --release -q) || exit 1
bare="$root/target/bench-bare/release/bare-window"

tree_pids() { local p=$1; echo "$p"; for c in $(pgrep -P "$p" || true); do tree_pids "$c"; done; }
sum_kb() { # field pids...
  local field=$1; shift; local total=0 v
  for p in "$@"; do v=$(awk -v f="$field:" '$1==f{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0); total=$((total + ${v:-0})); done
  echo "$total"
}

measure() { # name binary -> "rss_kb pss_kb paint_ms nprocs"
  local name=$1 bin=$2 display=":$((150 + RANDOM % 50))"
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!; pids+=("$xvfb")
  for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
  local data="$work/data-$name-$RANDOM"
  local started; started=$(date +%s%N)
  setsid env DISPLAY="$display" ANCHORDESK_SKIP_FIRST_RUN=1 "$bin" --data-dir "$data" >"$work/$name.log" 2>&1 &
  local app=$!; pids+=("$app")
  local paint_ms=-1 colours
  for _ in $(seq 300); do
    if DISPLAY="$display" import -window root "$work/shot.png" 2>/dev/null; then
      colours=$(identify -format '%k' "$work/shot.png" 2>/dev/null || echo 0)
      if [ "$colours" -gt 200 ]; then paint_ms=$(( ($(date +%s%N) - started) / 1000000 )); break; fi
    fi
    sleep 0.05
  done
  sleep 10
  local tree; tree=$(tree_pids "$app" | tr '\n' ' ')
  # shellcheck disable=SC2086
  echo "$(sum_kb Rss $tree) $(sum_kb Pss $tree) $paint_ms $(echo $tree | wc -w)"
  # WebKit's helper processes leave the app's process group: end every process of the
  # tree by PID and wait until they are gone, so none runs on into the next round.
  # shellcheck disable=SC2086
  kill -- "-$app" $tree 2>/dev/null; wait "$app" 2>/dev/null || true
  for _ in $(seq 50); do
    # shellcheck disable=SC2086
    ps -p "$(echo $tree | tr ' ' ',')" >/dev/null 2>&1 || break; sleep 0.1
  done
  kill "$xvfb" 2>/dev/null; wait "$xvfb" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A rss pss paint
for r in $(seq "$rounds"); do
  for name in ours bare; do
    bin=$ours; [ "$name" = bare ] && bin=$bare
    read -r r_rss r_pss r_paint r_n < <(measure "$name" "$bin")
    echo "round $r $name: RSS $((r_rss / 1024)) MB, PSS $((r_pss / 1024)) MB over $r_n processes, first paint ${r_paint} ms"
    rss[$name]+="$r_rss "; pss[$name]+="$r_pss "; paint[$name]+="$r_paint "
  done
done
for name in ours bare; do
  m_rss=$(tr ' ' '\n' <<<"${rss[$name]}" | grep . | median)
  m_pss=$(tr ' ' '\n' <<<"${pss[$name]}" | grep . | median)
  m_paint=$(tr ' ' '\n' <<<"${paint[$name]}" | grep . | median)
  echo "median $name: RSS $((m_rss / 1024)) MB, PSS $((m_pss / 1024)) MB, first paint $m_paint ms"
  eval "med_rss_$name=$m_rss med_pss_$name=$m_pss med_paint_$name=$m_paint"
done
awk -v a="$med_pss_ours" -v b="$med_pss_bare" -v c="$med_rss_ours" -v d="$med_rss_bare" -v e="$med_paint_ours" -v f="$med_paint_bare" \
  'BEGIN { printf "ratio ours/bare: PSS %.2fx, RSS %.2fx, first paint %.2fx\n", a/b, c/d, e/f }'
