#!/bin/sh
# check-asan.sh - the whole suite under AddressSanitizer and UBSan
#
# Run by 'make check-asan'.  Copies the distributed tree ('make distdir')
# to asan-build/whittle, configures it there with
#   -fsanitize=address,undefined -fno-omit-frame-pointer
# (clang when configure found it, else the configured CC) and runs
# 'make check' in it.  UBSan halts on the first report and ASan's leak
# checker is on, so any report fails the test that caused it; the log of
# every failed test is printed.  The normal build is not touched.
: "${srcdir:=.}"
: "${top_builddir:=.}"
: "${MAKE:=make}"
top_builddir=$(cd "$top_builddir" && pwd)
if [ -n "$CLANG" ] && [ "$CLANG" != no ]; then
	cc=$CLANG
else
	cc=${CC:-cc}
fi
D=$top_builddir/asan-build
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer \
-fno-sanitize-recover=undefined"

say() {
	echo "make check-asan: $*"
}

rm -rf "$D" && mkdir -p "$D" || exit 1
say "copying the tree to $D/whittle"
(cd "$top_builddir" && $MAKE distdir distdir="$D/whittle") \
    >"$D/distdir.log" 2>&1 || {
	say "make distdir failed:"
	tail -n 20 "$D/distdir.log"
	exit 1
}
say "configuring with $cc $SAN"
(cd "$D/whittle" && ./configure CC="$cc" CFLAGS="-g -O1 $SAN" \
    LDFLAGS="$SAN") >"$D/configure.log" 2>&1 || {
	say "configure failed:"
	tail -n 20 "$D/configure.log"
	exit 1
}
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# OpenBLAS is not instrumented; one thread keeps its reports readable
OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS UBSAN_OPTIONS OPENBLAS_NUM_THREADS
say "running make check there"
st=0
(cd "$D/whittle" && $MAKE check) || st=$?
if [ $st -ne 0 ]; then
	say "failed; the logs of the failed tests:"
	for t in $(cd "$D/whittle" && grep -l '^:test-result: \(FAIL\|ERROR\)' \
	    $(find tests -name '*.trs') 2>/dev/null); do
		echo "--- ${t%.trs}.log"
		tail -n 40 "$D/whittle/${t%.trs}.log"
	done
	exit 1
fi
say "every test passed under ASan and UBSan"
