#!/usr/bin/env bash
# Two pictures at once (issue 16): a landscape picture recorded and pushed, and a vertical one
# composed from the same camera and pushed elsewhere, at 30 fps in real time for BENCH_SECONDS,
# to a local nginx-rtmp:
#   ours:      capture-recorder --scene (landscape) --second-scene (vertical): one camera, two
#              filter graphs, two x264 encodes, AAC once, the recording and two pushes
#   reference: one ffmpeg CLI command: the camera split into the same two graphs, the same
#              two encodes with the same settings, the same fragmented MP4 and two pushes.
# Prints each run's CPU (user+sys over wall), peak RSS and, for ours, the frames skipped by
# each picture's encoder; then the CPU ratio ours / ffmpeg CLI. Rounds alternate; the median
# is quoted. Usage: scripts/bench-two-pictures.sh
#   (env: BENCH_SECONDS=30 BENCH_ROUNDS=3 BENCH_CANVAS=1280x720 BENCH_SECOND=720x1280)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_LIVE=${BENCH_SECONDS:-30}
ROUNDS=${BENCH_ROUNDS:-3}
CANVAS=${BENCH_CANVAS:-1280x720}
SECOND=${BENCH_SECOND:-720x1280}
FPS=30
W=${CANVAS%x*}; H=${CANVAS#*x}
VW=${SECOND%x*}; VH=${SECOND#*x}

RECORDER=${CAPTURE_RECORDER:-}
if [ -z "$RECORDER" ]; then
  cargo build --release -q -p anchordesk-capture --bin capture-recorder
  TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  RECORDER="$TARGET_DIR/release/capture-recorder"
fi
WORK=$(mktemp -d)
NGINX_PID=""
cleanup() {
  if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Each picture: the camera filling its canvas (the landscape one as is, the vertical one
# its middle), as the 单机位 and 竖屏全身 layouts do.
for spec in "landscape $W $H" "vertical $VW $VH"; do
  read -r name w h <<< "$spec"
  printf '{"name":"%s","width":%s,"height":%s,"layers":[{"source":{"kind":"camera"},"rect":{"x":0,"y":0,"w":1,"h":1}}]}\n' "$name" "$w" "$h" > "$WORK/$name.json"
done

MODULE=$(dpkg -L libnginx-mod-rtmp | grep 'ngx_rtmp_module.so$')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
load_module $MODULE;
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 64; }
rtmp { server { listen 127.0.0.1:$PORT; application live { live on; } } }
CONF
nginx -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.05; done

cpu_of() { python3 -c "import re,sys; t=dict(re.findall(r'(\w+)=([\d.]+)', open(sys.argv[1]).read())); print(f\"{(float(t['user'])+float(t['sys']))/float(t['wall']):.3f} {int(t['maxrss_kb'])//1024}\")" "$1"; }
gop=$((2 * FPS))
x264="-c:v libx264 -preset veryfast -threads 2 -b:v 2500k -maxrate 2500k -bufsize 5000k -g $gop -x264-params keyint=${gop}:min-keyint=${gop}:scenecut=0:rc-lookahead=0:sliced-threads=1:bframes=1"
fit() { echo "scale=w=$1:h=$2:force_original_aspect_ratio=increase:force_divisible_by=2,crop=$1:$2,format=yuva420p"; }
graph="[0:v]split=2[c0][c1];color=c=black:s=${W}x${H}:r=${FPS}[bg0];[c0]$(fit "$W" "$H")[l0];[bg0][l0]overlay=x=0:y=0:format=yuv420,format=yuv420p[land];color=c=black:s=${VW}x${VH}:r=${FPS}[bg1];[c1]$(fit "$VW" "$VH")[l1];[bg1][l1]overlay=x=0:y=0:format=yuv420,format=yuv420p[vert]"
ratios=()
echo "== two pictures @${FPS}: ${W}x${H} recorded + pushed, ${VW}x${VH} pushed, one camera, ${SECONDS_LIVE} s, ${ROUNDS} rounds, $(nproc) cores"
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$WORK/ours.mp4" "$WORK/cli.mp4"
  /usr/bin/time -f "TIME wall=%e user=%U sys=%S maxrss_kb=%M" -o "$WORK/ours.time" \
    "$RECORDER" --out "$WORK/ours.mp4" --duration-ms $((SECONDS_LIVE * 1000)) --fps $FPS --size "${W}x${H}" --no-preview \
    --scene "$WORK/landscape.json" --push "rtmp://127.0.0.1:$PORT/live/ours_land" \
    --second-scene "$WORK/vertical.json" --second-push "rtmp://127.0.0.1:$PORT/live/ours_vert" > "$WORK/ours.json" 2> "$WORK/ours.log"
  read -r ours_cpu ours_rss < <(cpu_of "$WORK/ours.time")
  read -r n skipped second_skipped dropped < <(python3 -c "import json,sys; j=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(j['videoFrames'], j['skippedFrames'], j['secondSkippedFrames'], j['droppedFrames'])" "$WORK/ours.json")
  # shellcheck disable=SC2086
  /usr/bin/time -f "TIME wall=%e user=%U sys=%S maxrss_kb=%M" -o "$WORK/cli.time" \
    ffmpeg -v error -y -re -f lavfi -i "testsrc2=size=${W}x${H}:rate=${FPS}" -re -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$SECONDS_LIVE" -filter_complex "$graph" \
    -map "[land]" -map 1:a $x264 -c:a aac -b:a 128k -ar 48000 -ac 2 -flags +global_header \
    -f tee "[f=mp4:movflags=frag_keyframe+empty_moov+default_base_moof]$WORK/cli.mp4|[f=flv:onfail=ignore]rtmp://127.0.0.1:$PORT/live/cli_land" \
    -map "[vert]" -map 1:a $x264 -c:a aac -b:a 128k -ar 48000 -ac 2 -t "$SECONDS_LIVE" -f flv "rtmp://127.0.0.1:$PORT/live/cli_vert"
  read -r cli_cpu cli_rss < <(cpu_of "$WORK/cli.time")
  ratio=$(echo "scale=3; $ours_cpu / $cli_cpu" | bc)
  echo "round $round: ours ${ours_cpu} cores, ${ours_rss} MiB, ${n} frames, skipped ${skipped} + ${second_skipped} (second picture), dropped ${dropped}; ffmpeg CLI ${cli_cpu} cores, ${cli_rss} MiB; ratio ${ratio}"
  ratios+=("$ratio")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "median CPU ratio ours / ffmpeg CLI over ${ROUNDS} rounds: ${median}x"
