#!/bin/sh
# latency.sh - time from a changed setting to the final accuracy (the
# workbench's path: compress the layer, re-evaluate from cached
# activations), against one full evaluation of the same compressed model
# by ONNX Runtime with the same thread count, measured in the same run.
# By default the demo CNN on the 10k Fashion-MNIST test set; MODEL IMAGES
# LABELS for another (the zoo's: tests/zoo/resnet18-op17.onnx
# tests/zoo/t10k-images-3x32x32.idx and the Fashion-MNIST labels).
#
#   bench/latency.sh [-t THREADS] [-n CHANGES] [-r REPEATS] [MODEL IMAGES LABELS]
set -e
cd "$(dirname "$0")/.."
threads=${BENCH_THREADS:-2} changes=${BENCH_CHANGES:-40} repeats=${BENCH_REPEATS:-7}
while [ $# -gt 0 ]; do
	case $1 in
	-t) threads=$2; shift 2 ;;
	-n) changes=$2; shift 2 ;;
	-r) repeats=$2; shift 2 ;;
	-*|*) [ $# -eq 3 ] && [ "${1#-}" = "$1" ] && break
		echo "usage: bench/latency.sh [-t THREADS] [-n CHANGES] [-r REPEATS] [MODEL IMAGES LABELS]" >&2
		exit 2 ;;
	esac
done
fmnist=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
model=${1:-share/models/fashion-cnn.onnx}
images=${2:-$fmnist/t10k-images-idx3-ubyte.gz}
labels=${3:-$fmnist/t10k-labels-idx1-ubyte.gz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s bench/latency whittle >/dev/null
OPENBLAS_NUM_THREADS=1 ./bench/latency "$model" "$images" "$labels" "$threads" \
	"$changes" "$tmp/plan.json" >"$tmp/lat.json"
./whittle apply "$model" --plan "$tmp/plan.json" -o "$tmp/c.onnx" \
	--data "$images" --labels "$labels" --quiet

ort="" ortf=""
if command -v node >/dev/null 2>&1; then
	if ! node bench/ort-eval.js --check >/dev/null 2>&1; then
		npm install --prefix bench --no-audit --no-fund --ignore-scripts \
			onnxruntime-node >/dev/null 2>&1 || true
	fi
	if node bench/ort-eval.js "$tmp/c.onnx" "$images" "$labels" "$threads" \
		256 "$repeats" 0.00392156862745098 0.2860 0.3530 >"$tmp/ort.json" 2>/dev/null; then
		ort=$(sed -n 's/.*"seconds":\([0-9.e-]*\).*/\1/p' "$tmp/ort.json")
	fi
	# the float original too: a runtime may not fold every dequantizing
	# node of the compressed file at load, which would flatter the ratio
	if node bench/ort-eval.js "$model" "$images" "$labels" "$threads" \
		256 "$repeats" 0.00392156862745098 0.2860 0.3530 >"$tmp/ortf.json" 2>/dev/null; then
		ortf=$(sed -n 's/.*"seconds":\([0-9.e-]*\).*/\1/p' "$tmp/ortf.json")
	fi
fi
num() { sed -n "s/.*\"$1\": \([0-9.e-]*\).*/\1/p" "$tmp/lat.json"; }
first=$(num first_layer_median) last=$(num last_layer_median)
mid=$(num middle_layers_median) open=$(num open_and_baseline)
echo "change -> final accuracy, $(basename "$model"), $(basename "$images"), $threads threads, $changes changes"
printf '  %-28s %8.3f s\n' "last layer (median)" "$last"
printf '  %-28s %8.3f s\n' "middle layers (median)" "$mid"
printf '  %-28s %8.3f s\n' "first layer (median)" "$first"
printf '  %-28s %8.3f s\n' "open + baseline evaluation" "$open"
if [ -n "$ort" ]; then
	printf '  %-28s %8.3f s\n' "ONNX Runtime full pass" "$ort"
	printf '  %-28s %8.3f s\n' "  (float original)" "${ortf:-0}"
	awk -v l="$last" -v f="$first" -v o="$ort" -v of="${ortf:-0}" 'BEGIN {
		printf "  last layer / ORT full pass   %8.3f  (aim: at most 0.05)\n", l / o
		printf "  first layer / ORT full pass  %8.3f  (aim: at most 1)\n", f / o
		if (of > 0)
			printf "  first layer / ORT on float   %8.3f\n", f / of }'
else
	echo "  ONNX Runtime: skipped (node or onnxruntime-node missing)"
fi
