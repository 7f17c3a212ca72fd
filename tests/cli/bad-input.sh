#!/bin/sh
# bad-input.sh - every broken model or data file gives one line on stderr
# naming the file, exit status 3, nothing on stdout and no partial output
. "$srcdir/tests/cli/lib.sh"

MKBAD=${MKBAD:-$top_builddir/tests/cli/mkbad}
D="$TMPD/bad"
mkdir -p "$D"
"$MKBAD" "$D" >"$TMPD/cases"
ok $? "mkbad writes the broken files"

# the good files work, so each failure below is the broken file's doing
$WHITTLE eval "$D/good.onnx" --data "$D/good-images.idx" \
	--labels "$D/good-labels.idx" --quiet --json >"$TMPD/out" 2>&1
ok $? "the good model and data evaluate"

count=0
while IFS="	" read -r role file expect; do
	count=$((count + 1))
	model="$D/good.onnx" images="$D/good-images.idx" labels="$D/good-labels.idx"
	case $role in
	model) model="$D/$file" ;;
	images) images="$D/$file" ;;
	labels) labels="$D/$file" ;;
	esac
	rm -f "$TMPD/pred"
	$WHITTLE eval "$model" --data "$images" --labels "$labels" --quiet \
		--predictions "$TMPD/pred" >"$TMPD/out" 2>"$TMPD/err" </dev/null
	st=$?
	ok $([ $st -eq 3 ] && echo 0 || echo 1) "$file: exit status 3 (got $st)"
	ok $([ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	    [ "$(wc -c <"$TMPD/err")" -lt 400 ] && echo 0 || echo 1) \
		"$file: one line on stderr, $(wc -c <"$TMPD/err") bytes"
	grep -q "^whittle: .*$file" "$TMPD/err" && grep -qF "$expect" "$TMPD/err"
	ok $? "$file: names the file and says '$expect'"
	ok $([ ! -s "$TMPD/out" ] && [ ! -e "$TMPD/pred" ] && echo 0 || echo 1) \
		"$file: no output and no predictions file"
	diag "$(cat "$TMPD/err")"
	if [ $role = model ]; then
		$WHITTLE inspect "$model" >"$TMPD/out" 2>"$TMPD/err"
		st=$?
		ok $([ $st -eq 3 ] && [ ! -s "$TMPD/out" ] && echo 0 || echo 1) \
			"$file: inspect exits 3 with no output (got $st)"
	fi
done <"$TMPD/cases"
ok $([ $count -ge 15 ] && echo 0 || echo 1) "at least 15 broken files ($count)"

# a plan naming a layer of 10 MiB: one short line quoting it cut short
/usr/bin/python3 -c '
import sys
n = "p" * (10 << 20)
open(sys.argv[1], "w").write("{\"whittle_plan\": 1, \"layers\": {\"%s\": {\"bits\": 4}}}" % n)
open(sys.argv[2], "w").write("{\"whittle_plan\": 1, \"layers\": {\"%s\": {\"bits\": 3.5}}}" % n)
' "$TMPD/huge.json" "$TMPD/huge-bad.json"
for plan in huge.json huge-bad.json; do
	$WHITTLE apply "$D/good.onnx" --plan "$TMPD/$plan" -o "$TMPD/o.onnx" \
		>"$TMPD/out" 2>"$TMPD/err"
	st=$?
	ok $([ $st -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	    [ "$(wc -c <"$TMPD/err")" -lt 300 ] && echo 0 || echo 1) \
		"$plan, a layer name of 10 MiB: exit 3, one line of $(wc -c <"$TMPD/err") bytes"
	grep -q "ppp...[\"'] (10485760 bytes)" "$TMPD/err"
	ok $? "$plan: the name is cut and its length given"
	diag "$(cat "$TMPD/err")"
done
done_testing
