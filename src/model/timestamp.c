/* Timestamps (SPEC §2.1): int64 epoch ms inside; epoch ms integers,
 * epoch-seconds floats or RFC 3339 text on the wire. Calendar maths by
 * hand (Howard Hinnant's civil-day algorithms) so no locale, TZ or libc
 * timegm differences can leak in. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/json_util.h"

/* 9999-12-31T23:59:59.999Z: the last instant RFC 3339 can write. */
#define TS_MAX_MS 253402300799999LL
/* Integers at or above this are milliseconds (1e11 s is the year 5138). */
#define TS_MS_THRESHOLD 1e11

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return (m == 2 && leap) ? 29 : dm[m - 1];
}

/* n decimal digits of v (zero-padded), then sep. */
static void put_digits(char **p, unsigned v, int n, char sep)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        (*p)[i] = (char)('0' + v % 10);
    (*p)[n] = sep;
    *p += n + 1;
}

void durable_ts_format_rfc3339(char *buf, size_t size, int64_t ms)
{
    if (!buf || size == 0)
        return;
    int64_t days = ms / 86400000;
    int64_t rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || size < 25) {
        snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                 (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                 (int)(rem % 1000));
        return;
    }
    /* The same text without snprintf, which cost ~3,500 instructions per
     * timestamp: every stored event and operation carries one or two. */
    char *p = buf;
    put_digits(&p, (unsigned)y, 4, '-');
    put_digits(&p, m, 2, '-');
    put_digits(&p, d, 2, 'T');
    put_digits(&p, (unsigned)(rem / 3600000), 2, ':');
    put_digits(&p, (unsigned)(rem / 60000 % 60), 2, ':');
    put_digits(&p, (unsigned)(rem / 1000 % 60), 2, '.');
    put_digits(&p, (unsigned)(rem % 1000), 3, 'Z');
    *p = '\0';
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static int bad(const char *text)
{
    char shown[48];
    size_t n = 0;
    for (const char *p = text; *p && n < sizeof shown - 1; p++)
        shown[n++] = ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ? *p : '?';
    shown[n] = '\0';
    return durable__error_set(DURABLE_EPARSE, "invalid timestamp \"%s\"", shown);
}

/* Epoch seconds as text: digits with an optional fraction. */
static int parse_epoch_text(int64_t *out, const char *text)
{
    const char *p = text;
    double secs = 0;
    size_t nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 16) {
        secs = secs * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0)
        return bad(text);
    if (*p == '.') {
        p++;
        double scale = 0.1;
        size_t nf = 0;
        while (*p >= '0' && *p <= '9' && nf < 9) {
            secs += (*p++ - '0') * scale;
            scale /= 10;
            nf++;
        }
        if (nf == 0)
            return bad(text);
    }
    if (*p)
        return bad(text);
    double ms = round(secs * 1000.0);
    if (ms > (double)TS_MAX_MS)
        return bad(text);
    *out = (int64_t)ms;
    return 0;
}

int durable_ts_parse(int64_t *out, const char *text)
{
    if (!text)
        return durable__error_set(DURABLE_EPARSE, "invalid timestamp: no text");
    const char *p = text;
    unsigned y, mo, d, h = 0, mi = 0, s = 0, frac_ms = 0;
    if (strlen(text) < 10 || text[4] != '-')
        return parse_epoch_text(out, text);
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return bad(text);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return bad(text);
    int64_t offset_min = 0;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return bad(text);
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return bad(text);
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &s))
                return bad(text);
        }
        if (h > 23 || mi > 59 || s > 60)
            return bad(text);
        if (s == 60) /* leap second: clamp, epoch time has none */
            s = 59;
        if (*p == '.' || *p == ',') {
            p++;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                if (n < 3)
                    frac_ms = frac_ms * 10 + (unsigned)(*p - '0');
                n++;
                p++;
            }
            if (n == 0)
                return bad(text);
            for (; n < 3; n++)
                frac_ms *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            unsigned oh, om = 0;
            if (!digits(&p, 2, &oh))
                return bad(text);
            if (*p == ':')
                p++;
            if (*p && !digits(&p, 2, &om))
                return bad(text);
            if (oh > 23 || om > 59)
                return bad(text);
            offset_min = sign * (int64_t)(oh * 60 + om);
        }
        /* No offset: read as UTC, the only zone the engine uses. */
        if (*p)
            return bad(text);
    }
    int64_t ms = days_from_civil(y, mo, d) * 86400000 + (int64_t)h * 3600000 +
                 (int64_t)mi * 60000 + (int64_t)s * 1000 + frac_ms - offset_min * 60000;
    if (ms < 0 || ms > TS_MAX_MS)
        return bad(text);
    *out = ms;
    return 0;
}

int durable_ts_from_json(int64_t *out, const cJSON *json)
{
    if (json && cJSON_IsString(json) && json->valuestring)
        return durable_ts_parse(out, json->valuestring);
    if (!json || !cJSON_IsNumber(json))
        return durable__error_set(DURABLE_EPARSE, "invalid timestamp: expected a number or text");
    double v = json->valuedouble;
    if (!isfinite(v) || v < 0)
        return durable__error_set(DURABLE_EPARSE, "invalid timestamp: %g", v);
    double ms = (v != floor(v) || v < TS_MS_THRESHOLD) ? round(v * 1000.0) : v;
    if (ms > (double)TS_MAX_MS)
        return durable__error_set(DURABLE_EPARSE, "invalid timestamp: %g is past year 9999", v);
    *out = (int64_t)ms;
    return 0;
}

cJSON *durable_ts_to_json(int64_t ms, durable_ts_format fmt)
{
    char buf[40];
    switch (fmt) {
    case DURABLE_TS_EPOCH_SECONDS:
        return cJSON_CreateNumber((double)ms / 1000.0);
    case DURABLE_TS_RFC3339:
        durable_ts_format_rfc3339(buf, sizeof buf, ms);
        return cJSON_CreateString(buf);
    case DURABLE_TS_EPOCH_MS:
    default:
        return cJSON_CreateNumber((double)ms);
    }
}
