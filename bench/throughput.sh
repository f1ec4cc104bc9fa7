#!/usr/bin/env bash
# 10,000 trivial jobs end to end (submit + drain) with 2 local agents on the embedded
# SQLite backend, against `xargs -P 2` running the same commands in the same run.
# Three rounds, alternating; the medians are reported.
# Usage: bench/throughput.sh [JOBS] [ROUNDS]
source "$(dirname "$0")/common.sh"
n=${1:-10000}
rounds=${2:-3}

seq 1 "$n" | awk '{ printf "{\"job_id\": \"b%d\", \"commands\": [\"echo job %d\"]}\n", $1, $1 }' > jobs.jsonl
seq 1 "$n" | awk '{ printf "echo job %d\n", $1 }' | tr '\n' '\0' > commands.bin
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

xargs_times=() tandem_times=()
for round in $(seq 1 "$rounds"); do
  t0=$(now)
  xargs -0 -P 2 -I{} /bin/sh -c '{}' < commands.bin > /dev/null
  t1=$(now)
  xargs_times+=("$(elapsed "$t0" "$t1")")

  export TANDEM_BACKEND="sqlite://round$round/tandem.db"
  t0=$(now)
  "$tandem" submit jobs.jsonl 2>/dev/null
  "$tandem" up --workers 2 2>/dev/null
  t1=$(now)
  tandem_times+=("$(elapsed "$t0" "$t1")")
  ok=$("$tandem" queue --json | awk -F': ' '/"SUCCEEDED"/ { gsub(",", "", $2); print $2 }')
  [[ $ok -eq $n ]] || { echo "round $round: only $ok of $n jobs succeeded" >&2; exit 1; }
  rm -rf "round$round"
done

xargs_s=$(printf '%s\n' "${xargs_times[@]}" | median)
tandem_s=$(printf '%s\n' "${tandem_times[@]}" | median)
echo "jobs: $n trivial ('echo job N'), 2 workers, embedded SQLite; median of $rounds rounds"
echo "xargs -P 2:           $(rate "$n" "$xargs_s") jobs/s (${xargs_s}s; rounds: ${xargs_times[*]})"
echo "tandem end to end:    $(rate "$n" "$tandem_s") jobs/s (${tandem_s}s; rounds: ${tandem_times[*]})"
echo "ratio tandem / xargs: $(ratio "$xargs_s" "$tandem_s")  (goal: >= 0.5)"
