# The bridge's JVM flags in the bench scripts: the Dockerfile's (ParallelGC, tiered compilation: docs/benchmarks.md,
# "JVM flags") with the heap the Kubernetes manifest's 2Gi limit more than allows (its 75% would be 1.5g). Sourced by
# lib.sh and compare.sh; override with BRIDGE_OPTS. A 512m heap cost a 1M-row initial snapshot 40% of its rate (the
# queue and the producer's batches leave little young space), C1 alone (-XX:TieredStopAtLevel=1) another 40%.
BRIDGE_OPTS="${BRIDGE_OPTS:--Xmx1g -XX:+UseParallelGC}"; export BRIDGE_OPTS
