package io.cdcbridge.bigquery;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.http.HttpTransportOptions;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;

/**
 * Builds the one BigQuery client of the application. Credentials: the service-account key file
 * {@code cdc.bigquery.keyfile}; else none when {@code cdc.bigquery.endpoint} points at an emulator or fake (or in a
 * dry run, which never calls BigQuery); else application default credentials.
 *
 * <p>The client does not retry by itself: the delivery route's error handler retries with exponential backoff, so
 * there is one retry policy, visible in one place.
 */
public final class BigQueryClients {

    /**
     * The Storage Write client logs every stream connection, opened and closed, at INFO through java.util.logging (not
     * our logback): one line per table and reconnect on stderr. Its warnings stay. Held here: JUL keeps loggers weakly.
     */
    private static final java.util.logging.Logger STORAGE_CLIENT_LOG = java.util.logging.Logger.getLogger("com.google.cloud.bigquery.storage");

    private BigQueryClients() {
    }

    public static BigQuery create(Settings settings, boolean dryRun) {
        String project = settings.require(BigQuerySettings.PROJECT);
        BigQueryOptions.Builder b = BigQueryOptions.newBuilder().setProjectId(project);
        URI endpoint = settings.get(BigQuerySettings.ENDPOINT);
        if (endpoint != null) {
            b.setHost(endpoint.toString());
        }
        Path keyfile = settings.get(BigQuerySettings.KEYFILE);
        if (keyfile != null) {
            b.setCredentials(credentials(settings));
        } else if (endpoint != null || dryRun) {
            b.setCredentials(NoCredentials.getInstance());
        } else {
            b.setCredentials(credentials(settings));
        }
        b.setRetrySettings(ServiceOptions.getNoRetrySettings());
        b.setTransportOptions(HttpTransportOptions.newBuilder().setConnectTimeout(10_000).setReadTimeout(60_000).build());
        return b.build().getService();
    }

    /** The key file's credentials, or else the application default ones. */
    static GoogleCredentials credentials(Settings settings) {
        Path keyfile = settings.get(BigQuerySettings.KEYFILE);
        if (keyfile != null) {
            try (InputStream in = Files.newInputStream(keyfile)) {
                return GoogleCredentials.fromStream(in);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(BigQuerySettings.KEYFILE.key(), "cannot read the service-account key " + keyfile + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
            }
        }
        try {
            return GoogleCredentials.getApplicationDefault();
        } catch (IOException e) {
            throw new ConfigException(BigQuerySettings.KEYFILE.key(),
                    "not set and no application default credentials found (set a key file or GOOGLE_APPLICATION_CREDENTIALS)");
        }
    }

    /** Whether {@code host} (of a {@code host:port}) is this machine: only then may a channel be plaintext. */
    static boolean loopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        // a literal address only: a name is never resolved here (DNS could point it anywhere)
        if (!h.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(h).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * The Storage Write API client ({@code cdc.bigquery.write-api=storage}): Google's endpoint over TLS with the same
     * credentials as REST; {@code cdc.bigquery.storage-endpoint} on a loopback host (an emulator, the tests' fake) in
     * plaintext without credentials; any other host over TLS with the credentials. No retries inside the client: the
     * delivery engine retries (one policy, docs/architecture.md §6).
     */
    public static com.google.cloud.bigquery.storage.v1.BigQueryWriteClient createWrite(Settings settings) {
        String endpoint = settings.get(BigQuerySettings.STORAGE_ENDPOINT);
        if (endpoint == null && settings.get(BigQuerySettings.ENDPOINT) != null) {
            // tables at an emulator but rows at Google's service: never meant, and without credentials it cannot work
            throw new ConfigException(BigQuerySettings.STORAGE_ENDPOINT.key(), "not set while " + BigQuerySettings.ENDPOINT.key()
                    + " points at " + settings.get(BigQuerySettings.ENDPOINT) + ": set it to that service's Storage Write "
                    + "(gRPC) host:port, or " + BigQuerySettings.WRITE_API.key() + "=insertall");
        }
        if (STORAGE_CLIENT_LOG.getLevel() == null) {
            STORAGE_CLIENT_LOG.setLevel(java.util.logging.Level.WARNING);
        }
        try {
            var b = com.google.cloud.bigquery.storage.v1.BigQueryWriteSettings.newBuilder();
            if (endpoint != null && loopback(endpoint.substring(0, endpoint.lastIndexOf(':')))) {
                b.setEndpoint(endpoint)
                        .setCredentialsProvider(com.google.api.gax.core.NoCredentialsProvider.create())
                        .setTransportChannelProvider(com.google.api.gax.grpc.InstantiatingGrpcChannelProvider.newBuilder()
                                .setEndpoint(endpoint)
                                .setChannelConfigurator(io.grpc.ManagedChannelBuilder::usePlaintext)
                                .build());
            } else {
                if (endpoint != null) {
                    b.setEndpoint(endpoint);
                    b.setTransportChannelProvider(com.google.api.gax.grpc.InstantiatingGrpcChannelProvider.newBuilder()
                            .setEndpoint(endpoint).build());
                }
                b.setCredentialsProvider(com.google.api.gax.core.FixedCredentialsProvider.create(
                        credentials(settings).createScoped("https://www.googleapis.com/auth/bigquery")));
            }
            return com.google.cloud.bigquery.storage.v1.BigQueryWriteClient.create(b.build());
        } catch (IOException e) {
            throw new ConfigException(BigQuerySettings.STORAGE_ENDPOINT.key(), "cannot create the Storage Write client for "
                    + (endpoint == null ? "Google's endpoint" : endpoint) + ": " + e.getMessage());
        }
    }
}
