/* See runtime.h. HTTP/1.1 with Content-Length or chunked bodies; one connection, reopened if lost. */
#include "runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int api_socket = -1;
static char api_host[256];
static int api_port;

/* Buffered reader over the socket. */
static char in_buffer[65536];
static size_t in_start, in_end;

static int api_address(void) {
  if (api_host[0] != '\0') return 0;
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == NULL) {
    fprintf(stderr, "AWS_LAMBDA_RUNTIME_API is not set\n");
    return -1;
  }
  const char *colon = strrchr(api, ':');
  size_t host_length = colon == NULL ? strlen(api) : (size_t)(colon - api);
  if (host_length >= sizeof api_host) return -1;
  memcpy(api_host, api, host_length);
  api_host[host_length] = '\0';
  api_port = colon == NULL ? 80 : atoi(colon + 1);
  return 0;
}

static int api_connect(void) {
  if (api_socket >= 0) return 0;
  if (api_address() != 0) return -1;
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)api_port);
  const char *host = strcmp(api_host, "localhost") == 0 ? "127.0.0.1" : api_host;
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    fprintf(stderr, "AWS_LAMBDA_RUNTIME_API: not an IPv4 address: %s\n", api_host);
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  api_socket = fd;
  in_start = in_end = 0;
  return 0;
}

static void api_close(void) {
  if (api_socket >= 0) close(api_socket);
  api_socket = -1;
  in_start = in_end = 0;
}

static int write_all(const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = send(api_socket, data, length, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

static int fill(void) {
  if (in_start == in_end) in_start = in_end = 0;
  if (in_end == sizeof in_buffer) {
    memmove(in_buffer, in_buffer + in_start, in_end - in_start);
    in_end -= in_start;
    in_start = 0;
  }
  for (;;) {
    ssize_t n = recv(api_socket, in_buffer + in_end, sizeof in_buffer - in_end, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    in_end += (size_t)n;
    return 0;
  }
}

/* Reads one CRLF-terminated line (without the CRLF) into `line`. */
static int read_line(char *line, size_t size) {
  size_t used = 0;
  for (;;) {
    while (in_start < in_end) {
      char c = in_buffer[in_start++];
      if (c == '\n') {
        if (used > 0 && line[used - 1] == '\r') used--;
        line[used] = '\0';
        return 0;
      }
      if (used + 1 < size) line[used++] = c;
    }
    if (fill() != 0) return -1;
  }
}

static int read_exact(char *into, size_t length) {
  while (length > 0) {
    if (in_start == in_end && fill() != 0) return -1;
    size_t take = in_end - in_start < length ? in_end - in_start : length;
    memcpy(into, in_buffer + in_start, take);
    in_start += take;
    into += take;
    length -= take;
  }
  return 0;
}

struct response {
  int status;
  char request_id[128];
  char *body;
  size_t length;
};

/* Reads one response: status, the request-id header, and the body (Content-Length or chunked). */
static int read_response(struct response *response) {
  char line[8192];
  long content_length = -1;
  int chunked = 0;
  memset(response, 0, sizeof *response);
  if (read_line(line, sizeof line) != 0) return -1;
  if (sscanf(line, "HTTP/1.%*d %d", &response->status) != 1) return -1;
  for (;;) {
    if (read_line(line, sizeof line) != 0) return -1;
    if (line[0] == '\0') break;
    char *colon = strchr(line, ':');
    if (colon == NULL) continue;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t') value++;
    if (strcasecmp(line, "Content-Length") == 0) {
      content_length = strtol(value, NULL, 10);
    } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
      chunked = strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(line, "Lambda-Runtime-Aws-Request-Id") == 0) {
      snprintf(response->request_id, sizeof response->request_id, "%s", value);
    }
  }
  if (chunked) {
    size_t capacity = 4096, used = 0;
    char *body = malloc(capacity);
    if (body == NULL) return -1;
    for (;;) {
      if (read_line(line, sizeof line) != 0) return free(body), -1;
      size_t size = strtoul(line, NULL, 16);
      if (size == 0) {
        while (read_line(line, sizeof line) == 0 && line[0] != '\0') {
        }
        break;
      }
      if (used + size + 1 > capacity) {
        while (used + size + 1 > capacity) capacity *= 2;
        char *grown = realloc(body, capacity);
        if (grown == NULL) return free(body), -1;
        body = grown;
      }
      if (read_exact(body + used, size) != 0 || read_line(line, sizeof line) != 0) return free(body), -1;
      used += size;
    }
    body[used] = '\0';
    response->body = body;
    response->length = used;
    return 0;
  }
  size_t length = content_length > 0 ? (size_t)content_length : 0;
  response->body = malloc(length + 1);
  if (response->body == NULL) return -1;
  if (read_exact(response->body, length) != 0) return free(response->body), -1;
  response->body[length] = '\0';
  response->length = length;
  return 0;
}

/* Sends one request and reads its response; retries once on a connection that went stale. */
static int request(const char *method, const char *path, const char *extra_headers, const char *body, size_t length,
                   struct response *response) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (api_connect() != 0) return -1;
    char head[1024];
    int head_length = snprintf(head, sizeof head,
                               "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %zu\r\n%s\r\n", method,
                               path, api_host, api_port, length, extra_headers);
    if (head_length < 0 || (size_t)head_length >= sizeof head) return -1;
    if (write_all(head, (size_t)head_length) == 0 && (length == 0 || write_all(body, length) == 0) &&
        read_response(response) == 0) {
      return 0;
    }
    api_close();
  }
  return -1;
}

/* JSON string escaping for error messages (control characters, quotes, backslashes). */
static size_t json_escape(const char *text, char *out, size_t size) {
  size_t used = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && used + 7 < size; p++) {
    if (*p == '"' || *p == '\\') {
      out[used++] = '\\';
      out[used++] = (char)*p;
    } else if (*p < 0x20) {
      used += (size_t)snprintf(out + used, size - used, "\\u%04x", *p);
    } else {
      out[used++] = (char)*p;
    }
  }
  out[used] = '\0';
  return used;
}

static int post_error(const char *path, const char *type, const char *message) {
  char escaped_type[256], escaped_message[2048], body[2560], header[384];
  json_escape(type, escaped_type, sizeof escaped_type);
  json_escape(message, escaped_message, sizeof escaped_message);
  int length = snprintf(body, sizeof body, "{\"errorType\":\"%s\",\"errorMessage\":\"%s\"}", escaped_type,
                        escaped_message);
  snprintf(header, sizeof header, "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: %s\r\n",
           escaped_type);
  struct response response;
  if (request("POST", path, header, body, (size_t)length, &response) != 0) return -1;
  free(response.body);
  return 0;
}

int runtime_init_error(const char *type, const char *message) {
  fprintf(stderr, "init failed: %s: %s\n", type, message);
  post_error("/2018-06-01/runtime/init/error", type, message);
  return 1;
}

int runtime_loop(handler_fn handler, void *state) {
  for (;;) {
    struct response next;
    if (request("GET", "/2018-06-01/runtime/invocation/next", "", NULL, 0, &next) != 0) {
      fprintf(stderr, "runtime: /next failed\n");
      return 1;
    }
    if (next.status != 200) {
      fprintf(stderr, "runtime: /next answered %d\n", next.status);
      free(next.body);
      return 1;
    }
    struct invocation invocation;
    snprintf(invocation.request_id, sizeof invocation.request_id, "%s", next.request_id);
    invocation.body = next.body;
    invocation.length = next.length;
    char *out = NULL;
    size_t out_length = 0;
    char path[256];
    int failed = handler(&invocation, &out, &out_length, state);
    free(next.body);
    if (failed) {
      snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/error", invocation.request_id);
      post_error(path, "HandlerError", out == NULL ? "handler failed" : out);
      free(out);
      continue;
    }
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response", invocation.request_id);
    struct response answer;
    int sent = request("POST", path, "Content-Type: application/json\r\n", out, out_length, &answer);
    free(out);
    if (sent != 0) {
      fprintf(stderr, "runtime: /response failed\n");
      return 1;
    }
    free(answer.body);
  }
}
