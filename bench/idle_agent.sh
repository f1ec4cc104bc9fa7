#!/usr/bin/env bash
# An idle agent's cost: CPU (share of one core) and memory (RSS of the agent and its
# guard process) over a window with an empty queue.
# Usage: bench/idle_agent.sh [SECONDS]
source "$(dirname "$0")/common.sh"
window=${1:-20}
"$tandem" submit --cmd true >/dev/null 2>&1
"$tandem" agent 2>/dev/null &
agent=$!
# Wait until the agent has run the job: the queue is empty and the agent is idle.
for _ in $(seq 1 500); do
  "$tandem" jobs --status SUCCEEDED --json | grep -q job_id && break
  sleep 0.02
done
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks "$agent"); t0=$(now)
sleep "$window"
c1=$(ticks "$agent"); t1=$(now)
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$agent/status")
guard_kb=0
for child in $(cat "/proc/$agent/task/$agent/children" 2>/dev/null); do
  guard_kb=$((guard_kb + $(awk '/VmRSS/ { print $2 }' "/proc/$child/status")))
done
kill -TERM "$agent"; wait "$agent" || true
cpu=$(awk -v c0="$c0" -v c1="$c1" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.2f", 100 * (c1 - c0) / hz / (t1 - t0) }')
echo "idle agent over ${window}s: CPU ${cpu}% of one core (goal: < 1%)"
echo "memory: agent RSS $((rss_kb / 1024)) MiB ($rss_kb KiB), guard RSS $guard_kb KiB (goal: < 16 MiB)"
