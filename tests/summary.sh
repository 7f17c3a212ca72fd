#!/bin/sh
# summary.sh - prints one closing line over the results automake recorded:
# "N passed, N failed" (with ", N skipped" when there are skips).
pass=0 fail=0 skip=0
for f in "$@"; do
	[ -f "$f" ] || continue
	p=$(grep -c '^:test-result: PASS' "$f")
	x=$(grep -c '^:test-result: XFAIL' "$f")
	s=$(grep -c '^:test-result: SKIP' "$f")
	e=$(grep -c -E '^:test-result: (FAIL|XPASS|ERROR)' "$f")
	pass=$((pass + p + x)) skip=$((skip + s)) fail=$((fail + e))
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
