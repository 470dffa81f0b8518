# cdc-bridge as a container, built from the sources:  docker build -t cdc-bridge .
# Stages: "build" compiles and packages the production jar (target/cdc-bridge-server.jar: no demo, no embedded
# Postgres binaries, no Kafka broker); "server", the last stage and so the default, runs it on a JRE. "demo" runs the
# full jar instead (docker-compose.yml uses it for the bookstore and its sales generator: CDC_DEMO_BOOKSTORE).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# the dependencies in a layer of their own: an edit of the sources does not download them again
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY . .
RUN mvn -B -q package -Dmaven.test.skip=true -Dcdc.demo-jar.skip=true

FROM build AS build-demo
RUN mvn -B -q package -Dmaven.test.skip=true

FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /app cdc && mkdir -p /app/data && chown -R cdc /app
WORKDIR /app
COPY routes /app/routes
USER cdc
# settings come from CDC_* environment variables (see README); data/ holds offsets and dry-run output
VOLUME /app/data
EXPOSE 8080
# ready = Camel started, Kafka answering, the Debezium engine streaming (docs/operations.md)
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENV CDC_HTTP_HOST=0.0.0.0
# JVM flags (docs/benchmarks.md, "JVM flags"), read by the java launcher itself; override with -e JDK_JAVA_OPTIONS=...
# ParallelGC: more events/s than G1 here, pauses well inside the latency target. TieredStopAtLevel=1 (C1 only): on
# 1-2 cores the C2 compiler takes a core from the pipeline for the first minutes; C1 alone starts at full speed and
# keeps ~50k events/s, where C2 ends higher (~75k). On 4+ cores, drop it.
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+UseParallelGC -XX:TieredStopAtLevel=1"

FROM runtime AS demo
COPY --from=build-demo /build/target/cdc-bridge.jar /app/cdc-bridge.jar
ENTRYPOINT ["java", "-jar", "/app/cdc-bridge.jar"]

FROM runtime AS server
COPY --from=build /build/target/cdc-bridge-server.jar /app/cdc-bridge-server.jar
ENTRYPOINT ["java", "-jar", "/app/cdc-bridge-server.jar"]
