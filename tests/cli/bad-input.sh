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
	ok $([ "$(wc -l <"$TMPD/err")" -eq 1 ] && echo 0 || echo 1) \
		"$file: one line on stderr"
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
done_testing
