#!/usr/bin/env bash
# Checks a built AnchorDesk .deb the way a package reviewer would, without installing it:
#  - every shared library the binary loads (ldd) comes from a package in the closure of
#    the .deb's Depends (so `apt install ./AnchorDesk_….deb` pulls in all of them);
#  - the desktop entry has Chinese and English names, the AppStream metadata, the
#    licence and the third-party notices are inside.
# Usage: scripts/check-deb.sh path/to/AnchorDesk_….deb
set -euo pipefail
deb=${1:?usage: check-deb.sh AnchorDesk_VERSION_amd64.deb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
fail=0
problem() { echo "check-deb: $*" >&2; fail=1; }

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"

# The closure of Depends over the installed packages' own Depends/Pre-Depends. Every
# alternative of an "a | b" is followed: apt installs the first, and the first is what
# this machine has too.
declare -A closure=()
queue=()
split() { tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/:any//; s/^[[:space:]]+//; s/[[:space:]]+$//' | grep -v '^$' || true; }
while read -r p; do queue+=("$p"); done < <(split <<<"$depends")
while [ ${#queue[@]} -gt 0 ]; do
  p=${queue[0]}; queue=("${queue[@]:1}")
  [ -n "${closure[$p]:-}" ] && continue
  closure[$p]=1
  deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null || true)
  while read -r d; do [ -z "${closure[$d]:-}" ] && queue+=("$d"); done < <(split <<<"$deps")
done
# Essential packages (libc6 …) are on every Debian system.
while read -r p; do closure[$p]=1; done < <(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2=="yes"{print $1}')

bin="$work/root/usr/bin/anchordesk-app"
[ -x "$bin" ] || problem "no executable usr/bin/anchordesk-app in the package"
# The archive's crash hook (core's `crash-points` feature) is for tests only.
if grep -q 'ANCHORDESK_CRASH_AT' "$bin" 2>/dev/null; then
  problem "the packaged binary carries the test-only crash hook (ANCHORDESK_CRASH_AT)"
fi
# So is capture's stand-in hardware encoder with its injected failure (`fault-injection`).
if grep -q -e 'ANCHORDESK_FAKE_HARDWARE_ENCODER' -e 'ANCHORDESK_FAIL_ENCODER_FRAMES' "$bin" 2>/dev/null; then
  problem "the packaged binary carries capture's test-only encoder hooks (fault-injection)"
fi
if [ -x "$bin" ]; then
  missing_libs=$(ldd "$bin" | grep 'not found' || true)
  [ -z "$missing_libs" ] || problem "libraries not found on this machine: $missing_libs"
  checked=0
  while read -r lib; do
    owner=""
    for candidate in "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr${lib}"; do
      owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    if [ -z "$owner" ]; then problem "$lib belongs to no package"; continue; fi
    checked=$((checked + 1))
    [ -n "${closure[$owner]:-}" ] || problem "$lib comes from $owner, which the Depends closure does not hold"
  done < <(ldd "$bin" | awk '/=> \//{print $3} /^\t\//{print $1}' | sort -u)
  echo "libraries checked against the Depends closure: $checked"
fi

desktop=$(find "$work/root/usr/share/applications" -name '*.desktop' | head -1)
[ -n "$desktop" ] || problem "no desktop entry"
if [ -n "$desktop" ]; then
  grep -q '^Name=AnchorDesk' "$desktop" || problem "desktop entry has no English Name"
  grep -q '^Name\[zh_CN\]=主播工作台' "$desktop" || problem "desktop entry has no Chinese Name"
  grep -q '^Exec=anchordesk-app' "$desktop" || problem "desktop entry does not start anchordesk-app"
  icon=$(sed -n 's/^Icon=//p' "$desktop")
  find "$work/root/usr/share/icons" -name "$icon.png" | grep -q . || problem "icon $icon is not in the package"
fi
[ -f "$work/root/usr/share/metainfo/net.anchordesk.desk.metainfo.xml" ] || problem "no AppStream metadata"
doc=$(find "$work/root/usr/share/doc" -name THIRD-PARTY-NOTICES.txt | head -1)
[ -n "$doc" ] || problem "no third-party notices"
[ -z "$doc" ] || grep -q 'GNU General Public' "$doc" || problem "notices do not say the binary is GPL"
[ "$fail" -eq 0 ] && echo "check-deb: $(basename "$deb") declares what it needs"
exit "$fail"
