#!/usr/bin/env bash
# The cost report of a mixed-tier run (1 on-demand + up to 3 spot workers, with simulated
# interruptions) against the same jobs on 4 on-demand workers, in the same script.
# Usage: bench/cost.sh [JOBS]
source "$(dirname "$0")/common.sh"
n=${1:-400}

tiers_mixed='[[tier]]
name = "on-demand"
max = 1
price = 0.384
[[tier]]
name = "spot"
max = 3
price = 0.0547
interruptible = true
interruption_rate = 120
interruption_grace = 5'
tiers_on_demand='[[tier]]
name = "on-demand"
max = 4
price = 0.384'

# Runs the jobs under config $1 (tiers), prints up's cost line and the wall time.
run() {
  local name=$1 tiers=$2
  mkdir -p "$name" && cd "$name"
  printf 'idle_exit = 2\n%s\n' "$tiers" > up.toml
  export TANDEM_BACKEND="sqlite://$PWD/tandem.db"
  seq 1 "$n" | awk '{ printf "{\"job_id\": \"c%d\", \"commands\": [\"sleep 0.2\"]}\n", $1 }' |
    "$tandem" submit - 2>/dev/null
  local t0 t1
  t0=$(now)
  "$tandem" up --config up.toml 2> up.log &
  local up=$!
  until "$tandem" queue --json | grep -q "\"SUCCEEDED\": $n"; do sleep 0.2; done
  t1=$(now)
  kill -TERM "$up"; wait "$up"
  local notices
  notices=$(grep -c "(simulated)" up.log || true)
  echo "$name: $(grep '^cost:' up.log) ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $notices interruption notice(s))"
  grep '^cost:' up.log | sed 's/.*total //' > total
  cd ..
}

echo "jobs: $n x 'sleep 0.2'; prices per worker-hour: on-demand 0.384, spot 0.0547"
run mixed "$tiers_mixed"
run on-demand "$tiers_on_demand"
echo "cost ratio mixed / all on-demand: $(ratio "$(cat mixed/total)" "$(cat on-demand/total)")"
