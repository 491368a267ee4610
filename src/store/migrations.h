/* Embedded schema migrations (generated from schema/NNN_name.sql; not API). */
#ifndef DURABLE_SRC_STORE_MIGRATIONS_H
#define DURABLE_SRC_STORE_MIGRATIONS_H

#include <stddef.h>

typedef struct durable__migration {
    int version;      /* NNN of schema/NNN_name.sql: 1, 2, 3, … */
    const char *name; /* "001_init" */
    const char *sql;
} durable__migration;

extern const durable__migration durable__migrations[];
/* schema/latest.sql: what the migrations lead to, applied to new files. */
extern const char durable__schema_latest[];
extern const int durable__migration_count;
/* The bytes of a new database at the latest version (schema/latest.sql,
 * 2048-byte pages), generated at build time by tools/gen_schema_image.c. */
extern const unsigned char durable__schema_image[];
extern const size_t durable__schema_image_size;

#endif
