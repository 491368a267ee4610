#!/bin/sh
# The install check (issue 17): `make install` into a temporary prefix, then
# the README's quick start built with nothing but
#     cc quick.c $(pkg-config --cflags --libs libdurable)
# (PKG_CONFIG_PATH pointing at the prefix), and run against the installed
# shared library. It fails if libdurable.pc misses a library the public
# headers expose (cJSON) or the installed files are not enough to build.
#
# usage: install_check.sh MAKE BUILD CC
set -u
MAKE_CMD=$1 BUILD=$2 CC=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/durable-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install check: FAILED: $*" >&2; exit 1; }

$MAKE_CMD --no-print-directory BUILD="$BUILD" PREFIX="$tmp/prefix" install >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "make install PREFIX=$tmp/prefix"; }
[ -f "$tmp/prefix/lib/pkgconfig/libdurable.pc" ] || fail "no libdurable.pc installed"
grep -q "^prefix=$tmp/prefix\$" "$tmp/prefix/lib/pkgconfig/libdurable.pc" \
  || fail "libdurable.pc does not name the prefix it was installed under"

# The C block of README.md's "## Quick start" section, as it is.
awk '/^## Quick start/{q=1} q&&/^```c/{c=1;next} c&&/^```/{exit} c{print}' README.md >"$tmp/quick.c"
[ -s "$tmp/quick.c" ] || fail "no C block under '## Quick start' in README.md"

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libdurable) || fail "pkg-config --cflags --libs libdurable"
# shellcheck disable=SC2086
$CC -std=c11 -o "$tmp/quick" "$tmp/quick.c" $flags 2>"$tmp/cc.log" \
  || { cat "$tmp/cc.log" >&2; fail "$CC quick.c $flags"; }
LD_LIBRARY_PATH="$tmp/prefix/lib" ldd "$tmp/quick" | grep -q "$tmp/prefix/lib/libdurable.so" \
  || fail "the quick start did not link the installed libdurable.so"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/quick" >"$tmp/run.log" 2>&1 \
  || { cat "$tmp/run.log" >&2; fail "the quick start exited non-zero"; }
grep -q "greet .*SUCCEEDED" "$tmp/run.log" || { cat "$tmp/run.log" >&2; fail "no succeeded greet step"; }
echo "install check: README quick start built with pkg-config libdurable alone and ran ($flags)"

# The upper layers: a Lambda function (libdurable-aws) and an embedded front
# (libdurable-http), each built with its own pkg-config file alone.
cat >"$tmp/layers.c" <<'CEOF'
#include <stdio.h>
#include <string.h>
#include "durable/http.h"
#include "durable/lambda.h"
static int h(durable_ctx *ctx, const cJSON *in, cJSON **out, void *u)
{
    (void)ctx; (void)u;
    *out = cJSON_Duplicate(in, 1);
    return 0;
}
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "lambda") == 0) { /* no Runtime API here: an init error */
        durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
        return durable_lambda_run(h, NULL, &o) == DURABLE_EINVAL ? 0 : 1;
    }
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    durable_http_server *s = NULL;
    o.db_path = ":memory:";
    o.port = 0;
    int rc = durable_http_server_new(&s, &o) || durable_http_register_handler(s, "Echo", h, NULL, NULL) ||
             durable_http_server_start(s);
    printf("serving on %s\n", durable_http_server_url(s));
    durable_http_server_free(s);
    return rc;
}
CEOF
flags=$(pkg-config --cflags --libs libdurable-http libdurable-aws) \
  || fail "pkg-config --cflags --libs libdurable-http libdurable-aws"
# shellcheck disable=SC2086
$CC -std=c11 -o "$tmp/layers" "$tmp/layers.c" $flags 2>"$tmp/cc2.log" \
  || { cat "$tmp/cc2.log" >&2; fail "$CC layers.c $flags"; }
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/layers" >"$tmp/run2.log" 2>&1 \
  || { cat "$tmp/run2.log" >&2; fail "the embedded front did not start"; }
grep -q "serving on http://127.0.0.1:" "$tmp/run2.log" || fail "no URL from the embedded front"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/layers" lambda >"$tmp/run3.log" 2>&1 \
  || { cat "$tmp/run3.log" >&2; fail "durable_lambda_run without a Runtime API"; }
echo "install check: libdurable-http and libdurable-aws built with their pkg-config files alone ($flags)"
