#!/usr/bin/env bash
# Builds the reference for the desktop benches: a bare Tauri 2 window (hello world with one
# gradient block), the same tauri version as the app, release. Prints the binary's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
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
echo "building the bare Tauri $tauri_version window ..." >&2
(cd "$bare_src" && CARGO_TARGET_DIR="$root/target/bench-bare" cargo build --release -q >&2)
echo "$root/target/bench-bare/release/bare-window"
