#!/bin/sh
# fuzz.sh - builds the libFuzzer harnesses and runs each for a while
#
# Run by 'make fuzz' (FUZZ_SECONDS=N, default 60, 0 to build only;
# FUZZ_RUNS=N for N inputs per harness instead of a time, the same
# amount of fuzzing on a slow machine as on a fast one;
# FUZZ_HARNESSES="onnx plan" for some of them; FUZZ_FLAGS for more
# libFuzzer options).  libwhittle's sources are compiled again with
# clang, ASan, UBSan and libFuzzer's coverage into tests/fuzz/build, so
# the normal build is untouched; an object is rebuilt when its source or
# any header is newer.  Each harness runs on its corpus,
# tests/fuzz/corpus/HARNESS (kept between runs and grown by them), the
# seeds from mkseeds and the regression corpus
# tests/fuzz/regress/HARNESS.  The first crash, leak, sanitizer report,
# timeout or out-of-memory stops the run and names the reproducer, which
# libFuzzer writes to tests/fuzz/crashes/HARNESS/.
#
# From make: CLANG, srcdir, top_builddir, FUZZ_SOURCES (libwhittle's
# sources), FUZZ_CFLAGS (the dependencies' flags), FUZZ_LIBS.
: "${srcdir:=.}"
: "${top_builddir:=.}"
: "${FUZZ_SECONDS:=60}"
: "${FUZZ_RUNS:=}"
: "${FUZZ_HARNESSES:=plan idx npy image onnx}"
: "${CLANG:=clang}"
srcdir=$(cd "$srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
fz=$top_builddir/tests/fuzz
B=$fz/build

say() {
	echo "make fuzz: $*"
}

case $FUZZ_RUNS in
*[!0-9]*)
	say "FUZZ_RUNS is '$FUZZ_RUNS', expected a whole number of inputs"
	exit 2 ;;
esac
case $FUZZ_SECONDS in
''|*[!0-9]*)
	say "FUZZ_SECONDS is '$FUZZ_SECONDS', expected a whole number of seconds"
	exit 2 ;;
esac
if [ "$CLANG" = no ] || ! command -v "$CLANG" >/dev/null 2>&1; then
	say "clang was not found when configure ran; install Debian's clang" \
	    "and libclang-rt-dev (libFuzzer), then run ./configure again"
	exit 2
fi
mkdir -p "$B/obj" "$B/log" || exit 2
# libFuzzer ships apart from clang on Debian: try it on an empty harness
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$B/probe.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined -o "$B/probe" \
    "$B/probe.c" >"$B/log/probe.log" 2>&1; then
	say "$CLANG cannot link libFuzzer with ASan and UBSan" \
	    "(-fsanitize=fuzzer,address,undefined); install Debian's" \
	    "libclang-rt-dev (libclang-rt-14-dev for clang 14):"
	sed 's/^/  /' "$B/log/probe.log" | head -n 5
	exit 2
fi

SAN="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
 -fno-sanitize-recover=undefined"
CPPFLAGS="-I$srcdir/include -I$top_builddir/src/core -I$srcdir/src/core \
 -I$srcdir/tests/fuzz -D_GNU_SOURCE -DWH_DATADIR=\"/usr/share/datasets\" \
 -DWH_PKGDATADIR=\"$srcdir/share\" -DWH_VERSION=\"fuzz\""
CFLAGS="$SAN $FUZZ_CFLAGS"
LIBS=""
for w in $FUZZ_LIBS; do
	[ "$w" = libwhittle.a ] || LIBS="$LIBS $w"
done

# compiles $1 into $2 with flags $3 unless $2 is newer than it and every header
compile() {
	if [ -f "$2" ] && [ ! "$1" -nt "$2" ]; then
		stale=0
		for hdr in "$srcdir"/include/whittle/*.h "$srcdir"/src/core/*.h \
		    "$top_builddir"/src/core/onnx.pb-c.h "$srcdir"/tests/fuzz/*.h; do
			[ -f "$hdr" ] && [ "$hdr" -nt "$2" ] && stale=1 && break
		done
		[ $stale -eq 0 ] && return 0
	fi
	# shellcheck disable=SC2086
	"$CLANG" $CPPFLAGS $CFLAGS $3 -c "$1" -o "$2"
}

say "building the harnesses with $CLANG, ASan and UBSan in $B"
core=""
for s in $FUZZ_SOURCES; do
	case $s in *.c) ;; *) continue ;; esac
	f=$srcdir/$s
	[ -f "$f" ] || f=$top_builddir/$s
	o=$B/obj/$(echo "$s" | tr '/' '-' | sed 's/\.c$/.o/')
	compile "$f" "$o" -fsanitize=fuzzer-no-link || exit 1
	core="$core $o"
done
# mkseeds, sanitized too but without the fuzzer
compile "$srcdir/tests/fuzz/mkseeds.c" "$B/obj/mkseeds.o" "" || exit 1
# shellcheck disable=SC2086
"$CLANG" $SAN -o "$B/mkseeds" "$B/obj/mkseeds.o" \
    "$B/obj/src-core-onnx.pb-c.o" $LIBS || exit 1
for h in $FUZZ_HARNESSES; do
	if [ ! -f "$srcdir/tests/fuzz/fuzz-$h.c" ]; then
		say "no harness '$h' (tests/fuzz/fuzz-$h.c)"
		exit 2
	fi
	compile "$srcdir/tests/fuzz/fuzz-$h.c" "$B/obj/fuzz-$h.o" \
	    -fsanitize=fuzzer-no-link || exit 1
	# shellcheck disable=SC2086
	"$CLANG" $SAN -fsanitize=fuzzer -o "$B/fuzz-$h" "$B/obj/fuzz-$h.o" \
	    $core $LIBS || exit 1
done
rm -rf "$B/seeds"
mkdir -p "$B/seeds"
"$B/mkseeds" "$B/seeds" || exit 1

if [ "$FUZZ_SECONDS" -eq 0 ]; then
	say "built $B/fuzz-{$(echo $FUZZ_HARNESSES | tr ' ' ,)}; FUZZ_SECONDS=0 runs none"
	exit 0
fi

# OpenBLAS is not instrumented: keep its threads out of the picture
OPENBLAS_NUM_THREADS=1
ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:allocator_may_return_null=0"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export OPENBLAS_NUM_THREADS ASAN_OPTIONS UBSAN_OPTIONS

for h in $FUZZ_HARNESSES; do
	mkdir -p "$fz/corpus/$h" "$fz/crashes/$h" "$B/seeds/$h"
	set -- "$fz/corpus/$h" "$B/seeds/$h"
	[ -d "$srcdir/tests/fuzz/regress/$h" ] &&
	    set -- "$@" "$srcdir/tests/fuzz/regress/$h"
	case $h in
	plan) set -- "$@" "$srcdir/share/plans"; dict=plan ;;
	image) set -- "$@" "$srcdir/tests/fuzz/seeds/image"; dict=image ;;
	*) dict=$h ;;
	esac
	log=$B/log/fuzz-$h.log
	if [ -n "$FUZZ_RUNS" ]; then
		# no periodic re-reading of the corpus folder: it runs on a
		# clock, and the run is to depend on the seed alone
		limit="-runs=$FUZZ_RUNS -reload=0"
		say "fuzz-$h for $FUZZ_RUNS inputs (log: $log)"
	else
		limit="-max_total_time=$FUZZ_SECONDS"
		say "fuzz-$h for $FUZZ_SECONDS s (log: $log)"
	fi
	t0=$(date +%s)
	# shellcheck disable=SC2086
	# shellcheck disable=SC2086
	"$B/fuzz-$h" $limit -timeout=10 \
	    -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
	    -dict="$srcdir/tests/fuzz/$dict.dict" \
	    -artifact_prefix="$fz/crashes/$h/" $FUZZ_FLAGS "$@" >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
	if [ $st -ne 0 ] || [ -z "$runs" ]; then
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
		    tail -n 1)
		say "fuzz-$h failed (exit $st); from its log:"
		# the first report and its stack, down to libFuzzer's frames
		awk '
		    !f && /==ERROR|runtime error:|ERROR: libFuzzer|deadly signal/ {
			print; f = 1; next }
		    f == 1 && /^ *#[0-9]/ {
			if (/fuzzer::/) f = 2; else print substr($0, 1, 160) }
		    /^SUMMARY/ { print }' "$log" | head -n 40 | sed 's/^/  /'
		if [ -n "$art" ]; then
			say "reproducer: $art"
			say "replay it: $B/fuzz-$h $art"
			say "once fixed, keep it in tests/fuzz/regress/$h/"
		fi
		exit 1
	fi
	say "fuzz-$h: $runs executions in $(($(date +%s) - t0)) s, no crash;" \
	    "corpus $(ls "$fz/corpus/$h" | wc -l) inputs"
done
