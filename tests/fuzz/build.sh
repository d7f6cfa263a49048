#!/bin/sh
# build.sh [BUILDDIR]: build the libFuzzer targets of tests/fuzz with
# clang, ASan and UBSan, into BUILDDIR (default /tmp/baltic-fuzz).
#
# Not through automake: its compile uses the configured compiler and
# -Werror flags.  The sources under test are compiled here directly,
# once, into objects shared by the targets.  Prints the targets built.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp/baltic-fuzz}
CC=${FUZZ_CC:-clang}
SAN=${FUZZ_SANITIZE:--fsanitize=fuzzer,address,undefined}
CFLAGS="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -D_GNU_SOURCE= -I$srcdir/libbaltic -I$srcdir/toolstack -I$srcdir/tests/fuzz"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi
mkdir -p "$out/obj"

# The code under test: compiled without -fsanitize=fuzzer's main but
# with its coverage instrumentation.
LIBSAN=$(echo "$SAN" | sed 's/fuzzer,/fuzzer-no-link,/; s/=fuzzer$/=fuzzer-no-link/')
farm_srcs="farm-lex farm-mem farm-parse farm-parse-decl farm-parse-expr farm-check
    farm-resolve farm-wire farm-diag farm-value farm-tree"
proto_srcs="proto proto-buf chan chan-fd log"
for f in $farm_srcs; do
	$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/farm/$f.c" -o "$out/obj/$f.o"
done
for f in $proto_srcs; do
	$CC $CFLAGS $LIBSAN -c "$srcdir/libbaltic/$f.c" -o "$out/obj/$f.o"
done
farm_objs=$(for f in $farm_srcs; do printf '%s ' "$out/obj/$f.o"; done)
proto_objs=$(for f in $proto_srcs; do printf '%s ' "$out/obj/$f.o"; done)

target() {
	name=$1
	shift
	$CC $CFLAGS $SAN "$srcdir/tests/fuzz/fuzz-$name.c" "$@" \
	    -o "$out/fuzz-$name"
	echo "$out/fuzz-$name"
}

target farm $farm_objs
target farm-expr $farm_objs
target http $farm_objs
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/daemon/edge/http-req.c" -o "$out/obj/http-req.o"
target http-req "$out/obj/http-req.o"
target wire $proto_objs -levent
target chan $proto_objs -levent
# keep-proto.c needs only proto.c of libbaltic (the le32 and name codecs).
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/keep/keep-proto.c" -o "$out/obj/keep-proto.o"
target keep "$out/obj/keep-proto.o" "$out/obj/proto.o"
# The control requests: control-req.c and util.c's JSON getters, yajl.
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/daemon/control-req.c" -o "$out/obj/control-req.o"
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/util/util.c" -o "$out/obj/util.o"
target ctl "$out/obj/control-req.o" "$out/obj/util.o" -lyajl
# The etcd client's JSON (toolstack/cluster/etcd-json.c), yajl.
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/cluster/etcd-json.c" -o "$out/obj/etcd-json.o"
target etcd "$out/obj/etcd-json.o" -lyajl
# The cluster's records (toolstack/cluster/record.c): util.c, log.c, yajl.
$CC $CFLAGS $LIBSAN -c "$srcdir/toolstack/cluster/record.c" -o "$out/obj/record.o"
$CC $CFLAGS $LIBSAN -c "$srcdir/libbaltic/log.c" -o "$out/obj/log.o"
target record "$out/obj/record.o" "$out/obj/util.o" "$out/obj/log.o" -lyajl
