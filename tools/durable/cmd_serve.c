/* durable serve: the Lambda durable-functions API over HTTP on a file
 * (include/durable/http.h), until SIGINT or SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "durable/http.h"

#include <cjson/cJSON.h>

typedef struct fn_spec {
    char *name;
    char *command;
    char **env;
    size_t env_count;
    char *handler;
    long long timeout;
} fn_spec;

typedef struct serve_args {
    fn_spec *fns;
    size_t fn_count;
    const char **auth;
    size_t auth_count;
    bool quiet;
} serve_args;

static void fn_spec_clear(fn_spec *f)
{
    free(f->name);
    free(f->command);
    for (size_t i = 0; i < f->env_count; i++)
        free(f->env[i]);
    free(f->env);
    free(f->handler);
}

static fn_spec *add_fn(serve_args *a, const char *name, size_t name_len, const char *command)
{
    fn_spec *g = realloc(a->fns, (a->fn_count + 1) * sizeof *g);
    if (!g)
        return NULL;
    a->fns = g;
    fn_spec *f = &a->fns[a->fn_count++];
    memset(f, 0, sizeof *f);
    f->name = strndup(name, name_len);
    f->command = strdup(command);
    return f->name && f->command ? f : NULL;
}

/* NAME=COMMAND */
static int parse_fn_arg(serve_args *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return cli_usage("serve", "--function takes NAME=COMMAND, not '%s'", arg);
    return add_fn(a, arg, (size_t)(eq - arg), eq + 1) ? CLI_OK : CLI_DBERR;
}

/* A functions file: NAME=COMMAND lines ('#' comments), or JSON
 * {"NAME": {"Command": "...", "Environment": {"K": "V"}, "Handler": "...",
 * "ExecutionTimeout": N}, ...}. */
static int load_fn_file(serve_args *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "durable: %s: %s\n", path, strerror(errno));
        return CLI_USAGE;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *g = realloc(text, cap);
            if (!g) {
                free(text);
                fclose(f);
                return CLI_DBERR;
            }
            text = g;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!text)
        return cli_usage("serve", "%s: no functions", path);
    text[len] = '\0';
    int rc = CLI_OK;
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p == '{') {
        cJSON *j = cJSON_Parse(text);
        if (!j || !cJSON_IsObject(j)) {
            cJSON_Delete(j);
            free(text);
            return cli_usage("serve", "%s: not a JSON object of functions", path);
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, j)
        {
            const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(it, "Command");
            if (!cJSON_IsString(cmd)) {
                rc = cli_usage("serve", "%s: function %s has no \"Command\" string", path,
                               it->string);
                break;
            }
            fn_spec *fs = add_fn(a, it->string, strlen(it->string), cmd->valuestring);
            if (!fs) {
                rc = CLI_DBERR;
                break;
            }
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "Handler");
            if (cJSON_IsString(h))
                fs->handler = strdup(h->valuestring);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "ExecutionTimeout");
            if (cJSON_IsNumber(t))
                fs->timeout = (long long)t->valuedouble;
            const cJSON *env = cJSON_GetObjectItemCaseSensitive(it, "Environment");
            const cJSON *e;
            cJSON_ArrayForEach(e, env)
            {
                if (!cJSON_IsString(e))
                    continue;
                char **g = realloc(fs->env, (fs->env_count + 1) * sizeof *g);
                if (!g)
                    break;
                fs->env = g;
                size_t sz = strlen(e->string) + strlen(e->valuestring) + 2;
                if (!(fs->env[fs->env_count] = malloc(sz)))
                    break;
                snprintf(fs->env[fs->env_count++], sz, "%s=%s", e->string, e->valuestring);
            }
        }
        cJSON_Delete(j);
    } else {
        int lineno = 0;
        for (char *line = strtok(text, "\n"); line && rc == CLI_OK; line = strtok(NULL, "\n")) {
            lineno++;
            while (*line == ' ' || *line == '\t')
                line++;
            size_t l = strlen(line);
            while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
                line[--l] = '\0';
            if (!*line || *line == '#')
                continue;
            rc = parse_fn_arg(a, line);
        }
    }
    free(text);
    return rc;
}

static void log_line(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

static int parse_listen(const char *v, char **host, int *port)
{
    const char *colon = strrchr(v, ':');
    if (!colon)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    const char *h = v;
    size_t hl = (size_t)(colon - v);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    *host = strndup(h, hl);
    *port = (int)p;
    return *host ? 0 : -1;
}

int cmd_serve(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        char *help[] = {"help", "serve", NULL};
        return cmd_help(2, help);
    }
    if (argc < 2 || argv[1][0] == '-') /* never create a file named like an option */
        return cli_usage("serve", "missing DB (the file comes first)");
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = argv[1];
    serve_args a;
    memset(&a, 0, sizeof a);
    char *host = NULL;
    int rc = CLI_OK;
    for (int i = 2; i < argc && rc == CLI_OK; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(arg, "--skip-time") == 0) {
            o.skip_time = true;
            takes = false;
        } else if (strcmp(arg, "--quiet") == 0) {
            a.quiet = true;
            takes = false;
        } else if (!val) {
            rc = cli_usage("serve", "%s needs a value", arg);
            break;
        } else if (strcmp(arg, "--listen") == 0) {
            free(host);
            host = NULL;
            if (parse_listen(val, &host, &o.port) < 0)
                rc = cli_usage("serve", "--listen takes HOST:PORT, not '%s'", val);
        } else if (strcmp(arg, "--function") == 0) {
            rc = parse_fn_arg(&a, val);
        } else if (strcmp(arg, "--functions") == 0) {
            rc = load_fn_file(&a, val);
        } else if (strcmp(arg, "--auth") == 0) {
            const char **g = realloc(a.auth, (a.auth_count + 1) * sizeof *g);
            if (!g) {
                rc = CLI_DBERR;
                break;
            }
            a.auth = g;
            a.auth[a.auth_count++] = val;
        } else if (strcmp(arg, "--auth-file") == 0) {
            o.auth_file = val;
        } else if (strcmp(arg, "--region") == 0) {
            o.region = val;
        } else if (strcmp(arg, "--account") == 0) {
            o.account = val;
        } else if (strcmp(arg, "--concurrency") == 0 || strcmp(arg, "--idle-timeout") == 0 ||
                   strcmp(arg, "--invocation-timeout") == 0 ||
                   strcmp(arg, "--execution-timeout") == 0 ||
                   strcmp(arg, "--retry-backoff") == 0) {
            char *end;
            long long v = strtoll(val, &end, 10);
            if (*end || v < (strcmp(arg, "--concurrency") == 0 ? 1 : 0)) {
                rc = cli_usage("serve", "%s takes a whole number, not '%s'", arg, val);
                break;
            }
            if (strcmp(arg, "--concurrency") == 0)
                o.concurrency = (int)v;
            else if (strcmp(arg, "--idle-timeout") == 0)
                o.idle_timeout_ms = (int)v;
            else if (strcmp(arg, "--invocation-timeout") == 0)
                o.invocation_timeout_seconds = v;
            else if (strcmp(arg, "--execution-timeout") == 0)
                o.default_execution_timeout_seconds = v;
            else
                o.invocation_retry_backoff_ms = v;
        } else {
            rc = cli_usage("serve", "unknown option '%s'", arg);
        }
        if (takes)
            i++;
    }
    durable_http_server *s = NULL;
    if (rc == CLI_OK) {
        o.host = host;
        o.auth_keys = a.auth;
        o.auth_key_count = a.auth_count;
        if (!a.quiet)
            o.log = log_line;
        if (durable_http_server_new(&s, &o) < 0) {
            fprintf(stderr, "durable: %s\n", durable_error_last()->message);
            rc = CLI_USAGE;
        }
    }
    for (size_t i = 0; rc == CLI_OK && i < a.fn_count; i++) {
        durable_http_function_options fo = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
        fo.env = (const char *const *)a.fns[i].env;
        fo.env_count = a.fns[i].env_count;
        fo.handler = a.fns[i].handler;
        fo.execution_timeout_seconds = a.fns[i].timeout;
        if (durable_http_register_command(s, a.fns[i].name, a.fns[i].command, &fo) < 0) {
            fprintf(stderr, "durable: function %s: %s\n", a.fns[i].name,
                    durable_error_last()->message);
            rc = CLI_USAGE;
        }
    }
    /* Signals are taken by sigwait below: block them before any thread
     * starts so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (rc == CLI_OK) {
        signal(SIGPIPE, SIG_IGN);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (durable_http_server_start(s) < 0) {
            fprintf(stderr, "durable: %s: %s\n", argv[1], durable_error_last()->message);
            rc = CLI_DBERR;
        }
    }
    if (rc == CLI_OK) {
        const char *region = o.region ? o.region : "us-east-1";
        printf("durable serve: %s on %s (%zu function%s, %s)\n", durable_http_server_url(s),
               argv[1], a.fn_count, a.fn_count == 1 ? "" : "s",
               o.skip_time ? "skipping time" : "real time");
        printf("export AWS_ENDPOINT_URL_LAMBDA=%s\n", durable_http_server_url(s));
        printf("export AWS_REGION=%s AWS_DEFAULT_REGION=%s\n", region, region);
        if (a.auth_count) {
            printf("# requests must be signed with a key given to --auth\n");
        } else {
            printf("export AWS_ACCESS_KEY_ID=AKIDLOCALDURABLE\n");
            printf("export AWS_SECRET_ACCESS_KEY=local-durable-secret\n");
        }
        fflush(stdout);
        int sig = 0;
        sigwait(&set, &sig);
        fprintf(stderr, "durable serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        durable_http_server_stop(s);
    }
    durable_http_server_free(s);
    for (size_t i = 0; i < a.fn_count; i++)
        fn_spec_clear(&a.fns[i]);
    free(a.fns);
    free(a.auth);
    free(host);
    return rc;
}
