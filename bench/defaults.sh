# The bridge's JVM flags in the bench scripts: the Dockerfile's (ParallelGC, tiered compilation: docs/benchmarks.md,
# "JVM flags") with the heap the Kubernetes manifest's 2Gi limit more than allows (its 75% would be 1.5g). Sourced by
# lib.sh and compare.sh; override with BRIDGE_OPTS. A 512m heap cost a 1M-row initial snapshot 40% of its rate (the
# queue and the producer's batches leave little young space), C1 alone (-XX:TieredStopAtLevel=1) another 40%. The heap
# is fixed (-Xms = -Xmx, as the Dockerfile's InitialRAMPercentage = MaxRAMPercentage): grown from a small start,
# ParallelGC kept a 50 MB eden, collected every 0.4 s at 2,000 changes/s and promoted what was in flight (8 MB/min of
# old generation), so the RSS climbed for half an hour (docs/benchmarks.md, the soak).
BRIDGE_OPTS="${BRIDGE_OPTS:--Xms1g -Xmx1g -XX:+UseParallelGC}"; export BRIDGE_OPTS
