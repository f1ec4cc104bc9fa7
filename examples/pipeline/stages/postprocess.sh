#!/bin/sh
# Stage 3: a report from the simulation's result.
echo "report: $(cat result.txt)" > report.txt
cat report.txt
