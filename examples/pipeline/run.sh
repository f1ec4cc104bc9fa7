#!/usr/bin/env bash
# Runs the pipeline example end to end: two cases through three stages.
# Usage: examples/pipeline/run.sh [path/to/tandem]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tandem=$(realpath "${1:-$here/../../build/src/cli/tandem}")
work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-pipeline-XXXXXX")
cp -r "$here/tandem.toml" "$here/stages" "$work/"
cd "$work"
export TANDEM_BACKEND="sqlite://$work/.tandem/tandem.db"
"$tandem" up --config tandem.toml 2> up.log &
up=$!
trap 'kill -TERM $up 2>/dev/null; wait $up 2>/dev/null || true' EXIT
for c in alpha beta; do
  mkdir -p "drop/pre/$c"
  printf 'case %s\nsecond line\n' "$c" > "drop/pre/$c/input.txt"
  cp stages/preprocess.sh "drop/pre/$c/preprocess.sh"   # the executable, last
done
for _ in $(seq 1 600); do
  [[ -f drop/post/alpha/report.txt && -f drop/post/beta/report.txt ]] && break
  sleep 0.1
done
for c in alpha beta; do echo "$c: $(cat "drop/post/$c/report.txt")"; done
"$tandem" jobs
kill -TERM $up; wait $up || true
trap - EXIT
grep -E "autoscaler|pipeline|cost" up.log
echo "files are in $work/drop"
