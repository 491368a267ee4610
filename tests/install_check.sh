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
