/* SHA-256 (FIPS 180-4), written for the C contestant. */
#ifndef THAW_SHA256_H
#define THAW_SHA256_H
#include <stddef.h>
#include <stdint.h>

/* Writes the digest of `data` as 64 lower-case hex digits and a NUL into `hex`. */
void sha256_hex(const void *data, size_t length, char hex[65]);

#endif
