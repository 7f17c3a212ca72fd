#!/bin/sh
# sensitivity.sh - what a sensitivity table costs: the full-pass
# equivalents spent against the cells (layers x settings) it measured.
#
#   bench/sensitivity.sh [MODEL [IMAGES LABELS]]...
#
# With no arguments: the demo CNN on the Fashion-MNIST test set, then
# resnet18 and mobilenet_v2 from the torchvision zoo (tests/zoo, made by
# 'make zoo') on its 3x32x32 test images, where they have been built.  No cache is read or written.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHITTLE=${WHITTLE:-$ROOT/whittle}
THREADS=${BENCH_THREADS:-2}

row() {	# row MODEL [data options]
	model=$1
	shift
	out=$(mktemp)
	start=$(date +%s.%N)
	if ! "$WHITTLE" sensitivity "$model" "$@" --no-cache --quiet --json \
		--threads "$THREADS" >"$out" 2>/dev/null; then
		printf '%-28s failed: %s\n' "$(basename "$model")" \
			"$("$WHITTLE" sensitivity "$model" "$@" --no-cache --quiet \
			--settings int8 2>&1 >/dev/null | head -n 1)"
		rm -f "$out"
		return
	fi
	end=$(date +%s.%N)
	/usr/bin/python3 - "$out" "$(basename "$model")" "$start" "$end" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
cells = len(t["layers"]) * len(t["settings"])
done = sum(1 for c in t["cells"] if c["status"] == "done")
early = sum(1 for c in t["cells"] if c["status"] == "early")
skipped = sum(1 for c in t["cells"] if c["status"] == "skipped")
p = t["passes"]
print("%-28s %6d %7d %6d %6d %8.1f %7.3f %8.1f" % (sys.argv[2], cells, done,
      early, skipped, p, p / cells, float(sys.argv[4]) - float(sys.argv[3])))
PY
	rm -f "$out"
}

printf '%-28s %6s %7s %6s %6s %8s %7s %8s\n' model cells done early \
	skipped passes "p/cell" seconds
if [ $# -gt 0 ]; then
	while [ $# -gt 0 ]; do
		if [ $# -ge 3 ] && [ -f "$2" ]; then
			row "$1" --data "$2" --labels "$3"
			shift 3
		else
			row "$1"
			shift
		fi
	done
else
	row "$ROOT/share/models/fashion-cnn.onnx"
	# the zoo's test images, 3x32x32, as 'make zoo' writes them
	zimages=$ROOT/tests/zoo/t10k-images-3x32x32.idx
	zlabels=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist/t10k-labels-idx1-ubyte.gz
	for m in resnet18 mobilenet_v2; do
		f=$(ls "$ROOT"/tests/zoo/"$m"*op17*.onnx "$ROOT"/tests/zoo/"$m"*.onnx \
			2>/dev/null | head -n 1)
		if [ -n "$f" ] && [ -f "$zimages" ]; then
			row "$f" --data "$zimages" --labels "$zlabels"
		else
			printf '%-28s not built (make zoo)\n' "$m"
		fi
	done
fi
