#!/usr/bin/env bash
# 10,000 trivial jobs end to end (submit + drain) with 2 local agents on the embedded
# SQLite backend, against `xargs -P 2` running the same commands in the same run.
# Usage: bench/throughput.sh [JOBS]
source "$(dirname "$0")/common.sh"
n=${1:-10000}

seq 1 "$n" | awk '{ printf "{\"job_id\": \"b%d\", \"commands\": [\"echo job %d\"]}\n", $1, $1 }' > jobs.jsonl
seq 1 "$n" | awk '{ printf "echo job %d\n", $1 }' > commands.txt

t0=$(now)
tr '\n' '\0' < commands.txt | xargs -0 -P 2 -I{} /bin/sh -c '{}' > /dev/null
t1=$(now)
xargs_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

t0=$(now)
"$tandem" submit jobs.jsonl 2>/dev/null
t_sub=$(now)
"$tandem" up --workers 2 2>/dev/null
t1=$(now)
tandem_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
drain_s=$(awk -v a="$t_sub" -v b="$t1" 'BEGIN { print b - a }')
ok=$("$tandem" jobs --status SUCCEEDED --json | grep -c '"job_id"')
[[ $ok -eq $n ]] || { echo "only $ok of $n jobs succeeded" >&2; exit 1; }

echo "jobs: $n trivial ('echo job N'), 2 workers, sqlite"
echo "xargs -P 2:           $(rate "$n" "$xargs_s") jobs/s (${xargs_s}s)"
echo "tandem end to end:    $(rate "$n" "$tandem_s") jobs/s (${tandem_s}s, of which drain ${drain_s}s)"
echo "ratio tandem / xargs: $(ratio "$xargs_s" "$tandem_s")  (goal: >= 0.5)"
