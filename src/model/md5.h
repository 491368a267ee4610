/*
 * MD5 (RFC 1321) for operation Ids only (SPEC §4): a fixed, non-secret
 * naming function. Not for anything security related.
 */
#ifndef DURABLE_SRC_MODEL_MD5_H
#define DURABLE_SRC_MODEL_MD5_H

#include <stddef.h>

/* The 16-byte digest of data[0..len) into out. Pure: no allocation, no
 * locks, safe from any thread. */
void durable__md5(unsigned char out[16], const void *data, size_t len);

#endif
