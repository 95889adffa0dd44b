#!/usr/bin/env bash
# Runs the claims linter and textlint + textlint-rule-prh on the same word list (the default
# packs' phrases, exported as a prh file) and the same synthetic Chinese script, and prints
# both times and their ratio.
#
#   scripts/bench-claims-vs-textlint.sh [SIZE_BYTES]     (default 1048576)
#
# Needs cargo, node and npm; textlint is installed into a temporary directory each run.
set -euo pipefail

size="${1:-1048576}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
cargo build -q --release -p anchordesk-claims --example lint_file --example export_prh
bin="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/release/examples"

"$bin/lint_file" --generate "$size" > "$work/script.txt"
"$bin/export_prh" > "$work/prh.yml" 2> "$work/phrases.txt"
echo "text: $(wc -c < "$work/script.txt") bytes; word list: $(cat "$work/phrases.txt")"

echo "installing textlint and textlint-rule-prh into $work ..."
(cd "$work" && npm init -y > /dev/null && npm install --silent --no-audit --no-fund textlint textlint-rule-prh > /dev/null)
cat > "$work/.textlintrc.json" <<JSON
{ "rules": { "prh": { "rulePaths": ["$work/prh.yml"] } } }
JSON
echo "textlint $("$work/node_modules/.bin/textlint" --version)"

now() { date +%s.%N; }

# Best of three for the claims linter (whole process: start, load packs, read, lint).
best=""
for _ in 1 2 3; do
    start=$(now)
    "$bin/lint_file" "$work/script.txt" > "$work/claims.out"
    end=$(now)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
echo "claims:   $(cat "$work/claims.out")"
printf 'claims:   %.3f s wall (best of 3)\n' "$best"

start=$(now)
(cd "$work" && ./node_modules/.bin/textlint --config .textlintrc.json --format json script.txt > textlint.json) || true
end=$(now)
textlint_s=$(echo "$end - $start" | bc -l)
n_textlint=$(node -e 'const r=require(process.argv[1]);console.log(r.reduce((n,f)=>n+f.messages.length,0))' "$work/textlint.json")
printf 'textlint: %.3f s wall, %s messages\n' "$textlint_s" "$n_textlint"
printf 'ratio (textlint / claims, wall clock): %.0fx\n' "$(echo "$textlint_s / $best" | bc -l)"
