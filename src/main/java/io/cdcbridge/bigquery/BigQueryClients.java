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
            try (InputStream in = Files.newInputStream(keyfile)) {
                b.setCredentials(GoogleCredentials.fromStream(in));
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(BigQuerySettings.KEYFILE.key(), "cannot read the service-account key " + keyfile + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
            }
        } else if (endpoint != null || dryRun) {
            b.setCredentials(NoCredentials.getInstance());
        } else {
            try {
                b.setCredentials(GoogleCredentials.getApplicationDefault());
            } catch (IOException e) {
                throw new ConfigException(BigQuerySettings.KEYFILE.key(),
                        "not set and no application default credentials found (set a key file or GOOGLE_APPLICATION_CREDENTIALS)");
            }
        }
        b.setRetrySettings(ServiceOptions.getNoRetrySettings());
        b.setTransportOptions(HttpTransportOptions.newBuilder().setConnectTimeout(10_000).setReadTimeout(60_000).build());
        return b.build().getService();
    }
}
