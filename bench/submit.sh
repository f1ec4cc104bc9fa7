#!/usr/bin/env bash
# Batch submit of 100,000 jobs (JSON lines) into the embedded SQLite backend.
# Baseline in the same run: the sqlite3 shell importing the same rows in one transaction.
# Usage: bench/submit.sh [JOBS]
source "$(dirname "$0")/common.sh"
n=${1:-100000}
seq 1 "$n" | awk '{ printf "{\"job_id\": \"s%d\", \"retry\": 2, \"job_success_string\": \"ok\", \"commands\": [\"echo ok %d\"]}\n", $1, $1 }' > jobs.jsonl

t0=$(now)
"$tandem" submit jobs.jsonl 2>/dev/null
t1=$(now)
submit_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
count=$("$tandem" queue --json | awk -F': ' '/"depth"/ { gsub(",", "", $2); print $2 }')
[[ $count -eq $n ]] || { echo "queue depth $count, expected $n" >&2; exit 1; }
echo "submit: $n jobs in ${submit_s}s = $(rate "$n" "$submit_s") jobs/s (goal: >= 20000)"
