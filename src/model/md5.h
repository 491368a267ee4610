/*
 * MD5 for operation Ids only (SPEC §4): a fixed, non-secret naming function,
 * computed by libcrypto. Not for anything security related.
 */
#ifndef DURABLE_SRC_MODEL_MD5_H
#define DURABLE_SRC_MODEL_MD5_H

#include <stddef.h>

/* The 16-byte digest of data[0..len) into out: 0, or -1 when libcrypto
 * fails. Safe from any thread; keeps no state. */
int durable__md5(unsigned char out[16], const void *data, size_t len);

#endif
