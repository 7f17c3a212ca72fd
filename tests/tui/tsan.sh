#!/bin/sh
# tsan.sh - ThreadSanitizer on the workbench's UI/worker handoff.
#
# Builds whittle and the worker test (tests/unit/test-tui-worker.c) with
# -fsanitize=thread into a scratch directory, runs the worker test and
# then the tmux test (tests/tui/workbench.sh) against the instrumented
# binary, and fails when ThreadSanitizer reports anything.  Not part of
# 'make check' (it compiles everything again); run it with
# 'make check-tsan' or as
#   srcdir=. top_builddir=. TMUX_BIN=tmux sh tests/tui/tsan.sh
: "${srcdir:=.}"
: "${top_builddir:=.}"
srcdir=$(cd "$srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
: "${CC:=cc}"
: "${PKG_CONFIG:=pkg-config}"
OUT=${TSAN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/whittle-tsan.XXXXXX")}
mkdir -p "$OUT/obj" "$OUT/log"

# oneDNN has no pkg-config file: -ldnnl -lgomp below
pkgs="openblas lapacke libcjson libprotobuf-c zlib ncursesw"
CFLAGS="-std=c11 -g -O1 -fsanitize=thread -pthread -D_GNU_SOURCE \
 -I$srcdir/include -I$top_builddir/src/core -I$srcdir/src/core \
 -DWH_DATADIR=\"/usr/share/datasets\" -DWH_PKGDATADIR=\"/usr/local/share/whittle\" \
 -DWH_VERSION=\"tsan\" $($PKG_CONFIG --cflags $pkgs 2>/dev/null)"
LIBS="$($PKG_CONFIG --libs $pkgs 2>/dev/null || echo -lopenblas -llapacke -lcjson -lprotobuf-c -lz -lncursesw) -ldnnl -lgomp -lm"

echo "# building with ThreadSanitizer in $OUT"
core=""
for f in "$srcdir"/src/core/*.c "$top_builddir"/src/core/onnx.pb-c.c; do
	case $f in
	*/onnx.pb-c.c) [ "$f" = "$srcdir/src/core/onnx.pb-c.c" ] &&
	    [ "$srcdir" != "$top_builddir" ] && continue ;;
	esac
	[ -f "$f" ] || continue
	o="$OUT/obj/core-$(basename "$f" .c).o"
	case " $core " in *" $o "*) continue ;; esac
	$CC $CFLAGS -c "$f" -o "$o" || exit 99
	core="$core $o"
done
app=""
for f in "$srcdir"/src/cli/*.c "$srcdir"/src/tui/*.c; do
	o="$OUT/obj/$(basename "$(dirname "$f")")-$(basename "$f" .c).o"
	$CC $CFLAGS -c "$f" -o "$o" || exit 99
	app="$app $o"
done
$CC -fsanitize=thread -o "$OUT/whittle" $app $core $LIBS || exit 99
$CC $CFLAGS -I"$srcdir/tests/unit" -o "$OUT/test-tui-worker" \
    "$srcdir/tests/unit/test-tui-worker.c" "$OUT/obj/tui-worker.o" \
    "$OUT/obj/tui-calc.o" $core $LIBS || exit 99

# the instrumented binary lives outside the tree: show it the models
WHITTLE_SHARE_DIR=$srcdir/share
export WHITTLE_SHARE_DIR
# OpenBLAS is not instrumented; keep its own threads out of the picture
OPENBLAS_NUM_THREADS=1
TSAN_OPTIONS="halt_on_error=0 exitcode=0 log_path=$OUT/log/tsan second_deadlock_stack=1"
export OPENBLAS_NUM_THREADS TSAN_OPTIONS

st=0
echo "# the worker test"
srcdir=$srcdir "$OUT/test-tui-worker" || st=1
echo "# the tmux test"
WHITTLE="$OUT/whittle" srcdir=$srcdir TMUX_BIN=${TMUX_BIN:-tmux} \
    sh "$srcdir/tests/tui/workbench.sh" || st=1

reports=$(cat "$OUT"/log/tsan* 2>/dev/null | grep -c "WARNING: ThreadSanitizer")
if [ "$reports" -ne 0 ]; then
	echo "# ThreadSanitizer: $reports reports, in $OUT/log:"
	cat "$OUT"/log/tsan* | sed 's/^/# /' | head -200
	st=1
else
	echo "# ThreadSanitizer: no reports"
fi
[ -z "$TSAN_DIR" ] && [ $st -eq 0 ] && rm -rf "$OUT"
exit $st
