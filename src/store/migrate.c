/* Forward-only migrations: each one and its user_version bump commit together,
 * so a crash mid-migration leaves the file at the previous version. */
#include <stdio.h>

#include "model/internal.h"
#include "store/migrations.h"
#include "store/store_impl.h"

int durable__store_migrate(durable_store *s, int from_version)
{
    for (int i = from_version; i < durable__migration_count; i++) {
        const durable__migration *m = &durable__migrations[i];
        char bump[64];
        int rc = durable__store_begin(s);
        if (rc)
            return rc;
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", m->version);
        if ((rc = durable__store_exec(s, m->sql)) != 0 || (rc = durable__store_exec(s, bump)) != 0 ||
            (rc = durable__store_commit(s)) != 0) {
            durable__store_rollback(s);
            durable__error_prefix("migration %s", m->name);
            return rc;
        }
    }
    return 0;
}
