# cdc-bridge as a container: build the jar first (mvn -q package -DskipTests), then docker build .
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --home-dir /app cdc && mkdir -p /app/data && chown -R cdc /app
WORKDIR /app
COPY target/cdc-bridge.jar /app/cdc-bridge.jar
COPY routes /app/routes
USER cdc
# settings come from CDC_* environment variables (see README); data/ holds offsets and dry-run output
VOLUME /app/data
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/cdc-bridge.jar"]
