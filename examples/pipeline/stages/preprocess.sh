#!/bin/sh
# Stage 1: normalise the input into a mesh description.
tr 'a-z' 'A-Z' < input.txt > mesh.txt
echo "pre-processed $(wc -l < mesh.txt) line(s)"
