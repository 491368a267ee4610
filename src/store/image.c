/* A new ":memory:" store starts as a copy of a prebuilt image of a new
 * database (build/gen/schema_image.c, made at build time from
 * schema/latest.sql): running latest.sql parses and codes every CREATE
 * statement again (~7M instructions per new store, the bulk of opening one
 * for a test run), while copying the image's pages with the backup API and
 * reading the schema back from them costs a fraction. The image is only
 * copied into a brand-new in-memory database, so it never meets a file. */
#include "store/migrations.h"
#include "store/store_impl.h"

int durable__store_load_image(durable_store *s)
{
    sqlite3 *src = NULL;
    int rc = sqlite3_open_v2(":memory:", &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* Read-only: SQLite reads the const bytes in place and never writes them. */
    if (rc == SQLITE_OK)
        rc = sqlite3_deserialize(src, "main", (unsigned char *)durable__schema_image,
                                 (sqlite3_int64)durable__schema_image_size,
                                 (sqlite3_int64)durable__schema_image_size,
                                 SQLITE_DESERIALIZE_READONLY);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(s->db, "main", src, "main") : NULL;
    if (rc == SQLITE_OK && !b)
        rc = sqlite3_errcode(s->db);
    if (b) {
        rc = sqlite3_backup_step(b, -1);
        int fin = sqlite3_backup_finish(b);
        rc = rc == SQLITE_DONE ? fin : rc;
    }
    sqlite3_close(src);
    return rc == SQLITE_OK ? 0 : durable__store_fail(s, rc, "copy the schema image");
}
