#!/usr/bin/env bash
# A portrait two-source scene (人+商品特写 at 1080x1920: the test pattern full screen and a
# second test source in the close-up) at 30 fps, recorded and pushed to two streams of a
# local nginx-rtmp, in real time for BENCH_SECONDS:
#   ours:      capture-recorder --scene (the pipeline's filter graph, x264, AAC, two pushes)
#   reference: one ffmpeg CLI command running the same filter graph with the same encoder
#              settings, writing the same fragmented MP4 and the same two pushes (tee).
# Prints each run's CPU (user+sys over wall), peak RSS and, for ours, skipped and dropped
# frames; then the CPU ratio ours / ffmpeg CLI. Rounds alternate; the median is quoted.
# Usage: scripts/bench-scene.sh   (env: BENCH_SECONDS=30 BENCH_ROUNDS=3 BENCH_CANVAS=1080x1920)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_LIVE=${BENCH_SECONDS:-30}
ROUNDS=${BENCH_ROUNDS:-3}
CANVAS=${BENCH_CANVAS:-1080x1920}
FPS=30
W=${CANVAS%x*}
H=${CANVAS#*x}

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

# The scene: the pip layout on the canvas, its close-up a second test source at 640x360.
python3 - "$W" "$H" > "$WORK/scene.json" <<'PY'
import json, sys
w, h = int(sys.argv[1]), int(sys.argv[2])
side = min(w, h) * 0.36
margin = min(w, h) * 0.04
r4 = lambda v: round(v * 10000) / 10000
close = {"x": r4(1 - side / w - margin / w), "y": r4(margin / h), "w": r4(side / w), "h": r4(side / h)}
second = {"kind": "input", "input": {"format": "lavfi", "url": "testsrc2=size=640x360:rate=30,realtime", "options": {}}}
print(json.dumps({"name": "bench", "width": w, "height": h, "layers": [
    {"source": {"kind": "camera"}, "rect": {"x": 0, "y": 0, "w": 1, "h": 1}},
    {"source": second, "rect": close}]}))
PY
# The same rectangle in pixels (even, as the pipeline rounds it) for the reference graph.
read -r CX CY CW CH < <(python3 - "$WORK/scene.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); w, h = s["width"], s["height"]; r = s["layers"][1]["rect"]
even = lambda v, of: int(round(min(max(v, 0), 1) * of)) & ~1
x, y = min(even(r["x"], w), w - 2), min(even(r["y"], h), h - 2)
print(x, y, max(2, min(even(r["w"], w), w - x)), max(2, min(even(r["h"], h), h - y)))
PY
)

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
ratios=()
echo "== scene ${CANVAS}@${FPS}: camera + close-up (${CW}x${CH} at ${CX},${CY}), record + 2 pushes, ${SECONDS_LIVE} s, ${ROUNDS} rounds, $(nproc) cores"
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$WORK/ours.mp4" "$WORK/cli.mp4"
  /usr/bin/time -f "TIME wall=%e user=%U sys=%S maxrss_kb=%M" -o "$WORK/ours.time" \
    "$RECORDER" --out "$WORK/ours.mp4" --duration-ms $((SECONDS_LIVE * 1000)) --fps $FPS --scene "$WORK/scene.json" --no-preview \
    --push "rtmp://127.0.0.1:$PORT/live/ours_a" --push "rtmp://127.0.0.1:$PORT/live/ours_b" > "$WORK/ours.json" 2> "$WORK/ours.log"
  read -r ours_cpu ours_rss < <(cpu_of "$WORK/ours.time")
  frames=$(python3 -c "import json,sys; j=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(j['videoFrames'], j['skippedFrames'], j['droppedFrames'])" "$WORK/ours.json")
  graph="color=c=black:s=${W}x${H}:r=${FPS}[bg];[0:v]scale=w=${W}:h=${H}:force_original_aspect_ratio=increase:force_divisible_by=2,crop=${W}:${H},format=yuva420p[l0];[bg][l0]overlay=x=0:y=0:format=yuv420[c1];[1:v]scale=w=${CW}:h=${CH}:force_original_aspect_ratio=increase:force_divisible_by=2,crop=${CW}:${CH},format=yuva420p[l1];[c1][l1]overlay=x=${CX}:y=${CY}:format=yuv420,format=yuv420p[v]"
  /usr/bin/time -f "TIME wall=%e user=%U sys=%S maxrss_kb=%M" -o "$WORK/cli.time" \
    ffmpeg -v error -y -re -f lavfi -i "testsrc2=size=${W}x${H}:rate=${FPS}" -re -f lavfi -i "testsrc2=size=640x360:rate=${FPS}" \
    -re -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$SECONDS_LIVE" -filter_complex "$graph" -map "[v]" -map 2:a \
    -c:v libx264 -preset veryfast -threads 2 -b:v 2500k -maxrate 2500k -bufsize 5000k -g $gop \
    -x264-params "keyint=${gop}:min-keyint=${gop}:scenecut=0:rc-lookahead=0:sliced-threads=1:bframes=1" -c:a aac -b:a 128k -ar 48000 -ac 2 -flags +global_header \
    -f tee "[f=mp4:movflags=frag_keyframe+empty_moov+default_base_moof]$WORK/cli.mp4|[f=flv:onfail=ignore]rtmp://127.0.0.1:$PORT/live/cli_a|[f=flv:onfail=ignore]rtmp://127.0.0.1:$PORT/live/cli_b"
  read -r cli_cpu cli_rss < <(cpu_of "$WORK/cli.time")
  ratio=$(echo "scale=3; $ours_cpu / $cli_cpu" | bc)
  read -r n skipped dropped <<< "$frames"
  echo "round $round: ours ${ours_cpu} cores, ${ours_rss} MiB, ${n} frames, skipped ${skipped}, dropped ${dropped}; ffmpeg CLI ${cli_cpu} cores, ${cli_rss} MiB; ratio ${ratio}"
  ratios+=("$ratio")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "median CPU ratio ours / ffmpeg CLI over ${ROUNDS} rounds: ${median}x"
for f in "$WORK/ours.mp4" "$WORK/cli.mp4"; do
  echo "$(basename "$f"): $(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,avg_frame_rate -of csv=p=0 "$f") $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f") s"
done
