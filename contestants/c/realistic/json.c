#include "json.h"

#include <stdlib.h>
#include <string.h>

struct parser {
  const char *p, *end;
  const char *error;
  int depth;
};

static void skip_space(struct parser *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static struct json *fail(struct parser *s, const char *message, struct json *partial) {
  if (s->error == NULL) s->error = message;
  json_free(partial);
  return NULL;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Appends the UTF-8 encoding of `code` to `out`. */
static size_t put_utf8(char *out, unsigned code) {
  if (code < 0x80) return out[0] = (char)code, 1;
  if (code < 0x800) return out[0] = (char)(0xc0 | code >> 6), out[1] = (char)(0x80 | (code & 63)), 2;
  if (code < 0x10000) {
    out[0] = (char)(0xe0 | code >> 12), out[1] = (char)(0x80 | (code >> 6 & 63)), out[2] = (char)(0x80 | (code & 63));
    return 3;
  }
  out[0] = (char)(0xf0 | code >> 18), out[1] = (char)(0x80 | (code >> 12 & 63));
  out[2] = (char)(0x80 | (code >> 6 & 63)), out[3] = (char)(0x80 | (code & 63));
  return 4;
}

static int read_hex4(struct parser *s, unsigned *code) {
  if (s->end - s->p < 4) return -1;
  unsigned value = 0;
  for (int i = 0; i < 4; i++) {
    int digit = hex_digit(s->p[i]);
    if (digit < 0) return -1;
    value = value << 4 | (unsigned)digit;
  }
  s->p += 4;
  *code = value;
  return 0;
}

static char *parse_string(struct parser *s) {
  s->p++; /* the opening quote */
  const char *start = s->p;
  char *out = malloc((size_t)(s->end - start) + 1);
  if (out == NULL) return NULL;
  size_t used = 0;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') {
      out[used] = '\0';
      return out;
    }
    if (c < 0x20) break;
    if (c != '\\') {
      out[used++] = (char)c;
      continue;
    }
    if (s->p >= s->end) break;
    char e = *s->p++;
    unsigned code;
    switch (e) {
      case '"': case '\\': case '/': out[used++] = e; break;
      case 'b': out[used++] = '\b'; break;
      case 'f': out[used++] = '\f'; break;
      case 'n': out[used++] = '\n'; break;
      case 'r': out[used++] = '\r'; break;
      case 't': out[used++] = '\t'; break;
      case 'u':
        if (read_hex4(s, &code) != 0) goto bad;
        if (code >= 0xd800 && code < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
          unsigned low;
          s->p += 2;
          if (read_hex4(s, &low) != 0 || low < 0xdc00 || low > 0xdfff) goto bad;
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        used += put_utf8(out + used, code);
        break;
      default: goto bad;
    }
  }
bad:
  free(out);
  s->error = "bad string";
  return NULL;
}

static struct json *parse_value(struct parser *s);

static struct json *parse_container(struct parser *s, struct json *value, char close) {
  int object = close == '}';
  struct json **tail = &value->child;
  s->p++;
  skip_space(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    return value;
  }
  for (;;) {
    char *key = NULL;
    skip_space(s);
    if (object) {
      if (s->p >= s->end || *s->p != '"') return fail(s, "expected a key", value);
      if ((key = parse_string(s)) == NULL) return fail(s, "bad key", value);
      skip_space(s);
      if (s->p >= s->end || *s->p++ != ':') return free(key), fail(s, "expected ':'", value);
    }
    struct json *member = parse_value(s);
    if (member == NULL) return free(key), fail(s, "bad value", value);
    member->key = key;
    *tail = member;
    tail = &member->next;
    skip_space(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == close) {
      s->p++;
      return value;
    }
    return fail(s, "expected ',' or a closing bracket", value);
  }
}

static struct json *parse_value(struct parser *s) {
  skip_space(s);
  if (s->p >= s->end) return fail(s, "unexpected end", NULL);
  if (++s->depth > 512) return fail(s, "too deep", NULL);
  struct json *value = calloc(1, sizeof *value);
  if (value == NULL) return fail(s, "out of memory", NULL);
  struct json *result = value;
  char c = *s->p;
  if (c == '{') {
    value->kind = JSON_OBJECT;
    result = parse_container(s, value, '}');
  } else if (c == '[') {
    value->kind = JSON_ARRAY;
    result = parse_container(s, value, ']');
  } else if (c == '"') {
    value->kind = JSON_STRING;
    if ((value->string = parse_string(s)) == NULL) result = fail(s, "bad string", value);
  } else if (s->end - s->p >= 4 && memcmp(s->p, "true", 4) == 0) {
    value->kind = JSON_BOOL, value->number = 1, s->p += 4;
  } else if (s->end - s->p >= 5 && memcmp(s->p, "false", 5) == 0) {
    value->kind = JSON_BOOL, s->p += 5;
  } else if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
    value->kind = JSON_NULL, s->p += 4;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    char buffer[64];
    size_t n = 0;
    while (s->p + n < s->end && n < sizeof buffer - 1 && strchr("+-.eE0123456789", s->p[n]) != NULL) n++;
    memcpy(buffer, s->p, n);
    buffer[n] = '\0';
    char *stop;
    value->kind = JSON_NUMBER;
    value->number = strtod(buffer, &stop);
    if (stop != buffer + n) result = fail(s, "bad number", value);
    s->p += n;
  } else {
    result = fail(s, "unexpected character", value);
  }
  s->depth--;
  return result;
}

struct json *json_parse(const char *text, size_t length, const char **error) {
  struct parser s = {text, text + length, NULL, 0};
  struct json *value = parse_value(&s);
  if (value != NULL) {
    skip_space(&s);
    if (s.p != s.end) value = fail(&s, "trailing characters", value);
  }
  if (error != NULL) *error = s.error;
  return value;
}

void json_free(struct json *value) {
  while (value != NULL) {
    struct json *next = value->next;
    json_free(value->child);
    free(value->string);
    free(value->key);
    free(value);
    value = next;
  }
}

const struct json *json_get(const struct json *object, const char *key) {
  if (object == NULL || object->kind != JSON_OBJECT) return NULL;
  for (const struct json *member = object->child; member != NULL; member = member->next) {
    if (strcmp(member->key, key) == 0) return member;
  }
  return NULL;
}

size_t json_count(const struct json *value) {
  size_t n = 0;
  if (value != NULL && (value->kind == JSON_OBJECT || value->kind == JSON_ARRAY)) {
    for (const struct json *element = value->child; element != NULL; element = element->next) n++;
  }
  return n;
}
