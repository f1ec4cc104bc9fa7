#!/usr/bin/env bash
# Autoscaler reaction to a burst: `tandem up --max-workers M` waits on an empty queue, a
# burst of 1,000 jobs (`sleep 1` each: the machine has 2 cores) arrives in one `tandem
# submit`, and we time from the submit returning until `tandem workers --json` lists M
# live workers (polled every 50 ms). Baseline in the same run: the same burst, then M
# agents started by hand (`tandem agent --idle-exit 1 &` M times), timed the same way.
# The burst comes at a random moment after up is ready, so that it is not in step with
# up's polling. Rounds alternate; the medians are reported. Jobs left unfinished are fine: every agent is
# stopped (SIGTERM: it finishes its current `sleep 1`) once the count is reached.
# Usage: bench/burst.sh [MAX_WORKERS] [JOBS] [ROUNDS]
source "$(dirname "$0")/common.sh"
m=${1:-8}
n=${2:-1000}
rounds=${3:-5}
poll_limit=600  # polls of 50 ms: 30 s at most for the count to reach M

seq 1 "$n" | awk '{ printf "{\"job_id\": \"burst%d\", \"commands\": [\"sleep 1\"]}\n", $1 }' > jobs.jsonl
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
live() { "$tandem" workers --json | grep -c '"id":' || true; }

# Every process started here, stopped on any exit: SIGTERM, then SIGUSR1/SIGTERM again
# (return the job at once), then SIGKILL; bounded.
started=()
stop_pids() {
  local p i
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 1 100); do  # 10 s
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    [[ $i -eq 50 ]] && for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
cleanup() {
  [[ ${#started[@]} -gt 0 ]] && stop_pids "${started[@]}"
  cd / && rm -rf "$work"
}
trap cleanup EXIT

# Polls until M workers are live; prints the seconds since $1, or fails.
until_live() {
  local t0=$1 count=0 i
  for i in $(seq 1 "$poll_limit"); do
    count=$(live)
    if [[ $count -ge $m ]]; then
      [[ $count -eq $m ]] || { echo "$count live workers, more than $m" >&2; return 1; }
      elapsed "$t0" "$(now)"
      return 0
    fi
    sleep 0.05
  done
  echo "only $count of $m workers live after $((poll_limit / 20)) s" >&2
  return 1
}

succeeded() { "$tandem" queue --json | awk -F': ' '/"SUCCEEDED"/ { gsub(",", "", $2); print $2 }'; }

up_times=() hand_times=() costs=()
for round in $(seq 1 "$rounds"); do
  # tandem up, autoscaled, on an empty queue.
  export TANDEM_BACKEND="sqlite://$work/up$round/tandem.db"
  "$tandem" up --max-workers "$m" --idle-exit 10 2> "up$round.log" &
  up=$!
  started=("$up")
  for _ in $(seq 1 200); do  # until it is autoscaling: 10 s at most
    grep -q 'autoscaling queue' "up$round.log" && break
    kill -0 "$up" 2>/dev/null || { cat "up$round.log" >&2; echo "tandem up exited" >&2; exit 1; }
    sleep 0.05
  done
  grep -q 'autoscaling queue' "up$round.log" || { echo "tandem up did not start" >&2; exit 1; }
  [[ $(live) -eq 0 ]] || { echo "workers live before the burst" >&2; exit 1; }
  # The burst comes at a random moment (0-1 s later), not in step with up's polling.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", r / 32768 }')"
  "$tandem" submit jobs.jsonl > /dev/null 2> submit.log || { cat submit.log >&2; exit 1; }
  t=$(until_live "$(now)")
  up_times+=("$t")
  kill -TERM "$up"
  for _ in $(seq 1 150); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done  # 15 s
  kill -0 "$up" 2>/dev/null && { echo "tandem up still running 15 s after SIGTERM" >&2; exit 1; }
  code=0; wait "$up" || code=$?
  [[ $code -eq 0 ]] || { echo "tandem up exited with $code" >&2; exit 1; }
  started=()
  cost=$(grep '^cost:' "up$round.log" || true)
  [[ -n $cost ]] || { echo "no cost line from tandem up" >&2; exit 1; }
  [[ $cost == *"$m worker(s)"* ]] || { echo "round $round: expected $m workers in: $cost" >&2; exit 1; }
  costs+=("$cost")
  [[ $(live) -eq 0 ]] || { echo "workers still live after tandem up stopped" >&2; exit 1; }
  [[ $(succeeded) -ge 1 ]] || { echo "round $round: tandem up's workers finished no job" >&2; exit 1; }

  # Baseline: the same burst, then M agents started by hand.
  export TANDEM_BACKEND="sqlite://$work/hand$round/tandem.db"
  "$tandem" submit jobs.jsonl > /dev/null 2> submit.log || { cat submit.log >&2; exit 1; }
  t0=$(now)
  for _ in $(seq 1 "$m"); do
    "$tandem" agent --idle-exit 1 2>> "hand$round.log" &
    started+=("$!")
  done
  t=$(until_live "$t0")
  hand_times+=("$t")
  stop_pids "${started[@]}"
  started=()
  [[ $(live) -eq 0 ]] || { echo "agents still live after SIGTERM" >&2; exit 1; }
  [[ $(succeeded) -ge 1 ]] || { echo "round $round: the agents finished no job" >&2; exit 1; }
done

up_s=$(printf '%s\n' "${up_times[@]}" | median)
hand_s=$(printf '%s\n' "${hand_times[@]}" | median)
echo "burst: $n jobs ('sleep 1') in one submit; time from the submit returning until"
echo "  'tandem workers --json' lists $m live workers (polled every 50 ms); median of $rounds rounds"
echo "tandem up --max-workers $m:  ${up_s}s (rounds: ${up_times[*]})"
echo "$m agents started by hand:   ${hand_s}s (rounds: ${hand_times[*]})"
echo "ratio up / by hand: $(ratio "$up_s" "$hand_s"); autoscaler overhead: $(elapsed "$hand_s" "$up_s")s"
echo "tandem up's cost lines (each run stopped once $m were live):"
printf '  %s\n' "${costs[@]}"
