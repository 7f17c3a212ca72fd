#!/bin/sh
# plan-inputs.sh - eval, apply and the workbench given only --plan take the
# model and the validation set the plan records, checked by SHA-256
. "$srcdir/tests/cli/lib.sh"

json_num() {	# json_num KEY FILE
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([-0-9.e+]*\).*/\1/p" "$2" | head -1
}
json_str() {	# json_str KEY FILE
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$2" | head -1
}

MKBAD=${MKBAD:-$top_builddir/tests/cli/mkbad}
here=$(pwd)
D="$TMPD/made"
mkdir -p "$D" "$TMPD/elsewhere"
"$MKBAD" "$D" >/dev/null
ok $? "mkbad writes a model with no metadata and its data"
rm -f "$D"/m-* "$D"/i-* "$D"/l-*

# a plan made in its own directory, on a model that names no validation
# set, with relative names; then used from another directory
(cd "$D" && $WHITTLE plan good.onnx --data good-images.idx \
	--labels good-labels.idx --bits 4 --quiet -o p.json >/dev/null)
ok $? "whittle plan on the model with its data"
(cd "$D" && $WHITTLE eval good.onnx --plan p.json --data good-images.idx \
	--labels good-labels.idx --quiet --json >"$TMPD/given.json")
ok $? "eval with the model and data given"
cd "$TMPD/elsewhere" || exit 1
$WHITTLE eval --plan "$D/p.json" --quiet --json >"$TMPD/plan.json" 2>"$TMPD/err"
ok $? "eval --plan alone, from another directory $(cat "$TMPD/err")"
[ "$(json_str model "$TMPD/plan.json")" = "$D/good.onnx" ]
ok $? "takes the plan's model ($(json_str model "$TMPD/plan.json"))"
[ "$(json_str images "$TMPD/plan.json")" = "$D/good-images.idx" ] &&
    [ "$(json_str labels "$TMPD/plan.json")" = "$D/good-labels.idx" ]
ok $? "and the plan's data ($(json_str images "$TMPD/plan.json"))"
[ -n "$(json_num accuracy "$TMPD/plan.json")" ] &&
    [ "$(json_num accuracy "$TMPD/plan.json")" = "$(json_num accuracy "$TMPD/given.json")" ] &&
    [ "$(json_num correct "$TMPD/plan.json")" = "$(json_num correct "$TMPD/given.json")" ]
ok $? "and measures what eval with both given measures ($(json_num accuracy "$TMPD/plan.json"))"
[ ! -s "$TMPD/err" ]
ok $? "with no warning"
# the model given, the data not: the plan's data (the model names none)
$WHITTLE eval "$D/good.onnx" --plan "$D/p.json" --quiet --json \
	>"$TMPD/m.json" 2>"$TMPD/err"
ok $? "eval MODEL --plan without data options $(cat "$TMPD/err")"
[ "$(json_num correct "$TMPD/m.json")" = "$(json_num correct "$TMPD/given.json")" ]
ok $? "takes the plan's data"

# apply and the exported model
$WHITTLE apply --plan "$D/p.json" -o "$TMPD/out.onnx" --quiet 2>"$TMPD/err"
ok $? "apply --plan alone $(cat "$TMPD/err")"
$WHITTLE eval "$TMPD/out.onnx" --data "$D/good-images.idx" \
	--labels "$D/good-labels.idx" --quiet --json >"$TMPD/out.json"
[ "$(json_num correct "$TMPD/out.json")" = "$(json_num correct "$TMPD/given.json")" ]
ok $? "writes the plan's model compressed (the same predictions)"

# the model changed: taken, and the warning names both models and digests
cp "$D/p.json" "$TMPD/moved.json"
mkdir -p "$TMPD/m2"
cp "$D/good.onnx" "$TMPD/m2/good.onnx"
# an unknown field (number 100, varint 1) that protobuf readers skip
printf '\240\006\001' >>"$TMPD/m2/good.onnx"
plan_sha=$(sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' "$D/p.json" | head -1)
$WHITTLE eval "$TMPD/m2/good.onnx" --plan "$D/p.json" --quiet >/dev/null \
	2>"$TMPD/err"
grep -q "the plan was made for 'good.onnx' (SHA-256 $(echo "$plan_sha" |
    cut -c1-16)...), not for $TMPD/m2/good.onnx (SHA-256 " "$TMPD/err"
ok $? "another model: the warning names the plan's model and digest: $(cat "$TMPD/err")"
$WHITTLE eval "$TMPD/m2/good.onnx" --plan "$D/p.json" --strict --quiet \
	>/dev/null 2>"$TMPD/err"
[ $? -eq 3 ] && grep -q "the plan was made for 'good.onnx'" "$TMPD/err"
ok $? "and --strict makes it an error (exit 3)"

# the plan moved away from its model: one line, exit 3
$WHITTLE eval --plan "$TMPD/moved.json" --quiet >/dev/null 2>"$TMPD/err"
st=$?
[ $st -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
    grep -q "moved.json: the model it was made for, 'good.onnx', is not there" \
    "$TMPD/err"
ok $? "a plan whose model is nowhere: exit 3 and one line: $(cat "$TMPD/err")"
# a changed model beside the moved plan: taken, with the warning
cp "$TMPD/m2/good.onnx" "$TMPD/good.onnx"
cp "$D/good-images.idx" "$D/good-labels.idx" "$TMPD/"
$WHITTLE eval --plan "$TMPD/moved.json" --quiet >/dev/null 2>"$TMPD/err"
grep -q "not for $TMPD/good.onnx" "$TMPD/err"
ok $? "a model of another digest beside the plan is taken, with a warning"
rm -f "$TMPD/good.onnx"
# changed data: a warning, then the model's own set (here: none)
cp "$D/good-labels.idx" "$TMPD/labels.saved"
printf 'x' >>"$D/good-labels.idx"
$WHITTLE eval --plan "$D/p.json" --quiet >/dev/null 2>"$TMPD/err"
st=$?
grep -q "warning: $D/p.json: the labels it was measured on have changed" \
    "$TMPD/err" && [ $st -ne 0 ]
ok $? "changed labels: a warning, and the model's default set (none: exit $st)"
cp "$TMPD/labels.saved" "$D/good-labels.idx"

# a plan made on the bundled MLP works from anywhere
if have_fashion; then
	(cd "$top_srcdir" && $WHITTLE plan share/models/fashion-mlp.onnx \
		--bits 8 --quiet -o "$TMPD/mlp.json" >/dev/null)
	ok $? "a plan on share/models/fashion-mlp.onnx"
	$WHITTLE eval --plan "$TMPD/mlp.json" --quiet --json --limit 500 \
		>"$TMPD/mlp.out" 2>"$TMPD/err"
	ok $? "eval --plan alone $(cat "$TMPD/err")"
	case $(json_str model "$TMPD/mlp.out") in
	*/fashion-mlp.onnx) ok 0 "finds the bundled MLP" ;;
	*) ok 1 "finds the bundled MLP ($(json_str model "$TMPD/mlp.out"))" ;;
	esac
	$WHITTLE eval "$top_srcdir/share/models/fashion-mlp.onnx" \
		--plan "$TMPD/mlp.json" --quiet --json --limit 500 >"$TMPD/mlp.ref"
	[ "$(json_num correct "$TMPD/mlp.out")" = "$(json_num correct "$TMPD/mlp.ref")" ]
	ok $? "and measures what it measures given the model"
else
	skip "Fashion-MNIST is not installed"
	skip "Fashion-MNIST is not installed"
	skip "Fashion-MNIST is not installed"
	skip "Fashion-MNIST is not installed"
fi

# the workbench takes the plan's model as well
cd "$here" || exit 1
. "$srcdir/tests/tui/lib.sh"
if tui_usable; then
	tui_start 100 30 --plan "'$D/p.json'"
	wait_for "good.onnx" 30
	ok $? "the workbench given only --plan opens the plan's model"
	tui_kill
else
	skip "tmux is not installed"
fi
done_testing
