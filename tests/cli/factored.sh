#!/bin/sh
# factored.sh - a model exported with low-rank layers (two nodes each)
# reads back as the model it came from: inspect and eval list its layers
# under their names, count the factors' parameters, and the export
# predicts as `whittle eval --plan' says; a plan for the original layer
# names applies to the export, and 8-bit weights on it quantize the stored
# factors
. "$srcdir/tests/cli/lib.sh"

DEMO="$srcdir/share/models/fashion-cnn.onnx"
MLP="$srcdir/tests/fixtures/models/mlp-matmul.onnx"
N=2000
json_num() {	# json_num KEY FILE: the first KEY's number
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([-0-9.e+]*\).*/\1/p" "$2" | head -1
}
layers() {	# layers FILE: the layer names of an inspect report
	sed -n '4,$s/^\([^ ]*\) .*/\1/p' "$1"
}

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi

# name, model, layer, rank, plan options
while IFS="|" read -r name model layer rank popts; do
	case $model in demo) model=$DEMO ;; mlp) model=$MLP ;; esac
	p="$TMPD/$name"
	$WHITTLE inspect "$model" >"$p.orig.txt" 2>"$p.err"
	$WHITTLE plan "$model" --rank "$rank" --layers "$layer" $popts \
		--limit 500 --quiet -o "$p.json" >/dev/null 2>>"$p.err"
	ok $? "$name: whittle plan"
	$WHITTLE apply "$model" --plan "$p.json" --quiet -o "$p.onnx" \
		>/dev/null 2>>"$p.err"
	ok $? "$name: whittle apply"
	$WHITTLE inspect "$p.onnx" >"$p.txt" 2>>"$p.err" &&
		$WHITTLE inspect --json "$p.onnx" >"$p.ij" 2>>"$p.err"
	ok $? "$name: inspect reads the export"
	[ -s "$p.err" ] && diag "$(cat "$p.err")"
	layers "$p.orig.txt" >"$p.orig.names"
	layers "$p.txt" >"$p.names"
	cmp -s "$p.orig.names" "$p.names"
	ok $? "$name: the export lists the model's $(wc -l <"$p.orig.names") layers under their names ($(tr '\n' ' ' <"$p.names"))"
	n1=$(sed -n 's/.*, \([0-9]*\) layers with weights.*/\1/p' "$p.orig.txt")
	n2=$(sed -n 's/.*, \([0-9]*\) layers with weights.*/\1/p' "$p.txt")
	ok $([ -n "$n1" ] && [ "$n1" = "$n2" ] && echo 0 || echo 1) \
		"$name: inspect's header counts $n2 layers, the model's $n1"
	grep -q "^$layer  *[A-Za-z]*  *(.*) r$rank" "$p.txt"
	ok $? "$name: $layer shows its rank $rank"

	# the plan's own count: float32 factors, so its bytes are 4 per
	# parameter
	$WHITTLE eval "$model" --plan "$p.json" --limit $N --quiet --json \
		>"$p.pj" 2>"$p.err"
	ok $? "$name: eval --plan"
	want=$(($(json_num compressed_bytes "$p.pj") / 4))
	got=$(json_num params "$p.ij")
	$WHITTLE eval "$p.onnx" --limit $N --quiet --json >"$p.ej" 2>"$p.err"
	ok $? "$name: eval runs the export"
	e=$(json_num params "$p.ej")
	ok $([ -n "$got" ] && [ "$got" = "$want" ] && [ "$e" = "$want" ] &&
		echo 0 || echo 1) \
		"$name: inspect and eval count $want parameters, as the plan (inspect $got, eval $e)"
	a=$(json_num correct "$p.pj") b=$(json_num correct "$p.ej")
	ok $([ -n "$a" ] && [ "$a" = "$b" ] && echo 0 || echo 1) \
		"$name: the export predicts $b of $N right, as eval --plan ($a)"
	head -1 "$p.txt" >"$p.head"
	grep -q "^$layer " "$p.txt" && diag "$(cat "$p.head")" &&
		diag "$(grep "^$layer " "$p.txt")"

	# the same plan for the original names, applied to the export:
	# the layer is found and factored again at the same rank
	$WHITTLE eval "$p.onnx" --plan "$p.json" --limit $N --quiet --json \
		>"$p.again" 2>"$p.err"
	st=$?
	c=$(json_num correct "$p.again")
	ok $([ $st -eq 0 ] && [ -n "$c" ] && [ "$(grep -c "\"$layer\"" "$p.again")" -ge 1 ] &&
		echo 0 || echo 1) \
		"$name: the plan for $layer applies to the export ($c right, status $st)"
	[ -s "$p.err" ] && diag "$(cat "$p.err")"

	# 8-bit weights on the export quantize the stored factors: the
	# layer keeps its rank, the file shrinks, and it predicts as the
	# plan says
	$WHITTLE plan "$p.onnx" --bits 8 --layers "$layer" --limit 500 \
		--quiet -o "$p.q.json" >/dev/null 2>"$p.err" &&
		$WHITTLE apply "$p.onnx" --plan "$p.q.json" --quiet \
		-o "$p.q.onnx" >/dev/null 2>>"$p.err" &&
		$WHITTLE inspect "$p.q.onnx" >"$p.q.txt" 2>>"$p.err"
	ok $? "$name: 8-bit weights on the export apply"
	a=$(wc -c <"$p.onnx") b=$(wc -c <"$p.q.onnx")
	grep -q "^$layer  *[A-Za-z]*  *(.*) r$rank" "$p.q.txt" &&
		[ "$b" -lt "$a" ]
	ok $? "$name: $layer stays at rank $rank, quantized ($b < $a bytes)"
	$WHITTLE eval "$p.onnx" --plan "$p.q.json" --limit $N --quiet --json \
		>"$p.qp" 2>/dev/null
	$WHITTLE eval "$p.q.onnx" --limit $N --quiet --json >"$p.qe" 2>&1
	a=$(json_num correct "$p.qp") b=$(json_num correct "$p.qe")
	ok $([ -n "$a" ] && [ "$a" = "$b" ] && echo 0 || echo 1) \
		"$name: the quantized export predicts $b right, as its plan ($a)"
done <<'CASES'
gemm|demo|/7/Gemm|16|
conv|demo|/3/Conv|8|
spatial|demo|/3/Conv|6|--spatial
matmul|mlp|/MatMul|16|
CASES
done_testing
