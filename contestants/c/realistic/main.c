/*
 * The C realistic contestant. At init: parses config.json, hashes it (SHA-256), builds an HTTP
 * client and an SDK-style client (configuration, credentials provider, retry policy) the way an AWS
 * SDK client is built; no request is sent. Per Invocation: parses the event, hashes it and answers
 * {"language","region","keys","eventSha256","configSha256"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/runtime.h"
#include "json.h"
#include "sha256.h"

/* An HTTP/1.1 client: where to connect, its time limits and a pool of kept-alive connections. */
struct http_client {
  char scheme[8];
  char host[256];
  int port;
  int connect_timeout_ms;
  int read_timeout_ms;
  int keep_alive;
  int max_connections;
  int *pool; /* max_connections sockets, -1 while unused */
};

struct credentials {
  char access_key_id[128];
  char secret_access_key[128];
  char session_token[2048];
};

/* A credentials provider resolves lazily, on the first signed request, as the SDKs do. */
struct credentials_provider {
  const char *name;
  int (*resolve)(struct credentials *into);
};

struct retry_policy {
  char mode[16];
  int max_attempts;
  int base_delay_ms;
  unsigned seed;
};

struct sdk_client {
  const char *service;
  char region[64];
  char bucket[128];
  struct http_client *http;
  struct credentials_provider credentials;
  struct retry_policy retry;
};

struct state {
  char config_sha256[65];
  struct http_client http;
  struct sdk_client s3;
};

static int environment_credentials(struct credentials *into) {
  const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
  const char *token = getenv("AWS_SESSION_TOKEN");
  if (id == NULL || secret == NULL) return -1;
  snprintf(into->access_key_id, sizeof into->access_key_id, "%s", id);
  snprintf(into->secret_access_key, sizeof into->secret_access_key, "%s", secret);
  snprintf(into->session_token, sizeof into->session_token, "%s", token == NULL ? "" : token);
  return 0;
}

/* Full-jitter exponential back-off of the standard retry mode, in milliseconds. */
static int retry_delay_ms(struct retry_policy *retry, int attempt) {
  int cap = retry->base_delay_ms << (attempt < 10 ? attempt : 10);
  retry->seed = retry->seed * 1103515245u + 12345u;
  return (int)(retry->seed % (unsigned)(cap + 1));
}

static const char *string_or(const struct json *value, const char *fallback) {
  return value != NULL && value->kind == JSON_STRING ? value->string : fallback;
}

static int number_or(const struct json *value, int fallback) {
  return value != NULL && value->kind == JSON_NUMBER ? (int)value->number : fallback;
}

static int build_http_client(struct http_client *http, const struct json *config) {
  const char *endpoint = string_or(json_get(config, "endpoint"), "https://s3.amazonaws.com");
  const char *rest = strstr(endpoint, "://");
  snprintf(http->scheme, sizeof http->scheme, "%.*s", rest == NULL ? 5 : (int)(rest - endpoint),
           rest == NULL ? "https" : endpoint);
  rest = rest == NULL ? endpoint : rest + 3;
  size_t host_length = strcspn(rest, ":/");
  snprintf(http->host, sizeof http->host, "%.*s", (int)host_length, rest);
  http->port = rest[host_length] == ':' ? atoi(rest + host_length + 1) : strcmp(http->scheme, "http") == 0 ? 80 : 443;
  const struct json *settings = json_get(config, "http");
  http->connect_timeout_ms = number_or(json_get(settings, "connectTimeoutMs"), 1000);
  http->read_timeout_ms = number_or(json_get(settings, "readTimeoutMs"), 3000);
  const struct json *keep_alive = json_get(settings, "keepAlive");
  http->keep_alive = keep_alive == NULL || keep_alive->number != 0;
  http->max_connections = number_or(json_get(settings, "maxConnections"), 16);
  http->pool = malloc(sizeof *http->pool * (size_t)http->max_connections);
  if (http->pool == NULL) return -1;
  for (int i = 0; i < http->max_connections; i++) http->pool[i] = -1;
  return 0;
}

static void build_sdk_client(struct sdk_client *client, struct http_client *http, const struct json *config) {
  client->service = "s3";
  snprintf(client->region, sizeof client->region, "%s", string_or(json_get(config, "region"), "us-east-1"));
  snprintf(client->bucket, sizeof client->bucket, "%s", string_or(json_get(config, "bucket"), ""));
  client->http = http;
  client->credentials.name = "environment";
  client->credentials.resolve = environment_credentials;
  const struct json *retry = json_get(config, "retry");
  snprintf(client->retry.mode, sizeof client->retry.mode, "%s", string_or(json_get(retry, "mode"), "standard"));
  client->retry.max_attempts = number_or(json_get(retry, "maxAttempts"), 3);
  client->retry.base_delay_ms = number_or(json_get(retry, "baseDelayMs"), 50);
  client->retry.seed = 1;
  (void)retry_delay_ms;
}

static char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  size_t capacity = 4096, used = 0;
  char *data = malloc(capacity);
  size_t n;
  while (data != NULL && (n = fread(data + used, 1, capacity - used, file)) > 0) {
    used += n;
    if (used == capacity) {
      char *grown = realloc(data, capacity *= 2);
      if (grown == NULL) free(data);
      data = grown;
    }
  }
  fclose(file);
  if (data != NULL) data[used < capacity ? used : capacity - 1] = '\0';
  *length = used;
  return data;
}

static int handle(const struct invocation *invocation, char **out, size_t *out_length, void *opaque) {
  struct state *state = opaque;
  const char *error;
  struct json *event = json_parse(invocation->body, invocation->length, &error);
  if (event == NULL) {
    *out = strdup(error == NULL ? "the event is not JSON" : error);
    return 1;
  }
  char event_sha256[65];
  sha256_hex(invocation->body, invocation->length, event_sha256);
  size_t keys = event->kind == JSON_OBJECT ? json_count(event) : 0;
  json_free(event);
  *out = malloc(512);
  if (*out == NULL) return 1;
  int n = snprintf(*out, 512,
                   "{\"language\":\"c\",\"region\":\"%s\",\"keys\":%zu,\"eventSha256\":\"%s\",\"configSha256\":\"%s\"}",
                   state->s3.region, keys, event_sha256, state->config_sha256);
  *out_length = (size_t)n;
  return 0;
}

int main(void) {
  static struct state state;
  const char *root = getenv("LAMBDA_TASK_ROOT");
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", root == NULL ? "." : root);
  size_t length;
  char *text = read_file(path, &length);
  if (text == NULL) return runtime_init_error("Runtime.ConfigMissing", "cannot read config.json");
  const char *error;
  struct json *config = json_parse(text, length, &error);
  if (config == NULL) return runtime_init_error("Runtime.ConfigInvalid", error == NULL ? "config.json" : error);
  sha256_hex(text, length, state.config_sha256);
  free(text);
  if (build_http_client(&state.http, config) != 0) return runtime_init_error("Runtime.OutOfMemory", "http client");
  build_sdk_client(&state.s3, &state.http, config);
  json_free(config);
  return runtime_loop(handle, &state);
}
