#!/bin/sh
# search.sh - whittle search against the best uniform setting within the
# same accuracy budget, both judged by ONNX Runtime on the exported files.
#
#   bench/search.sh [-d POINTS] [-k DIR] [MODEL [IMAGES LABELS]]
#
# The uniform grid: every layer at the same integer bits (8, 6, 5, 4, 3,
# 2; symmetric, per channel, MSE clipping), with the same magnitude
# sparsity (0, 50, 70, 80, 90%) or none; each point measured by
# 'whittle plan'.  The best is the smallest within the budget.  Then
# 'whittle search --max-drop POINTS' (its cache in a temporary folder, so
# its cost is counted), and both plans exported and run by ONNX Runtime
# (onnxruntime-node, default optimization level).  ORT_ARGS holds the
# preprocessing arguments of bench/ort-eval.js (SCALE MEAN STD), the demo's
# by default.  -k DIR keeps the plans (the search's front included) and
# the exported files in DIR.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHITTLE=${WHITTLE:-$ROOT/whittle}
NODE=${NODE:-node}
DROP=0.5
KEEP=""
while [ $# -gt 1 ]; do
	case $1 in
	-d) DROP=$2; shift 2 ;;
	-k) KEEP=$2; shift 2 ;;
	*) break ;;
	esac
done
MODEL=${1:-$ROOT/share/models/fashion-cnn.onnx}
DATA_DIR=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
IMAGES=${2:-$DATA_DIR/t10k-images-idx3-ubyte.gz}
LABELS=${3:-$DATA_DIR/t10k-labels-idx1-ubyte.gz}
ORT_ARGS=${ORT_ARGS:-0.00392156862745098 0.2860 0.3530}
DATA="--data $IMAGES --labels $LABELS"
TMP=$(mktemp -d)
if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP" || exit 1
	trap 'cp "$TMP"/*.json "$TMP"/*.onnx "$KEEP"/ 2>/dev/null; rm -rf "$TMP"' EXIT
else
	trap 'rm -rf "$TMP"' EXIT
fi
export XDG_CACHE_HOME="$TMP/cache"

num() {	# num FILE KEY: a top-level number of a JSON file
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

ORT_WHY=""
if ! command -v "$NODE" >/dev/null 2>&1; then
	ORT_WHY="node is not installed"
elif ! "$NODE" "$ROOT/bench/ort-eval.js" --check >/dev/null 2>&1; then
	ORT_WHY="onnxruntime-node cannot be loaded (ORT_NODE_DIR, bench/node_modules, tests/ort/node_modules)"
fi
[ -z "$ORT_WHY" ] || echo "ONNX Runtime skipped: $ORT_WHY" >&2

ort_acc() {	# ort_acc MODEL: ONNX Runtime's accuracy, or "-"
	if [ -n "$ORT_WHY" ]; then
		echo -
		return
	fi
	# shellcheck disable=SC2086
	"$NODE" "$ROOT/bench/ort-eval.js" "$1" "$IMAGES" "$LABELS" 2 256 1 \
		$ORT_ARGS 2>/dev/null | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)["accuracy"])' \
		2>/dev/null || echo -
}

echo "model $(basename "$MODEL"), budget $DROP points" >&2
best="" best_ratio=0
for bits in 8 6 5 4 3 2; do
	for sp in 0 0.5 0.7 0.8 0.9; do
		args="--bits $bits --granularity channel --clip mse"
		[ "$sp" = 0 ] || args="$args --sparsity $sp"
		# shellcheck disable=SC2086
		"$WHITTLE" plan "$MODEL" $DATA $args --quiet --json \
			-o "$TMP/u.json" >"$TMP/u.out" 2>/dev/null || continue
		acc=$(num "$TMP/u.out" accuracy)
		base=$(num "$TMP/u.out" baseline_accuracy)
		ratio=$(num "$TMP/u.out" compression_ratio)
		if awk -v a="$acc" -v b="$base" -v d="$DROP" -v r="$ratio" \
			-v br="$best_ratio" 'BEGIN { exit !((b - a) * 100 <= d + 1e-9 && r > br) }'
		then
			best="$args" best_ratio=$ratio
			cp "$TMP/u.json" "$TMP/uniform.json"
			cp "$TMP/u.out" "$TMP/uniform.out"
		fi
	done
done
start=$(date +%s)
# shellcheck disable=SC2086
"$WHITTLE" search "$MODEL" $DATA --max-drop "$DROP" --quiet --json \
	-o "$TMP/search.json" >"$TMP/search.out" 2>"$TMP/search.err" ||
	{ cat "$TMP/search.err" >&2; exit 1; }
secs=$(($(date +%s) - start))

row() {	# row NAME PLAN
	"$WHITTLE" apply "$MODEL" $DATA --plan "$2" -o "$TMP/$1.onnx" \
		>/dev/null 2>&1 || { echo "$1: apply failed"; return; }
	"$WHITTLE" eval "$MODEL" $DATA --plan "$2" --quiet --json \
		>"$TMP/$1.eval" 2>/dev/null
	size=$(wc -c <"$TMP/$1.onnx")
	orig=$(wc -c <"$MODEL")
	/usr/bin/python3 - "$1" "$TMP/$1.eval" "$size" "$orig" "$(ort_acc "$TMP/$1.onnx")" <<'PY'
import json, sys
name, ev, size, orig, ort = sys.argv[1:6]
e = json.load(open(ev))
b = e["baseline_accuracy"]
o = "%+.2f" % (100 * (float(ort) - b)) if ort != "-" else "-"
print("%-9s %8.2fx %8.2fx %9.2f%% %+8.2f %8s" % (name, e["compression_ratio"],
      int(orig) / int(size), 100 * e["accuracy"], 100 * (e["accuracy"] - b), o))
PY
}

printf '%-9s %9s %9s %10s %8s %8s\n' plan whittle file accuracy change ort
row uniform "$TMP/uniform.json"
row search "$TMP/search.json"
echo "uniform best: $best"
/usr/bin/python3 - "$TMP/search.out" "$best_ratio" "$secs" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ch = [p for p in s["points"] if p["chosen"]][0]
print("search/uniform: %.2fx; %d verifications, %d back-offs, %.1f full-pass "
      "equivalents, %s s" % (ch["ratio"] / float(sys.argv[2]), s["evaluations"],
      s["backoffs"], s["passes"], sys.argv[3]))
PY
