/* The C hello contestant: returns the event unchanged. */
#include <stdlib.h>
#include <string.h>

#include "../common/runtime.h"

static int echo(const struct invocation *invocation, char **out, size_t *out_length, void *state) {
  (void)state;
  *out = malloc(invocation->length + 1);
  if (*out == NULL) return 1;
  memcpy(*out, invocation->body, invocation->length);
  *out_length = invocation->length;
  return 0;
}

int main(void) { return runtime_loop(echo, NULL); }
