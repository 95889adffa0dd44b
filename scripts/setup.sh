#!/usr/bin/env bash
# Install what AnchorDesk needs to build, run and test, skipping what is present.
# Idempotent: safe to run on every `make run` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl wget file pkg-config libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libgtk-3-dev
  libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev libswscale-dev
  libswresample-dev libavutil-dev clang libclang-dev ffmpeg
  xvfb xauth webkit2gtk-driver chromium chromium-driver nginx libnginx-mod-rtmp fonts-noto-cjk
  imagemagick x11-apps xdotool dbus-x11 gnome-keyring libsecret-1-dev libdbus-1-dev procps debootstrap postgresql
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo-nextest >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
echo "setup: ready"
