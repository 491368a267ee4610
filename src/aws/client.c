/* The HTTP client handle: settings resolved from options and the standard
 * AWS environment (HTTP_API.md §1.2, §2.2), the libcurl share handle, and
 * the client as the SDK's seam. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/aws_internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int durable__aws_curl_init(void)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return durable__aws_error_local(DURABLE_EIO, "libcurl initialisation failed: %s",
                                        curl_easy_strerror(curl_init_rc));
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *pick(const char *opt, const char *env_name)
{
    return opt && *opt ? opt : env_name ? env(env_name) : NULL;
}

/* Locks for the data the pooled handles share (DNS, TLS sessions). The
 * connection cache stays per handle: the pool hands the most recently used
 * handle to the next call, so sequential calls reuse one connection. */
static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h;
    (void)access;
    pthread_mutex_lock(&((durable_aws_client *)user)->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    pthread_mutex_unlock(&((durable_aws_client *)user)->share_mu[data]);
}

/* Split the endpoint into what the request line and the signature need:
 * scheme://host[:port] plus an optional base path. */
static int parse_endpoint(durable_aws_client *c, const char *endpoint)
{
    CURLU *u = curl_url();
    if (!u)
        return durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = 0;
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        rc = durable__aws_error_local(DURABLE_EINVAL,
                                      "Lambda endpoint \"%s\" is not an http(s) URL", endpoint);
        goto done;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when written in the URL */
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    size_t plen = path ? strlen(path) : 0;
    while (plen && path[plen - 1] == '/')
        plen--;
    c->base_path = durable__strndup(path ? path : "", plen);
    c->host = port ? durable__sprintf("%s:%s", host, port) : durable__strdup(host);
    c->endpoint = c->host && c->base_path
                      ? durable__sprintf("%s://%s%s", scheme, c->host, c->base_path)
                      : NULL;
    if (!c->endpoint)
        rc = durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

static int resolve(durable_aws_client *c, const durable_aws_options *o)
{
    const char *region = pick(o->region, "AWS_REGION");
    if (!region)
        region = env("AWS_DEFAULT_REGION");
    if (!region)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) "
                                        "or the region option");
    const char *key, *secret, *token;
    if (o->access_key_id && *o->access_key_id) {
        key = o->access_key_id;
        secret = o->secret_access_key;
        token = o->session_token;
    } else {
        key = env("AWS_ACCESS_KEY_ID");
        secret = pick(o->secret_access_key, "AWS_SECRET_ACCESS_KEY");
        token = pick(o->session_token, "AWS_SESSION_TOKEN");
    }
    if (!key || !secret || !*secret)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                                        "AWS_SECRET_ACCESS_KEY or the key options");
    const char *endpoint = o->endpoint && *o->endpoint ? o->endpoint : NULL;
    const char *ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!endpoint && !(ignore && !strcasecmp(ignore, "true"))) {
        endpoint = env("AWS_ENDPOINT_URL_LAMBDA");
        if (!endpoint)
            endpoint = env("AWS_ENDPOINT_URL");
    }
    char *made = endpoint ? NULL : durable__sprintf("https://lambda.%s.amazonaws.com", region);
    if (!endpoint && !made)
        return durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
    int rc = parse_endpoint(c, endpoint ? endpoint : made);
    durable_free(made);
    if (rc)
        return rc;
    c->region = durable__strdup(region);
    c->access_key_id = durable__strdup(key);
    c->secret_access_key = durable__strdup(secret);
    c->session_token = token && *token ? durable__strdup(token) : NULL;
    c->user_agent = o->user_agent && *o->user_agent
                        ? durable__strdup(o->user_agent)
                        : durable__strdup("libdurable/" DURABLE_VERSION_STRING);
    if (!c->region || !c->access_key_id || !c->secret_access_key || !c->user_agent ||
        (token && *token && !c->session_token))
        return durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
    c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    c->request_timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 50000;
    c->max_attempts = o->max_attempts > 0 ? o->max_attempts : 3;
    c->backoff_initial_ms = o->backoff_initial_ms > 0 ? o->backoff_initial_ms : 100;
    c->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 5000;
    if (c->backoff_max_ms < c->backoff_initial_ms)
        c->backoff_max_ms = c->backoff_initial_ms;
    return 0;
}

/* ---- the seam --------------------------------------------------------------------- */

static int seam_checkpoint(void *user, durable_checkpoint_response *out,
                           const durable_checkpoint_request *req)
{
    return durable_aws_checkpoint(user, out, req);
}

static int seam_state(void *user, durable_state_response *out, const durable_state_request *req)
{
    return durable_aws_get_state(user, out, req);
}

static int seam_success(void *user, const char *id, const char *result, size_t len)
{
    return durable_aws_callback_success(user, id, result, len);
}

static int seam_failure(void *user, const char *id, const durable_error_object *error)
{
    return durable_aws_callback_failure(user, id, error);
}

static int seam_heartbeat(void *user, const char *id)
{
    return durable_aws_callback_heartbeat(user, id);
}

/* No destroy: the seam is part of the client and freed with it. */
static const durable_client_vtable seam_vtable = {seam_checkpoint, seam_state, seam_success,
                                                  seam_failure, seam_heartbeat, NULL};

/* ---- lifecycle ---------------------------------------------------------------------- */

int durable_aws_client_new(durable_aws_client **out, const durable_aws_options *opts)
{
    if (!out)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_client_new: out is NULL");
    *out = NULL;
    int rc = durable__aws_curl_init();
    if (rc != 0)
        return rc;
    durable_aws_options defaults = DURABLE_AWS_OPTIONS_INIT;
    durable_aws_client *c = durable__calloc(1, sizeof *c);
    if (!c)
        return durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    atomic_init(&c->deadline_ms, 0);
    c->seam.vtable = &seam_vtable;
    c->seam.user = c;
    rc = resolve(c, opts ? opts : &defaults);
    if (rc == 0 && !(c->share = curl_share_init()))
        rc = durable__aws_error_local(DURABLE_ENOMEM, "out of memory");
    if (rc == 0) {
        curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    if (rc != 0) {
        durable_aws_client_free(c);
        return rc;
    }
    durable__aws_error_reset();
    *out = c;
    return 0;
}

void durable_aws_client_free(durable_aws_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->pool_count; i++)
        curl_easy_cleanup(c->pool[i]);
    durable_free(c->pool);
    if (c->share)
        curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
    pthread_mutex_destroy(&c->pool_mu);
    durable_free(c->region);
    durable_free(c->endpoint);
    durable_free(c->host);
    durable_free(c->base_path);
    durable_free(c->access_key_id);
    if (c->secret_access_key)
        memset(c->secret_access_key, 0, strlen(c->secret_access_key));
    durable_free(c->secret_access_key);
    durable_free(c->session_token);
    durable_free(c->user_agent);
    durable_free(c);
}

durable_client *durable_aws_client_durable(durable_aws_client *c)
{
    return c ? &c->seam : NULL;
}

const char *durable_aws_client_endpoint(const durable_aws_client *c)
{
    return c ? c->endpoint : NULL;
}

const char *durable_aws_client_region(const durable_aws_client *c)
{
    return c ? c->region : NULL;
}

void durable_aws_client_set_deadline(durable_aws_client *c, int64_t deadline_ms)
{
    if (c)
        atomic_store(&c->deadline_ms, deadline_ms > 0 ? deadline_ms : 0);
}
