/*
 * A tiny client of the Lambda Runtime API (2018-06-01) over one kept-alive TCP socket: the native
 * control of the cold-start war. No library beyond libc.
 */
#ifndef THAW_CONTESTANT_RUNTIME_H
#define THAW_CONTESTANT_RUNTIME_H

#include <stddef.h>

/* One Invocation as /next hands it over. `body` is NUL-terminated (not counted in `length`). */
struct invocation {
  char request_id[128];
  char *body;
  size_t length;
};

/*
 * Answers one Invocation: fills `*out` (malloc'd, freed by the caller) and `*out_length`, returns 0;
 * or returns non-zero with `*out` holding an error message (a C string, malloc'd) for /error.
 */
typedef int (*handler_fn)(const struct invocation *invocation, char **out, size_t *out_length, void *state);

/* Polls /next forever, answering each Invocation with `handler`. Returns only on a broken API. */
int runtime_loop(handler_fn handler, void *state);

/* Reports a failed init to /init/error and returns 1 (the caller exits with it). */
int runtime_init_error(const char *type, const char *message);

#endif
