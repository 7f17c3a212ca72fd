#!/bin/sh
# interop.sh - compressed models written by 'whittle apply' run in ONNX
# Runtime (onnxruntime-node) with exactly the predictions whittle reports,
# and whittle reads its own exports back to the same predictions
. "$srcdir/tests/cli/lib.sh"

IMAGES=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
LABELS=/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
ORT_DIR=${ORT_DIR:-$top_builddir/tests/ort}

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi
if [ -z "$NODE" ] || [ "$NODE" = no ] || ! command -v "$NODE" >/dev/null; then
	skip "node is not installed: ONNX Runtime interop not tested"
	done_testing
fi
# onnxruntime-node, installed once into a folder the tests own
if ! ort_install "$ORT_DIR"; then
	diag "$(tail -5 "$TMPD/npm.log")"
	skip "onnxruntime-node could not be installed with npm"
	done_testing
fi
export ORT_NODE_DIR="$ORT_DIR/node_modules"

# ort_predict MODEL OUT [LEVEL]: ONNX Runtime's predictions, one per line,
# and in OUT.margin the gap between each sample's two largest outputs; at
# the runtime's default graph optimization level, or at LEVEL (disabled,
# basic, extended, all)
ort_predict() {
	ORT_PREDICTIONS="$2" ORT_MARGINS="$2.margin" ORT_OPT_LEVEL="${3:-}" \
		"$NODE" "$srcdir/bench/ort-eval.js" "$1" \
		"$IMAGES" "$LABELS" 2 256 1 0.00392156862745098 0.2860 0.3530 \
		>"$TMPD/ort.json" 2>"$TMPD/ort.err"
}

# same_as_whittle P WHAT: ONNX Runtime's predictions P.ort agree with
# whittle's P.whittle.  Float sums in another order may split an exact tie
# the other way: a differing sample counts unless its two best outputs are
# within 1e-5 in ONNX Runtime.
same_as_whittle() {
	diff=$(paste -d' ' "$1.whittle" "$1.ort" "$1.ort.margin" |
		awk '$1 != $2 && $3 > 1e-5' | wc -l)
	ties=$(paste -d' ' "$1.whittle" "$1.ort" "$1.ort.margin" |
		awk '$1 != $2 && $3 <= 1e-5' | wc -l)
	ok $([ "$diff" -eq 0 ] && [ "$ties" -le 2 ] && [ -s "$1.ort" ] &&
		echo 0 || echo 1) \
		"$2: ONNX Runtime predicts as whittle, sample for sample ($diff differ, $ties exact ties split)"
}

# check_export MODEL NAME PLAN: eval and apply; ONNX Runtime predicts as
# whittle does at its default optimization level, and for plans that
# quantize activations or store weights sparsely (NAME act* or sp-*) with
# optimizations off as well; whittle reads the export back to the same
# predictions; the size whittle reports is the file's, within its framing
# (5% or 6 KiB)
check_export() {
	model=$1 name=$2 plan=$3
	p="$TMPD/$(basename "$model" .onnx)-$name"
	what="$(basename "$model" .onnx) $name"
	$WHITTLE eval "$model" --plan "$plan" --quiet --json \
		--predictions "$p.whittle" >"$p.eval.json" 2>>"$p.err"
	ok $? "$what: whittle eval --plan"
	$WHITTLE apply "$model" --plan "$plan" -o "$p.onnx" --quiet \
		2>>"$p.err"
	ok $? "$what: whittle apply"
	[ -s "$p.err" ] && diag "$(cat "$p.err")"
	levels=default
	case $name in act*|sp-*) levels="default disabled" ;; esac
	for level in $levels; do
		[ "$level" = default ] && level=
		ort_predict "$p.onnx" "$p.ort" "$level"
		ok $? "$what: ONNX Runtime runs the export (optimization ${level:-default})"
		[ -s "$TMPD/ort.err" ] && diag "$(cat "$TMPD/ort.err")"
		same_as_whittle "$p" "$what, optimization ${level:-default}"
	done
	$WHITTLE eval "$p.onnx" --quiet --predictions "$p.self" \
		>/dev/null 2>"$p.err2"
	cmp -s "$p.whittle" "$p.self"
	ok $? "$what: whittle reads its export back to the same predictions"
	case $(basename "$model") in fashion-*) ;; *) return 0 ;; esac
	rep=$(sed -n 's/^[[:space:]]*"compressed_bytes":[[:space:]]*\([0-9]*\).*/\1/p' "$p.eval.json")
	file=$(wc -c <"$p.onnx")
	ok $(awk -v r="$rep" -v f="$file" 'BEGIN {
		s = f / 20 > 6144 ? f / 20 : 6144
		exit !(r != "" && f >= r && f - r <= s) }' && echo 0 || echo 1) \
		"$what: whittle reports $rep bytes, the file has $file"
}

# check_plan MODEL NAME ARGS...: whittle plan ARGS, then check_export
check_plan() {
	model=$1 name=$2
	shift 2
	pj="$TMPD/$(basename "$model" .onnx)-$name"
	$WHITTLE plan "$model" "$@" --quiet -o "$pj.json" >/dev/null \
		2>"$pj.err"
	ok $? "$(basename "$model" .onnx) $name: whittle plan"
	check_export "$model" "$name" "$pj.json"
}

plans="pruned:--sparsity 0.6
int8-tensor:--bits 8 --granularity tensor
int4-channel:--bits 4 --granularity channel --clip mse
lowrank:--energy 0.9
combined:--energy 0.95 --sparsity 0.3 --bits 4 --granularity channel
act8:--act-bits 8
act8-weights:--act-bits 8 --bits 4 --granularity channel --sparsity 0.5"

for m in fashion-cnn fashion-mlp resnet-bn mlp-matmul lenet-op17; do
	case $m in
	fashion-*) model="$srcdir/share/models/$m.onnx" ;;
	*) model="$srcdir/tests/fixtures/models/$m.onnx" ;;
	esac
	while IFS=: read -r name args; do
		# shellcheck disable=SC2086
		check_plan "$model" "$name" $args
		case $name in lowrank|pruned|act8) continue ;; esac
		a=$(wc -c <"$model") b=$(wc -c <"$p.onnx")
		ok $([ "$b" -lt "$a" ] && echo 0 || echo 1) \
			"$m $name: the export is smaller ($b < $a bytes)"
	done <<PLANS
$plans
PLANS
done

# Activation quantization on the demo's convolutions only and its Gemm
# layers only, alone and with 8-bit weights per tensor
model="$srcdir/share/models/fashion-cnn.onnx"
check_plan "$model" act8-conv --act-bits 8 --layers '*Conv'
check_plan "$model" act8-gemm --act-bits 8 --layers '*Gemm'
check_plan "$model" act8-conv-int8 --act-bits 8 --bits 8 --granularity tensor \
	--layers '*Conv'
check_plan "$model" act8-gemm-int8 --act-bits 8 --bits 8 --granularity tensor \
	--layers '*Gemm'
check_plan "$model" act8-percentile --act-bits 8 --act-calibration percentile

# Pruned weights in a sparse encoding, with every kind of quantization and
# low rank: the file is as small as whittle says, and ONNX Runtime loads
# and runs it exactly
check_plan "$model" sp-global70 --sparsity 0.7 --global
check_plan "$model" sp-nm24 --nm 2:4
check_plan "$model" sp-int4-70 --bits 4 --granularity channel --clip mse \
	--sparsity 0.7
check_plan "$model" sp-int8-asym --bits 8 --asymmetric --granularity tensor \
	--sparsity 0.7
check_plan "$model" sp-lowrank --energy 0.9 --sparsity 0.5
check_plan "$model" sp-fp16 --bits 16 --sparsity 0.7
check_plan "$model" sp-bf16-nm --bf16 --nm 1:4
check_plan "$model" act8-sp-int4 --act-bits 8 --bits 4 --granularity channel \
	--sparsity 0.7
for ex in "$srcdir"/share/plans/*.json; do
	check_export "$model" "sp-$(basename "$ex" .json)" "$ex"
done

# Low-rank layers read back as the one layer they are: the spatial form,
# and an export compressed again, its factored layer at a lower rank or
# its stored factors quantized to int8, as ONNX Runtime runs them
check_plan "$model" lowrank-spatial --rank 6 --spatial --layers '/3/Conv'
check_plan "$model" lowrank-fc --rank 16 --layers '*Gemm'
again="$TMPD/fashion-cnn-lowrank-fc.onnx"
check_plan "$again" again-rank8 --rank 8 --layers '/7/Gemm'
check_plan "$again" again-int8 --bits 8 --granularity tensor

# The example plan for the demo: at least 6x smaller than float32 with at
# most one point of accuracy lost, as ONNX Runtime measures the exported file.
model="$srcdir/share/models/fashion-cnn.onnx"
plan="$srcdir/share/plans/fashion-cnn-int4.json"
$WHITTLE eval "$model" --plan "$plan" --json --quiet >"$TMPD/ex.json" 2>/dev/null
ratio=$(sed -n 's/.*"compression_ratio":[[:space:]]*\([0-9.]*\).*/\1/p' "$TMPD/ex.json")
ok $(awk -v r="$ratio" 'BEGIN { exit !(r >= 6) }' && echo 0 || echo 1) \
	"example plan: $ratio times smaller than float32 by whittle's count"
$WHITTLE apply "$model" --plan "$plan" -o "$TMPD/ex.onnx" --quiet
a=$(wc -c <"$model") b=$(wc -c <"$TMPD/ex.onnx")
ok $([ $((a)) -ge $((6 * b)) ] && echo 0 || echo 1) \
	"example plan: the exported file is at least 6x smaller ($a / $b bytes)"
ort_predict "$model" "$TMPD/base.ort"
base=$(sed -n 's/.*"correct":\([0-9]*\).*/\1/p' "$TMPD/ort.json")
ort_predict "$TMPD/ex.onnx" "$TMPD/ex.ort"
comp=$(sed -n 's/.*"correct":\([0-9]*\).*/\1/p' "$TMPD/ort.json")
ok $([ -n "$comp" ] && [ $((base - comp)) -le 100 ] && echo 0 || echo 1) \
	"example plan: ONNX Runtime measures $comp of 10000 correct, baseline $base (at most 1 point lost)"
done_testing
