package thaw.contestant;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The Java realistic contestant of the cold-start war. At init (the class's construction): parses
 * config.json (Jackson), hashes it (SHA-256, MessageDigest), builds an HTTP client
 * (java.net.http.HttpClient) and an S3 client of the AWS SDK for Java v2 (configuration,
 * credentials provider chain, retry policy, URL-connection HTTP client); no request is sent. Per
 * Invocation: parses the event, hashes it and answers {language, region, keys, eventSha256,
 * configSha256}.
 */
public final class Realistic implements RequestStreamHandler {
  private final ObjectMapper json = new ObjectMapper();
  private final String configSha256;
  private final HttpClient http;
  private final S3Client s3;

  public Realistic() {
    try {
      String root = Objects.requireNonNullElse(System.getenv("LAMBDA_TASK_ROOT"), ".");
      byte[] text = Files.readAllBytes(Path.of(root, "config.json"));
      JsonNode config = json.readTree(text);
      configSha256 = sha256(text);
      JsonNode httpConfig = config.path("http");
      http =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofMillis(httpConfig.path("connectTimeoutMs").asLong(1000)))
              .version(HttpClient.Version.HTTP_1_1)
              .build();
      JsonNode retry = config.path("retry");
      s3 =
          S3Client.builder()
              .region(Region.of(config.path("region").asText("us-east-1")))
              .endpointOverride(java.net.URI.create(config.path("endpoint").asText()))
              .credentialsProvider(DefaultCredentialsProvider.builder().build())
              .httpClientBuilder(
                  UrlConnectionHttpClient.builder()
                      .connectionTimeout(Duration.ofMillis(httpConfig.path("connectTimeoutMs").asLong(1000)))
                      .socketTimeout(Duration.ofMillis(httpConfig.path("readTimeoutMs").asLong(3000))))
              .overrideConfiguration(
                  ClientOverrideConfiguration.builder()
                      .retryStrategy(RetryMode.valueOf(retry.path("mode").asText("standard").toUpperCase(java.util.Locale.ROOT)))
                      .build())
              .build();
    } catch (IOException error) {
      throw new UncheckedIOException(error);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException error) {
      throw new IllegalStateException(error);
    }
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    byte[] event = input.readAllBytes();
    JsonNode parsed = json.readTree(event);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("language", "java");
    answer.put("region", s3.serviceClientConfiguration().region().id());
    answer.put("keys", parsed.isObject() ? parsed.size() : 0);
    answer.put("eventSha256", sha256(event));
    answer.put("configSha256", configSha256);
    json.writeValue(output, answer);
  }
}
