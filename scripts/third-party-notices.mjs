// Writes the licence notices that ship inside the .deb (packaging/generated/):
// our own licence, what linking Debian's FFmpeg means, and every crate in the app's
// dependency graph with its declared licence, read from `cargo metadata`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const meta = JSON.parse(
  execFileSync('cargo', ['metadata', '--format-version', '1', '--locked', '--filter-platform', 'x86_64-unknown-linux-gnu'], {
    maxBuffer: 256 * 1024 * 1024,
  }).toString(),
);
const resolve = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
const byId = new Map(meta.packages.map((p) => [p.id, p]));
// Normal (not dev or build) dependencies reachable from the app package.
const root = meta.packages.find((p) => p.name === 'anchordesk');
const seen = new Set();
const stack = [root.id];
while (stack.length) {
  const id = stack.pop();
  if (seen.has(id)) continue;
  seen.add(id);
  for (const dep of resolve.get(id)?.deps ?? []) {
    if (dep.dep_kinds.some((k) => k.kind === null)) stack.push(dep.pkg);
  }
}
const crates = [...seen]
  .map((id) => byId.get(id))
  .filter((p) => p.source)
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
const unlicensed = crates.filter((p) => !p.license && !p.license_file);
if (unlicensed.length) {
  console.error(`crates with no declared licence: ${unlicensed.map((p) => p.name).join(', ')}`);
  process.exit(1);
}
const counts = {};
for (const p of crates) counts[p.license ?? 'see licence file'] = (counts[p.license ?? 'see licence file'] ?? 0) + 1;

const lines = [
  `AnchorDesk ${root.version} — licence and third-party notices`,
  '',
  `AnchorDesk's own source code is licensed ${root.license}.`,
  '',
  'The desktop binary links FFmpeg from Debian (libavcodec, libavformat, libavdevice,',
  'libavfilter, libswscale, libswresample, libavutil). Debian builds FFmpeg with GPL',
  'components, libx264 among them, which the app uses to encode H.264. The binary as',
  'shipped in this package is therefore distributed under the GNU General Public',
  'License, version 2 or later; the corresponding source of AnchorDesk is available',
  'from the project, and FFmpeg\'s from Debian (apt source ffmpeg).',
  '',
  'WebKitGTK, GTK and the other system libraries are installed from Debian under their',
  'own licences (see /usr/share/doc/<package>/copyright).',
  '',
  `Rust crates compiled into the binary: ${crates.length}. By declared licence:`,
  ...Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([lic, n]) => `  ${String(n).padStart(4)}  ${lic}`),
  '',
  'Each crate, version and declared licence:',
  ...crates.map((p) => `  ${p.name} ${p.version}  ${p.license ?? `licence file ${p.license_file}`}`),
  '',
];
mkdirSync('packaging/generated', { recursive: true });
writeFileSync('packaging/generated/THIRD-PARTY-NOTICES.txt', lines.join('\n'));
console.log(`third-party notices: ${crates.length} crates`);
