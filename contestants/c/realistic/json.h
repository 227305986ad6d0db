/* A small validating JSON reader for the C contestant: a tree of values, parsed in one pass. */
#ifndef THAW_JSON_H
#define THAW_JSON_H
#include <stddef.h>

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
  enum json_kind kind;
  double number;     /* JSON_NUMBER, JSON_BOOL (0 or 1) */
  char *string;      /* JSON_STRING (decoded, NUL-terminated); the key of an object member */
  char *key;         /* set on members of an object */
  struct json *child; /* first element or member */
  struct json *next;  /* next sibling */
};

/* Parses `text`; NULL on a syntax error, with `*error` set to a message. Free with json_free. */
struct json *json_parse(const char *text, size_t length, const char **error);
void json_free(struct json *value);
/* The member `key` of an object, or NULL. */
const struct json *json_get(const struct json *object, const char *key);
/* The number of elements or members of an array or object. */
size_t json_count(const struct json *value);

#endif
