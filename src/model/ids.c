/* UUIDs (libuuid) and the execution / function ARNs of SPEC §2.9
 * (operation ids are in op_id.c). */
#include <stdbool.h>
#include <string.h>

#include <uuid/uuid.h>

#include "durable/ids.h"
#include "model/exec_arn.h"
#include "model/internal.h"

void durable_uuid(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_ACCOUNT "123456789012"
#define DEFAULT_QUALIFIER "$LATEST"
#define EXEC_MARK "/durable-execution/"

static bool nonempty(const char *s)
{
    return s && *s;
}

/* Parts that end up between separators must not contain them. */
static bool clean_part(const char *s, const char *forbidden)
{
    return nonempty(s) && strpbrk(s, forbidden) == NULL;
}

int durable_execution_arn(char **out, const char *region, const char *account,
                          const char *function, const char *qualifier,
                          const char *execution_name, const char *execution_op_id)
{
    *out = NULL;
    region = nonempty(region) ? region : DEFAULT_REGION;
    account = nonempty(account) ? account : DEFAULT_ACCOUNT;
    qualifier = nonempty(qualifier) ? qualifier : DEFAULT_QUALIFIER;
    if (!clean_part(region, ":/") || !clean_part(account, ":/") ||
        !clean_part(function, ":/") || !clean_part(qualifier, ":/") ||
        !clean_part(execution_name, "/") || !clean_part(execution_op_id, "/"))
        return durable__error_set(DURABLE_EINVAL,
                                  "execution ARN: function, execution name and operation id are "
                                  "required, and no part may contain ':' or '/'");
    *out = durable__sprintf("arn:aws:lambda:%s:%s:function:%s:%s" EXEC_MARK "%s/%s", region,
                            account, function, qualifier, execution_name, execution_op_id);
    return *out ? 0 : durable__error_oom();
}

int durable_function_arn(char **out, const char *region, const char *account,
                         const char *function)
{
    *out = NULL;
    region = nonempty(region) ? region : DEFAULT_REGION;
    account = nonempty(account) ? account : DEFAULT_ACCOUNT;
    if (!clean_part(region, ":/") || !clean_part(account, ":/") || !clean_part(function, ":/"))
        return durable__error_set(DURABLE_EINVAL,
                                  "function ARN: a function name without ':' or '/' is required");
    *out = durable__sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, function);
    return *out ? 0 : durable__error_oom();
}

static int not_arn(const char *arn)
{
    return durable__error_set(DURABLE_EINVAL,
                              "not an execution ARN (arn:aws:lambda:<region>:<account>:function:"
                              "<function>:<qualifier>/durable-execution/<name>/<id>): \"%.80s\"",
                              arn ? arn : "");
}

static int give(char **out, const char *s, size_t n)
{
    if (!out)
        return 0;
    *out = durable__strndup(s, n);
    return *out ? 0 : durable__error_oom();
}

bool durable__exec_arn_split(durable__exec_arn_parts *out, const char *arn)
{
    if (!arn || strncmp(arn, "arn:", 4) != 0)
        return false;
    /* arn : partition : lambda : region : account : function : rest */
    const char *p = arn;
    for (int field = 0; field < 6; field++) {
        const char *colon = strchr(p, ':');
        if (!colon || colon == p)
            return false;
        if (field == 2 && strncmp(p, "lambda:", 7) != 0)
            return false;
        if (field == 5 && strncmp(p, "function:", 9) != 0)
            return false;
        p = colon + 1;
    }
    const char *mark = strstr(p, EXEC_MARK);
    if (!mark)
        return false;
    const char *colon = memchr(p, ':', (size_t)(mark - p));
    if (!colon || colon == p || colon + 1 == mark || memchr(colon + 1, ':', (size_t)(mark - colon - 1)))
        return false;
    const char *name = mark + strlen(EXEC_MARK);
    const char *slash = strchr(name, '/');
    if (!slash || slash == name || !slash[1] || strchr(slash + 1, '/'))
        return false;
    out->function = (durable__arn_slice){p, (size_t)(colon - p)};
    out->qualifier = (durable__arn_slice){colon + 1, (size_t)(mark - colon - 1)};
    out->execution_name = (durable__arn_slice){name, (size_t)(slash - name)};
    out->execution_op_id = (durable__arn_slice){slash + 1, strlen(slash + 1)};
    return true;
}

int durable_execution_arn_parse(char **function, char **qualifier, char **execution_name,
                                char **execution_op_id, const char *arn)
{
    char **outs[4] = {function, qualifier, execution_name, execution_op_id};
    for (int i = 0; i < 4; i++)
        if (outs[i])
            *outs[i] = NULL;
    durable__exec_arn_parts parts;
    if (!durable__exec_arn_split(&parts, arn))
        return not_arn(arn);
    const durable__arn_slice *slices[4] = {&parts.function, &parts.qualifier,
                                           &parts.execution_name, &parts.execution_op_id};
    for (int i = 0; i < 4; i++) {
        int rc = give(outs[i], slices[i]->p, slices[i]->n);
        if (rc < 0) {
            for (int k = 0; k < i; k++)
                if (outs[k]) {
                    durable_free(*outs[k]);
                    *outs[k] = NULL;
                }
            return rc;
        }
    }
    return 0;
}
