#!/bin/sh
# exported.sh - whittle reads the models it exports: inspect and eval on
# the demo CNN exported with every kind of setting, with the layers and
# parameter counts of the model they came from
. "$srcdir/tests/cli/lib.sh"

DEMO="$srcdir/share/models/fashion-cnn.onnx"
json_num() {	# json_num KEY FILE
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([-0-9.e+]*\).*/\1/p" "$2" | head -1
}

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi

$WHITTLE inspect --json "$DEMO" >"$TMPD/orig.json"
ok $? "inspect the demo"
params=$(json_num params "$TMPD/orig.json")
diag "the demo has $params parameters"

# name, plan options, apply options, and what the parameter count is:
# the demo's (a weight stored as integer codes counts as the float weight
# it dequantizes to), plus the activation scales, or the factors' own
while IFS="|" read -r name popts aopts same; do
	$WHITTLE plan "$DEMO" $popts --limit 500 --quiet -o "$TMPD/$name.json" \
		>/dev/null 2>"$TMPD/err"
	ok $? "$name: whittle plan"
	$WHITTLE apply "$DEMO" --plan "$TMPD/$name.json" $aopts --quiet \
		-o "$TMPD/$name.onnx" >/dev/null 2>"$TMPD/err"
	ok $? "$name: whittle apply"
	$WHITTLE inspect "$TMPD/$name.onnx" >"$TMPD/$name.txt" 2>"$TMPD/err"
	st=$?
	ok $st "$name: inspect reads the export (status $st)"
	diag "$(head -1 "$TMPD/$name.txt") $(cat "$TMPD/err")"
	$WHITTLE inspect --json "$TMPD/$name.onnx" >"$TMPD/$name.ij" 2>&1
	ok $? "$name: inspect --json reads the export"
	p=$(json_num params "$TMPD/$name.ij")
	$WHITTLE eval "$TMPD/$name.onnx" --limit 500 --quiet --json \
		>"$TMPD/$name.ej" 2>"$TMPD/err"
	ok $? "$name: eval runs the export"
	e=$(json_num params "$TMPD/$name.ej")
	if [ "$same" = same ] || [ "$same" = scales ]; then
		# the activation quantizers, written as float arithmetic, add
		# four constants per layer: the scale, the two bounds of the
		# codes and the rounding constant
		want=$params
		[ "$same" = scales ] && want=$((params + 16))
		ok $([ "$p" = "$want" ] && [ "$e" = "$want" ] && echo 0 ||
			echo 1) "$name: inspect and eval count $want parameters, the demo's (inspect $p, eval $e)"
		grep -q '^/0/Conv  *Conv  *(16, 1, 3, 3) ' "$TMPD/$name.txt" &&
			grep -q '^/7/Gemm  *Gemm  *(128, 1568) ' "$TMPD/$name.txt"
		ok $? "$name: the layers keep their names and weight shapes"
	else
		ok $([ -n "$p" ] && [ "$p" -lt "$params" ] && [ "$e" = "$p" ] &&
			echo 0 || echo 1) "$name: the factored export counts its factors, fewer than the demo's (inspect $p, eval $e)"
	fi
done <<'CASES'
int8|--bits 8||same
int4|--bits 4||same
int4-tensor|--bits 4 --granularity tensor||same
int4-asym|--bits 4 --asymmetric||same
fp16|--bits 16||same
bf16|--bits 16 --bf16||same
int4-qdq|--bits 4|--qdq|same
int8-qdq|--bits 8|--qdq|same
pruned|--sparsity 0.5||same
nm|--nm 2:4||same
act8|--bits 8 --act-bits 8||scales
lowrank|--energy 0.9||factored
combined|--energy 0.95 --sparsity 0.3 --bits 4||factored
CASES
done_testing
