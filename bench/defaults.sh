# The bridge's JVM flags in the bench scripts: the Dockerfile's (docs/benchmarks.md, "JVM flags"), with a heap limit.
# Sourced by lib.sh and compare.sh; override with BRIDGE_OPTS.
BRIDGE_OPTS="${BRIDGE_OPTS:--Xmx512m -XX:+UseParallelGC -XX:TieredStopAtLevel=1}"; export BRIDGE_OPTS
