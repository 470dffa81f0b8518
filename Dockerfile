# cdc-bridge as a container, built from the sources:  docker build -t cdc-bridge .
# Stages: "build" compiles and packages the production jar (target/cdc-bridge-server.jar: no demo, no embedded
# Postgres binaries, no Kafka broker); "build-demo" also the full jar (target/cdc-bridge.jar); "train" writes the
# server jar's class-data archive on the runtime image; "server", the last stage and so the default, runs the jar
# from it on a JRE. "demo" runs the full jar instead (docker-compose.yml uses it for the bookstore and its sales
# generator: CDC_DEMO_BOOKSTORE).
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
# ParallelGC: more events/s than G1 here, pauses well inside the latency target. Tiered compilation (C1, then C2), the
# JVM's default: a bridge runs for months, and C2 ends 40-70% faster once warm. On 1-2 cores C2 takes a core for the
# first minutes (a cold catch-up runs slower then); add -XX:TieredStopAtLevel=1 (C1 only) where a fast cold start on a
# small host matters more than the warm rate. The heap is sized once (initial = maximum): grown from a small start,
# ParallelGC kept a small eden that promoted in-flight changes to the old generation, and the RSS climbed for half an
# hour before a full collection (docs/benchmarks.md, the soak); pages are still touched only as they are used.
ENV JDK_JAVA_OPTIONS="-XX:InitialRAMPercentage=75 -XX:MaxRAMPercentage=75 -XX:+UseParallelGC"

FROM runtime AS demo
COPY --from=build-demo /build/target/cdc-bridge.jar /app/cdc-bridge.jar
ENTRYPOINT ["java", "-jar", "/app/cdc-bridge.jar"]

# A class-data archive (AppCDS) for the server jar, trained on this JRE at the jar's final path: the demo jar's embedded
# Postgres and broker serve a short run of the server jar (deploy/cds-train.sh), whose JVM writes the classes it
# loaded. The server then maps them instead of reading and verifying them: streaming ~1 s sooner, 2-3 CPU seconds less
# in a 1M-row initial load on 2 cores (docs/benchmarks.md, "Class-data archive"). A failed training fails the build.
# Its two JVMs (the demo's servers, the trained bridge) get a fixed heap: the image's flags would give each 75% of the
# build machine's memory.
FROM runtime AS train
COPY --from=build /build/target/cdc-bridge-server.jar /app/cdc-bridge-server.jar
COPY --from=build-demo /build/target/cdc-bridge.jar /tmp/cdc-bridge.jar
COPY deploy/cds-train.sh /tmp/cds-train.sh
RUN TRAIN_OPTS="-Xms512m -Xmx1g" bash /tmp/cds-train.sh /app/cdc-bridge-server.jar /tmp/cdc-bridge.jar /app/cdc-bridge-server.jsa

FROM runtime AS server
# the jar the archive was trained with (the JVM checks its path, size and time; with another it starts without it)
COPY --from=train /app/cdc-bridge-server.jar /app/cdc-bridge-server.jar
COPY --from=train /app/cdc-bridge-server.jsa /app/cdc-bridge-server.jsa
# the build fails here if this image's JVM cannot map the archive (-Xshare:on stops instead of starting without it)
RUN java -Xmx256m -Xshare:on -XX:SharedArchiveFile=/app/cdc-bridge-server.jsa -jar /app/cdc-bridge-server.jar version
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/cdc-bridge-server.jsa", "-jar", "/app/cdc-bridge-server.jar"]
