#!/bin/sh
# make lambda-package: build examples/lambda/function.c as `bootstrap` and
# zip it for the provided.al2023 runtime (x86_64).
#
#   package.sh CC "CFLAGS" "LDFLAGS" OUT_DIR LIBS...
#
# LIBS are the project's own archives (libdurable-aws.a libdurable.a). Every
# Debian library they need is linked from its static archive (.a) where
# Debian ships one; the rest are linked as shared objects and shipped in the
# zip under lib/, found through an RPATH of $ORIGIN/lib (DT_RPATH, so it also
# serves those libraries' own dependencies). The result is checked with ldd:
# every library must resolve, and only glibc's own (libc, libm, libpthread,
# libdl, librt, libresolv, the loader), which provided.al2023 has, may come
# from outside the zip, and no symbol may need a glibc newer than 2.34 (the
# one of Amazon Linux 2023). Output: OUT_DIR/stage/{bootstrap,lib/}, OUT_DIR/function.zip.
set -eu
CC=$1 CFLAGS=$2 LDFLAGS=$3 OUT=$4
shift 4
HERE=$(dirname "$0")
STAGE=$OUT/stage
rm -rf "$STAGE" "$OUT/function.zip"
trap 'rm -f "$STAGE/bootstrap"' EXIT

mkdir -p "$STAGE/lib"

# The libraries in link order; a library linked from its archive brings the
# private libraries its own .pc names (libidn2 needs libunistring).
flags=""
for flag in $(pkg-config --static --libs-only-l libcurl sqlite3 libcjson uuid libcrypto yaml-0.1); do
    flags="$flags $flag"
    name=${flag#-l}
    for pc in "lib$name" "$name"; do
        if pkg-config --exists "$pc" 2>/dev/null; then
            flags="$flags $(pkg-config --static --libs-only-l "$pc")"
            break
        fi
    done
done

# Static where an archive exists, shared otherwise (order kept: archives need it).
link=""
for flag in $flags; do
    name=${flag#-l}
    case $name in pthread|m|dl|rt|c) link="$link $flag"; continue ;; esac
    archive=$($CC -print-file-name="lib$name.a")
    if [ -f "$archive" ]; then
        link="$link -l:lib$name.a"
    elif [ -f "$($CC -print-file-name="lib$name.so")" ]; then
        link="$link $flag"
    else
        # Only the runtime package is installed (no lib$name.so link): its soname.
        so=$(ldconfig -p | awk -v n="lib$name" \
            'index($1, n ".so.") == 1 || index($1, n "-") == 1 {print $1; exit}')
        [ -n "$so" ] || { echo "lambda-package: no library for $flag" >&2; exit 1; }
        link="$link -l:$so"
    fi
done

# shellcheck disable=SC2086
$CC $CFLAGS -o "$STAGE/bootstrap" "$HERE/function.c" "$@" $LDFLAGS \
    -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/lib' $link -lpthread -lm -ldl

# Ship every shared library ldd resolves outside glibc.
glibc='^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libresolv)\.so'
ldd "$STAGE/bootstrap" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r soname path; do
    if echo "$soname" | grep -Eq "$glibc"; then continue; fi
    cp -L "$path" "$STAGE/lib/$soname"
done

# The proof: nothing missing, nothing from outside the zip but glibc.
report=$(env -u LD_LIBRARY_PATH ldd "$STAGE/bootstrap")
if echo "$report" | grep -q "not found"; then
    echo "lambda-package: missing libraries:" >&2
    echo "$report" | grep "not found" >&2
    exit 1
fi
outside=$(echo "$report" | awk '$2 == "=>" {print $1, $3}' | grep -Ev "$glibc" | grep -v " $(cd "$STAGE" && pwd)/lib/" || true)
if [ -n "$outside" ]; then
    echo "lambda-package: libraries from outside the zip:" >&2
    echo "$outside" >&2
    exit 1
fi
newest=$(for f in "$STAGE/bootstrap" "$STAGE"/lib/*; do objdump -T "$f"; done |
    grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1)
case $newest:$CFLAGS in
GLIBC_2.[0-9]:* | GLIBC_2.[12][0-9]:* | GLIBC_2.3[0-4]:*) ;;
*-fsanitize*) ;; # a sanitizer build (make asan) is for the tests, never deployed
*) echo "lambda-package: needs $newest, provided.al2023 has glibc 2.34" >&2; exit 1 ;;
esac
echo "lambda-package: newest glibc symbol needed: $newest (provided.al2023: 2.34)"
echo "lambda-package: ldd $STAGE/bootstrap"
echo "$report" | sed 's/^/  /'

# The zip: bootstrap executable at the root, the libraries under lib/.
python3 - "$STAGE" "$OUT/function.zip" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk(stage):
        for f in sorted(files):
            path = os.path.join(root, f)
            info = zipfile.ZipInfo(os.path.relpath(path, stage))
            info.external_attr = (os.stat(path).st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as fh:
                z.writestr(info, fh.read())
PY
touch "$STAGE/bootstrap" # make's target: complete only now
trap - EXIT
echo "lambda-package: $OUT/function.zip ($(wc -c < "$OUT/function.zip") bytes)"
