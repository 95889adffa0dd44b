#!/usr/bin/env bash
# Installs the .deb the way a user does (`apt install ./AnchorDesk_….deb`) into a clean
# Debian 12 root made by debootstrap (no build tools, no FFmpeg dev packages), starts the
# installed app under Xvfb, and checks that the window paints and the embedded practice
# platform answers. The clean root is built once and reused (ANCHORDESK_DEB_ROOT); each
# run installs into a throwaway copy of it.
# Usage: scripts/test-deb-install.sh path/to/AnchorDesk_….deb
set -euo pipefail
deb=$(readlink -f "${1:?usage: test-deb-install.sh AnchorDesk_VERSION_amd64.deb}")
if [ "$(id -u)" -ne 0 ]; then
  echo "deb-install: needs root (debootstrap, mount and chroot); run it as root or with sudo" >&2
  exit 2
fi
base=${ANCHORDESK_DEB_ROOT:-/var/cache/anchordesk/debian12-root}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ ! -f "$base/.anchordesk-ready" ]; then
  echo "deb-install: building a clean Debian 12 root in $base (once)"
  rm -rf "$base"
  mkdir -p "$base"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >/dev/null
  touch "$base/.anchordesk-ready"
fi

work=$(mktemp -d /var/tmp/anchordesk-deb-XXXXXX)
root="$work/root"
mounted=()
app_pid=""
xvfb_pid=""
cleanup() {
  set +e
  if [ -n "$app_pid" ]; then kill -- "-$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null; fi
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; fi
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null; done
  # Never follow a mount that is somehow still there into the host.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cp -a "$base" "$root"
mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"; mounted+=("$root/sys")
mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"; mounted+=("$root/dev")
mkdir -p /tmp/.X11-unix "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"; mounted+=("$root/tmp/.X11-unix")
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"

echo "deb-install: apt install ./$(basename "$deb") in the clean root"
chroot "$root" apt-get update -qq >/dev/null
if ! chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./tmp/$(basename "$deb")" >"$work/apt.log" 2>&1; then
  tail -30 "$work/apt.log" >&2
  echo "deb-install: apt could not install the package" >&2
  exit 1
fi
chroot "$root" dpkg -s anchor-desk >/dev/null
if chroot "$root" dpkg -l | grep -qE '^ii +(libavcodec-dev|build-essential|gcc) '; then
  echo "deb-install: the package pulled in build tools" >&2
  exit 1
fi

display=":$(( 90 + RANDOM % 50 ))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

echo "deb-install: starting /usr/bin/anchordesk-app from the installed package"
: >"$work/app.log"
setsid chroot "$root" env -i DISPLAY="$display" HOME=/root LANG=C.UTF-8 PATH=/usr/bin:/bin \
  RUST_LOG=info /usr/bin/anchordesk-app --data-dir /root/anchordesk-data >"$work/app.log" 2>&1 &
app_pid=$!

url=""
for _ in $(seq 600); do
  url=$(sed -n 's/.*practice platform on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/app.log" | head -1 || true)
  [ -n "$url" ] && break
  if ! kill -0 "$app_pid" 2>/dev/null; then
    cat "$work/app.log" >&2
    echo "deb-install: the installed app exited" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$work/app.log" >&2
  echo "deb-install: the app never started its practice platform" >&2
  exit 1
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "${url%/v1}/openapi.json" || true)
[ "$code" = 200 ] || code=$(curl -s -o /dev/null -w '%{http_code}' "$url/openapi.json" || true)
if [ "$code" != 200 ]; then
  echo "deb-install: the practice platform at $url did not answer (HTTP $code)" >&2
  exit 1
fi

# The window paints: the screen holds the window's many colours, not one flat background.
shots=${E2E_SHOTS:-target/e2e-shots}
mkdir -p "$shots"
colours=0
for _ in $(seq 60); do
  sleep 0.5
  DISPLAY="$display" import -window root "$shots/deb-installed-app.png" 2>/dev/null || continue
  colours=$(identify -format '%k' "$shots/deb-installed-app.png" 2>/dev/null || echo 0)
  [ "$colours" -gt 200 ] && break
done
if [ "$colours" -le 200 ]; then
  cat "$work/app.log" >&2
  echo "deb-install: the window did not paint ($colours colours on screen)" >&2
  exit 1
fi
echo "deb-install: installed app painted its window ($colours colours, $shots/deb-installed-app.png) and the practice platform answered at $url"
