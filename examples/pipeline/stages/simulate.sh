#!/bin/sh
# Stage 2: "simulate" on the mesh.
awk '{ n += length($0) } END { print "energy", n * 1.5 }' mesh.txt > result.txt
cat result.txt
