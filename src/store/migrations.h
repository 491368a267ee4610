/* Embedded schema migrations (generated from schema/NNN_name.sql; not API). */
#ifndef DURABLE_SRC_STORE_MIGRATIONS_H
#define DURABLE_SRC_STORE_MIGRATIONS_H

typedef struct durable__migration {
    int version;      /* NNN of schema/NNN_name.sql: 1, 2, 3, … */
    const char *name; /* "001_init" */
    const char *sql;
} durable__migration;

extern const durable__migration durable__migrations[];
/* schema/latest.sql: what the migrations lead to, applied to new files. */
extern const char durable__schema_latest[];
extern const int durable__migration_count;

#endif
