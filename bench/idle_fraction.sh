#!/usr/bin/env bash
# How much of the workers' time is idle: a batch of 2,000 short jobs (`sleep 0.05`) run by
# `tandem up --max-workers 4 --idle-exit 2` until every job has succeeded and every worker
# has left. Then
#   worker time = sum of worker lifetimes (started_at .. stopped_at, `tandem workers --json --all`)
#   busy time   = sum of attempt durations (started_at .. ended_at, `tandem status ID --json`,
#                 one pass over every job)
# and idle fraction = 1 - busy / worker time; also with each worker's final idle-exit wait
# taken out (idle-exit x workers), and over each worker's span from its first attempt's
# start to its last attempt's end only: the time between jobs.
# Usage: bench/idle_fraction.sh [JOBS] [MAX_WORKERS] [IDLE_EXIT] [SLEEP]
source "$(dirname "$0")/common.sh"
n=${1:-2000}
m=${2:-4}
idle_exit=${3:-2}
job_sleep=${4:-0.05}

up=
cleanup() {
  if [[ -n $up ]]; then  # SIGTERM; again after 5 s (jobs back at once); SIGKILL after 10 s
    kill -TERM "$up" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$up" 2>/dev/null || break
      [[ $i -eq 50 ]] && kill -TERM "$up" 2>/dev/null
      sleep 0.1
    done
    kill -KILL "$up" 2>/dev/null || true
    wait "$up" 2>/dev/null || true
  fi
  cd / && rm -rf "$work"
}
trap cleanup EXIT
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
live() { "$tandem" workers --json | grep -c '"id":' || true; }
succeeded() { "$tandem" queue --json | awk -F': ' '/"SUCCEEDED"/ { gsub(",", "", $2); print $2 }'; }

export TANDEM_BACKEND="sqlite://$work/db/tandem.db"
seq 1 "$n" | awk -v s="$job_sleep" '{ printf "{\"job_id\": \"i%d\", \"commands\": [\"sleep %s\"]}\n", $1, s }' > jobs.jsonl
"$tandem" submit jobs.jsonl > /dev/null 2> submit.log || { cat submit.log >&2; exit 1; }

t0=$(now)
"$tandem" up --max-workers "$m" --idle-exit "$idle_exit" 2> up.log &
up=$!
for _ in $(seq 1 900); do  # 90 s at most
  [[ $(succeeded) -ge $n ]] && break
  kill -0 "$up" 2>/dev/null || { cat up.log >&2; echo "tandem up exited" >&2; exit 1; }
  sleep 0.1
done
t1=$(now)
[[ $(succeeded) -eq $n ]] || { echo "only $(succeeded) of $n jobs succeeded within 90 s" >&2; exit 1; }
for _ in $(seq 1 $((100 + 20 * ${idle_exit%.*}))); do  # until every worker left: idle-exit + 10 s
  [[ $(live) -eq 0 ]] && break
  sleep 0.1
done
[[ $(live) -eq 0 ]] || { echo "workers still live $((10 + ${idle_exit%.*}))s after the last job" >&2; exit 1; }
kill -TERM "$up"
for _ in $(seq 1 100); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
kill -0 "$up" 2>/dev/null && { echo "tandem up still running 10 s after SIGTERM" >&2; exit 1; }
code=0; wait "$up" || code=$?
up=
[[ $code -eq 0 ]] || { echo "tandem up exited with $code" >&2; exit 1; }
cost=$(grep '^cost:' up.log || true)
[[ -n $cost ]] || { echo "no cost line from tandem up" >&2; exit 1; }

"$tandem" workers --json --all > workers.json
"$tandem" jobs --json > jobs.json
s0=$(now)
python3 - "$tandem" > attempts.tsv <<'EOF'
# One `tandem status` per job: worker, started_at, ended_at and verdict of every attempt.
import json, subprocess, sys
for job in json.load(open("jobs.json")):
    record = json.loads(subprocess.run([sys.argv[1], "status", job["job_id"], "--json"],
                                       check=True, capture_output=True, text=True).stdout)
    for a in record["attempts"]:
        print("\t".join([job["job_id"], a["worker"], a["started_at"], a["ended_at"] or "",
                         a["verdict"]]))
EOF
s1=$(now)

python3 - "$n" "$m" "$idle_exit" "$job_sleep" <<'EOF'
import json, sys
from datetime import datetime, timezone
n, m, idle_exit, job_sleep = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def t(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
def fail(why):
    print("sanity check failed: " + why, file=sys.stderr)
    sys.exit(1)

workers = json.load(open("workers.json"))
if not workers or len(workers) > m:
    fail(f"{len(workers)} workers in the registry, expected 1..{m}")
if any(w["stopped_at"] is None for w in workers):
    fail("a worker has no stopped_at")
life = {w["id"]: (t(w["started_at"]), t(w["stopped_at"])) for w in workers}
worker_s = sum(b - a for a, b in life.values())

rows = [line.rstrip("\n").split("\t") for line in open("attempts.tsv")]
jobs = {r[0] for r in rows}
if len(jobs) != n:
    fail(f"attempts for {len(jobs)} jobs, expected {n}")
if any(r[3] == "" or r[4] != "SUCCEEDED" for r in rows):
    fail("an attempt did not end or did not succeed")
if any(r[1] not in life for r in rows):
    fail("an attempt ran on a worker not in the registry")
busy = {w: 0.0 for w in life}
first = {}
last = {}
for job, worker, start, end, _ in rows:
    a, b = t(start), t(end)
    if not life[worker][0] - 0.002 <= a <= b <= life[worker][1] + 0.002:
        fail(f"attempt of {job} outside its worker's lifetime")
    busy[worker] += b - a
    first[worker] = min(first.get(worker, a), a)
    last[worker] = max(last.get(worker, b), b)
busy_s = sum(busy.values())
if busy_s < n * job_sleep or busy_s > worker_s:
    fail(f"busy {busy_s:.1f}s outside [{n * job_sleep:.1f}s, worker time {worker_s:.1f}s]")
span_s = sum(last[w] - first[w] for w in first)
head_s = sum(first[w] - life[w][0] for w in first)
tail_s = sum(life[w][1] - last[w] for w in first)
k = len(workers)
no_exit_s = worker_s - idle_exit * k

print(f"workers: {k}, worker time {worker_s:.2f}s (sum of lifetimes, registry)")
print(f"busy time: {busy_s:.2f}s (sum of {len(rows)} attempt durations over {n} jobs); "
      f"{busy_s / len(rows) * 1000:.1f} ms per attempt for a {job_sleep * 1000:.0f} ms sleep")
print(f"idle fraction, whole lifetimes:           {1 - busy_s / worker_s:.3f}  (1 - busy / worker time)")
print(f"idle fraction, idle-exit waits taken out: {1 - busy_s / no_exit_s:.3f}  "
      f"(worker time - {idle_exit:g}s x {k} workers = {no_exit_s:.2f}s)")
print(f"idle fraction between jobs:               {1 - busy_s / span_s:.3f}  "
      f"(per worker, first attempt start .. last attempt end: {span_s:.2f}s)")
print(f"  the rest: {head_s:.2f}s from worker start to first attempt, "
      f"{tail_s:.2f}s from last attempt to stop ({tail_s / k:.2f}s a worker; idle-exit {idle_exit:g}s)")
print(f"  mean gap between a worker's jobs: {(span_s - busy_s) / max(len(rows) - k, 1) * 1000:.1f} ms")
EOF
echo "run: $n jobs ('sleep $job_sleep'), tandem up --max-workers $m --idle-exit $idle_exit:" \
  "$(elapsed "$t0" "$t1")s until all succeeded; status pass over $n jobs $(elapsed "$s0" "$s1")s"
echo "tandem up: $cost"
