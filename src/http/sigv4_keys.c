/* The SigV4 key table (key id -> secret) and its loaders: `--auth
 * KEY_ID:SECRET` and credentials files. Messages name key ids, files and
 * line numbers, never a secret or the text of a line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http/sigv4.h"
#include "model/internal.h"

/* A credentials file larger than this is refused rather than read. */
#define KEYS_FILE_MAX (1u << 20)

typedef struct key_pair {
    char *id;
    char *secret;
} key_pair;

struct durable__sigv4_keys {
    key_pair *pairs;
    size_t n, cap;
};

int durable__sigv4_keys_new(durable__sigv4_keys **out)
{
    *out = durable__calloc(1, sizeof **out);
    return *out ? 0 : durable__error_oom();
}

static void wipe_free(char *s)
{
    if (!s) return;
    OPENSSL_cleanse(s, strlen(s));
    durable__free(s);
}

void durable__sigv4_keys_free(durable__sigv4_keys *keys)
{
    if (!keys) return;
    for (size_t i = 0; i < keys->n; i++) {
        durable__free(keys->pairs[i].id);
        wipe_free(keys->pairs[i].secret);
    }
    durable__free(keys->pairs);
    durable__free(keys);
}

size_t durable__sigv4_keys_count(const durable__sigv4_keys *keys) { return keys ? keys->n : 0; }

const char *durable__sigv4_keys_find(const durable__sigv4_keys *keys, const char *key_id)
{
    if (!keys || !key_id) return NULL;
    for (size_t i = 0; i < keys->n; i++)
        if (strcmp(keys->pairs[i].id, key_id) == 0) return keys->pairs[i].secret;
    return NULL;
}

/* Checks a pair given as lengths (the file loader's pieces are not
 * terminated). The message never shows the secret. */
static int check_pair(const char *id, size_t id_len, const char *secret, size_t secret_len)
{
    if (id_len == 0) return durable__error_set(DURABLE_EINVAL, "auth key: the key id is empty");
    if (id_len > DURABLE__SIGV4_MAX_KEY_ID)
        return durable__error_set(DURABLE_EINVAL, "auth key: a key id is longer than %d characters",
                                  DURABLE__SIGV4_MAX_KEY_ID);
    for (size_t i = 0; i < id_len; i++)
        if (!durable__sigv4_key_id_char(id[i]))
            return durable__error_set(DURABLE_EINVAL,
                                      "auth key: a key id may not hold blanks, control characters, '/', ',', ':' "
                                      "or '='");
    if (secret_len == 0)
        return durable__error_set(DURABLE_EINVAL, "auth key: the secret of key %.*s is empty", (int)id_len, id);
    if (secret_len > DURABLE__SIGV4_MAX_SECRET)
        return durable__error_set(DURABLE_EINVAL, "auth key: the secret of key %.*s is longer than %d characters",
                                  (int)id_len, id, DURABLE__SIGV4_MAX_SECRET);
    for (size_t i = 0; i < secret_len; i++)
        if (secret[i] <= 0x20 || secret[i] >= 0x7f)
            return durable__error_set(DURABLE_EINVAL,
                                      "auth key: the secret of key %.*s holds a blank or a non-printable character",
                                      (int)id_len, id);
    return 0;
}

static int add_n(durable__sigv4_keys *keys, const char *id, size_t id_len, const char *secret, size_t secret_len)
{
    int rc = check_pair(id, id_len, secret, secret_len);
    if (rc != 0) return rc;
    for (size_t i = 0; i < keys->n; i++) {
        key_pair *k = &keys->pairs[i];
        if (strlen(k->id) != id_len || memcmp(k->id, id, id_len) != 0) continue;
        if (strlen(k->secret) == secret_len && CRYPTO_memcmp(k->secret, secret, secret_len) == 0) return 0;
        return durable__error_set(DURABLE_EEXISTS, "auth key: key %s is given twice with different secrets", k->id);
    }
    if (keys->n == keys->cap) {
        size_t cap = keys->cap ? keys->cap * 2 : 4;
        key_pair *p = durable__realloc(keys->pairs, cap * sizeof *p);
        if (!p) return durable__error_oom();
        keys->pairs = p;
        keys->cap = cap;
    }
    char *id_copy = durable__strndup(id, id_len);
    char *secret_copy = durable__strndup(secret, secret_len);
    if (!id_copy || !secret_copy) {
        durable__free(id_copy);
        wipe_free(secret_copy);
        return durable__error_oom();
    }
    keys->pairs[keys->n++] = (key_pair){id_copy, secret_copy};
    return 0;
}

int durable__sigv4_keys_add(durable__sigv4_keys *keys, const char *key_id, const char *secret)
{
    if (!keys || !key_id || !secret) return durable__error_set(DURABLE_EINVAL, "auth key: missing key id or secret");
    return add_n(keys, key_id, strlen(key_id), secret, strlen(secret));
}

int durable__sigv4_keys_add_spec(durable__sigv4_keys *keys, const char *spec)
{
    if (!keys || !spec) return durable__error_set(DURABLE_EINVAL, "auth key: missing KEY_ID:SECRET");
    const char *colon = strchr(spec, ':');
    if (!colon) return durable__error_set(DURABLE_EINVAL, "auth key: expected KEY_ID:SECRET (no ':' found)");
    return add_n(keys, spec, (size_t)(colon - spec), colon + 1, strlen(colon + 1));
}

/* ---- credentials files ------------------------------------------------ */

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Trim [*s, *e) in place. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && blank(**s))
        (*s)++;
    while (*e > *s && blank((*e)[-1]))
        (*e)--;
}

/* The INI pair being collected in the current section, and how many pairs
 * the file gave so far. */
typedef struct ini_state {
    const char *id, *secret;
    size_t id_len, secret_len;
    size_t id_line, secret_line;
    size_t found;
} ini_state;

/* Add a pair read from line_no, saying where it came from on failure. */
static int file_add(durable__sigv4_keys *keys, ini_state *st, const char *path, size_t line_no, const char *id,
                    size_t id_len, const char *secret, size_t secret_len)
{
    int rc = add_n(keys, id, id_len, secret, secret_len);
    if (rc == 0)
        st->found++;
    else if (rc != DURABLE_ENOMEM)
        durable__error_prefix("%s:%zu", path, line_no);
    return rc;
}

/* End of a section (or of the file): add its pair, or say which half is
 * missing. */
static int ini_flush(durable__sigv4_keys *keys, ini_state *st, const char *path)
{
    int rc = 0;
    if (st->id && st->secret)
        rc = file_add(keys, st, path, st->id_line, st->id, st->id_len, st->secret, st->secret_len);
    else if (st->id)
        rc = durable__error_set(DURABLE_EINVAL, "%s:%zu: aws_access_key_id has no aws_secret_access_key in its section",
                                path, st->id_line);
    else if (st->secret)
        rc = durable__error_set(DURABLE_EINVAL, "%s:%zu: aws_secret_access_key has no aws_access_key_id in its section",
                                path, st->secret_line);
    st->id = st->secret = NULL;
    return rc;
}

/* One line, already trimmed and not a comment. */
static int load_line(durable__sigv4_keys *keys, ini_state *st, const char *path, size_t line_no, const char *s,
                     const char *e)
{
    if (*s == '[') {
        if (e[-1] != ']')
            return durable__error_set(DURABLE_EINVAL, "%s:%zu: a section header must end with ']'", path, line_no);
        return ini_flush(keys, st, path);
    }
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (colon && (!eq || colon < eq)) {
        const char *ke = colon, *vs = colon + 1, *ks = s, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        return file_add(keys, st, path, line_no, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs));
    }
    if (!eq)
        return durable__error_set(DURABLE_EINVAL,
                                  "%s:%zu: expected KEY_ID:SECRET, [profile], or aws_access_key_id / "
                                  "aws_secret_access_key = value",
                                  path, line_no);
    const char *ns = s, *ne = eq, *vs = eq + 1, *ve = e;
    trim(&ns, &ne);
    trim(&vs, &ve);
    size_t nn = (size_t)(ne - ns);
    int is_id = nn == 17 && memcmp(ns, "aws_access_key_id", 17) == 0;
    int is_secret = nn == 21 && memcmp(ns, "aws_secret_access_key", 21) == 0;
    if (!is_id && !is_secret) return 0; /* region, aws_session_token, ... */
    if ((is_id && st->id) || (is_secret && st->secret))
        return durable__error_set(DURABLE_EINVAL, "%s:%zu: %s is given twice in one section", path, line_no,
                                  is_id ? "aws_access_key_id" : "aws_secret_access_key");
    if (is_id) {
        st->id = vs;
        st->id_len = (size_t)(ve - vs);
        st->id_line = line_no;
    } else {
        st->secret = vs;
        st->secret_len = (size_t)(ve - vs);
        st->secret_line = line_no;
    }
    if (st->id && st->secret) return ini_flush(keys, st, path);
    return 0;
}

static int read_all(char **out, size_t *out_len, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return durable__error_set(DURABLE_EIO, "%s: %s", path, strerror(errno));
    char *buf = durable__malloc(KEYS_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return durable__error_oom();
    }
    size_t n = fread(buf, 1, KEYS_FILE_MAX + 1, f);
    int err = ferror(f);
    fclose(f);
    int rc = 0;
    if (err)
        rc = durable__error_set(DURABLE_EIO, "%s: read error", path);
    else if (n > KEYS_FILE_MAX)
        rc = durable__error_set(DURABLE_EINVAL, "%s: a credentials file must be under 1 MiB", path);
    if (rc != 0) {
        OPENSSL_cleanse(buf, n < KEYS_FILE_MAX ? n : KEYS_FILE_MAX);
        durable__free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

int durable__sigv4_keys_load_file(durable__sigv4_keys *keys, const char *path)
{
    if (!keys || !path) return durable__error_set(DURABLE_EINVAL, "auth keys: no file given");
    char *buf = NULL;
    size_t len = 0;
    int rc = read_all(&buf, &len, path);
    if (rc != 0) return rc;
    size_t line_no = 0;
    ini_state st = {0};
    const char *p = buf, *end = buf + len;
    while (rc == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        line_no++;
        if (memchr(s, '\0', (size_t)(e - s))) {
            rc = durable__error_set(DURABLE_EINVAL, "%s:%zu: a NUL byte in a text file", path, line_no);
            break;
        }
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';') continue;
        rc = load_line(keys, &st, path, line_no, s, e);
    }
    if (rc == 0) rc = ini_flush(keys, &st, path);
    if (rc == 0 && st.found == 0)
        rc = durable__error_set(DURABLE_EINVAL, "%s: no key pair found (KEY_ID:SECRET lines or "
                                "aws_access_key_id / aws_secret_access_key)", path);
    OPENSSL_cleanse(buf, len);
    durable__free(buf);
    return rc;
}
