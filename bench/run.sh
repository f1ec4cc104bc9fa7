#!/usr/bin/env bash
# Runs every benchmark; figures go to the README's Performance section.
set -euo pipefail
cd "$(dirname "$0")"
bash throughput.sh
bash submit.sh
bash idle_agent.sh
bash burst.sh
bash idle_fraction.sh
bash cost.sh
