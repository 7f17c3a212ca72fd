#!/bin/sh
# eval-demo.sh - whittle eval and inspect on the bundled and test models,
# against the accuracy and predictions PyTorch recorded
. "$srcdir/tests/cli/lib.sh"

# npy_ints FILE: the int64 values of a numpy.save'd 1-D array, one per line
npy_ints() {
	hl=$(od -An -tu1 -j8 -N2 "$1" | awk '{ print $1 + 256 * $2 }')
	od -An -v -t d8 -j $((10 + hl)) "$1" | tr -s ' ' '\n' | grep -v '^$'
}
json_num() {	# json_num KEY FILE
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([-0-9.e+]*\).*/\1/p" "$2" | head -1
}

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi

# the demo: no MODEL and no --data
$WHITTLE eval --quiet >"$TMPD/report" 2>"$TMPD/err"
ok $? "whittle eval runs the bundled demo"
ref=$(json_num correct "$srcdir/tests/fixtures/ref/fashion-cnn.ref.json")
grep -q "($ref of 10000 correct)" "$TMPD/report"
ok $? "the demo CNN gets PyTorch's $ref of 10000"
grep -q "confusion" "$TMPD/report" && grep -q "Ankle boot" "$TMPD/report"
ok $? "the report has per-class accuracy and the confusion matrix"

for m in fashion-mlp fashion-cnn resnet-bn mlp-matmul lenet-op17; do
	case $m in
	fashion-*) model="$srcdir/share/models/$m.onnx" ;;
	*) model="$srcdir/tests/fixtures/models/$m.onnx" ;;
	esac
	$WHITTLE eval "$model" --json --quiet --predictions "$TMPD/$m.pred" \
		>"$TMPD/$m.json" 2>"$TMPD/err"
	ok $? "$m: eval --json --predictions"
	ref=$(json_num correct "$srcdir/tests/fixtures/ref/$m.ref.json")
	got=$(json_num correct "$TMPD/$m.json")
	ok $([ "$got" = "$ref" ] && echo 0 || echo 1) \
		"$m: $got correct, PyTorch $ref"
	npy_ints "$srcdir/tests/fixtures/ref/$m.pred.npy" >"$TMPD/$m.ref"
	cmp -s "$TMPD/$m.ref" "$TMPD/$m.pred"
	ok $? "$m: all 10000 predictions equal PyTorch's"
done
for key in accuracy samples correct precision_macro recall_macro f1_macro \
	params bytes macs seconds peak_rss_bytes; do
	v=$(json_num $key "$TMPD/fashion-cnn.json")
	ok $([ -n "$v" ] && echo 0 || echo 1) "--json has $key ($v)"
done

$WHITTLE eval --quiet --json --limit 100 \
	--data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
	--labels /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz \
	>"$TMPD/lim.json"
ok $([ "$(json_num samples "$TMPD/lim.json")" = 100 ] && echo 0 || echo 1) \
	"--limit 100 evaluates 100 samples"
head -100 "$TMPD/fashion-cnn.ref" >"$TMPD/first100"
$WHITTLE eval --quiet --limit 100 --predictions "$TMPD/p100" >/dev/null
cmp -s "$TMPD/first100" "$TMPD/p100"
ok $? "--limit writes the first N predictions"

$WHITTLE inspect >"$TMPD/inspect" 2>&1
ok $? "whittle inspect runs on the demo"
[ "$(grep -c -E '^[^ ]+ +(Conv|Gemm)' "$TMPD/inspect")" -eq 4 ]
ok $? "inspect lists the 4 layers with weights"
$WHITTLE inspect --json >"$TMPD/inspect.json"
ok $? "inspect --json"
# at least the weights it read: 829,273 bytes in the file
rss=$(json_num peak_rss_bytes "$TMPD/inspect.json")
ok $([ -n "$rss" ] && [ "${rss%.*}" -gt 829273 ] && echo 0 || echo 1) \
	"inspect --json has peak_rss_bytes ($rss)"
grep -q '"effective_rank"' "$TMPD/inspect.json" &&
	grep -q '"singular_values"' "$TMPD/inspect.json"
ok $? "inspect --json has spectra and effective ranks"
# a graph that moves the batch axis says it runs one sample at a time
grep -q '"one_sample_at_a_time":[[:space:]]*false' "$TMPD/inspect.json" &&
	! grep -q 'one sample at a time' "$TMPD/inspect"
ok $? "inspect: the demo runs batched"
vit=$srcdir/tests/fixtures/models/zoo/vit_4x128-op13.onnx
$WHITTLE inspect "$vit" >"$TMPD/vit" 2>&1 &&
	head -n 1 "$TMPD/vit" | grep -q 'runs one sample at a time' &&
	[ "$(grep -c -E '^/[^ ]+ +(Conv|Gemm|MatMul) ' "$TMPD/vit")" -eq 18 ] &&
	$WHITTLE inspect --json "$vit" | grep -q \
	    '"one_sample_at_a_time":[[:space:]]*true'
ok $? "inspect: the VisionTransformer runs one sample at a time, its 18 layers listed"
# the activation cache: any budget, none included, counts the same
$WHITTLE plan --bits 4 --quiet -o "$TMPD/c.plan" >/dev/null 2>&1
for mb in 0 1 4096; do
	$WHITTLE eval --plan "$TMPD/c.plan" --cache-mb $mb --quiet --json \
		>"$TMPD/c$mb.json" 2>/dev/null || break
done
c0=$(json_num correct "$TMPD/c0.json") c1=$(json_num correct "$TMPD/c1.json")
c4=$(json_num correct "$TMPD/c4096.json")
ok $([ -n "$c0" ] && [ "$c0" = "$c1" ] && [ "$c0" = "$c4" ] && echo 0 ||
	echo 1) "eval --plan counts $c0 correct with a cache of 0, 1 and 4096 MiB"
$WHITTLE eval --cache-mb -3 >/dev/null 2>"$TMPD/err"
ok $([ $? -eq 2 ] && grep -q "cache-mb" "$TMPD/err" && echo 0 || echo 1) \
	"a negative --cache-mb is a usage error"
# the preprocessing the model's metadata gives, as evaluation uses it
/usr/bin/python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
i = o["input"]
assert abs(i["scale"] - 1 / 255) < 1e-9, i
assert i["mean"] == [0.286] and i["std"] == [0.353], i
assert i["from_metadata"] is True
assert o["dataset"] == "fashion-mnist", o["dataset"]
assert len(o["labels"]) == 10 and o["labels"][9] == "Ankle boot", o["labels"]
assert o["metadata"]["whittle.input.mean"] == "0.2860", o["metadata"]
' "$TMPD/inspect.json" 2>"$TMPD/py"
ok $? "inspect --json gives the input scale, mean, std, labels and dataset $(cat "$TMPD/py")"
# a model with no metadata: the defaults, and nulls
mkdir -p "$TMPD/mk"
"$MKBAD" "$TMPD/mk" >/dev/null 2>&1
if [ -f "$TMPD/mk/good.onnx" ]; then
	$WHITTLE inspect --json "$TMPD/mk/good.onnx" >"$TMPD/good.json"
	/usr/bin/python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
i = o["input"]
assert abs(i["scale"] - 1 / 255) < 1e-9 and i["mean"] == [0] and i["std"] == [1], i
assert i["from_metadata"] is False
assert o["labels"] is None and o["dataset"] is None and o["metadata"] == {}, o
' "$TMPD/good.json" 2>"$TMPD/py"
	ok $? "without metadata: scale 1/255, mean 0, std 1, no labels $(cat "$TMPD/py")"
else
	skip "mkbad is not built"
fi
done_testing
