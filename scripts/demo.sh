#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the demo on the embedded default backend:
# the post's Hello World example, then 1,000 small jobs drained by local agents.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" release >/dev/null
tandem="$root/build/src/cli/tandem"

demo=$(mktemp -d "${TMPDIR:-/tmp}/tandem-demo-XXXXXX")
cd "$demo"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "The post's example: two 'echo Hello World' jobs with retry 3"
cat > hello.json <<'JOBS'
[{"job_id": "Job1", "retry": "3", "job_success_string": "Hello EVERYONE",
  "ssm_document": "AWS-RunShellScript", "commands": ["echo Hello World"]},
 {"job_id": "Job2", "retry": "3", "job_success_string": "Hello",
  "ssm_document": "AWS-RunShellScript", "commands": ["echo Hello World"]}]
JOBS
"$tandem" submit hello.json
"$tandem" up --workers 2
say "Job1: its output never contains 'Hello EVERYONE', so 4 attempts, then FAILED"
"$tandem" status Job1
say "Job2: SUCCEEDED at the first attempt"
"$tandem" status Job2

say "1,000 small jobs, drained by 2 local agents"
for i in $(seq 1 1000); do
  printf '{"job_id": "sweep-%04d", "retry": 1, "job_success_string": "case %d done", "commands": ["echo case %d done"]}\n' "$i" "$i" "$i"
done > sweep.jsonl
"$tandem" submit sweep.jsonl
"$tandem" up --workers 2

say "The table"
"$tandem" jobs --limit 5
echo "..."
"$tandem" jobs --status FAILED
"$tandem" queue
echo
echo "The demo's state is in $demo/.tandem (try: cd $demo && $tandem status sweep-0042)"
