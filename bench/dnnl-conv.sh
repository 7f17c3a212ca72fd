#!/bin/sh
# dnnl-conv.sh - single convolutions at a batch of 256: whittle's reference
# kernels, whittle's oneDNN kernels and ONNX Runtime, with the same threads.
#
#   bench/dnnl-conv.sh [-t THREADS] [-r REPEATS] [-b BATCH]
#
# See bench/README.md.  Progress goes to stderr, the table to stdout.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
THREADS=${BENCH_THREADS:-2}
REPEATS=${BENCH_REPEATS:-11}
BATCH=${BENCH_BATCH:-256}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
PROG=${DNNL_CONV:-$BENCH/dnnl-conv}

die() { echo "dnnl-conv: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	-t) THREADS=$2; shift 2 ;;
	-r) REPEATS=$2; shift 2 ;;
	-b) BATCH=$2; shift 2 ;;
	-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -x "$PROG" ] || die "$PROG not found (build it with 'make bench/dnnl-conv')"
"$NODE" "$BENCH/ort-eval.js" --check >/dev/null 2>&1 ||
	die "onnxruntime-node not found (bench/eval-throughput.sh installs it into bench/node_modules)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PYTHON" "$BENCH/dnnl-conv-models.py" "$TMP" > "$TMP/list" ||
	die "could not write the models (needs $PYTHON with numpy and onnx)"

echo "single convolutions: batch $BATCH, threads $THREADS, median of $REPEATS"
printf '%-20s %-36s %8s %8s %8s %8s %8s %8s %8s  %s\n' shape geometry \
	"ref ms" "dnnl ms" "omp ms" "ORT ms" ORT/ref ORT/dnnl ORT/omp "oneDNN ran"
while read -r file desc; do
	name=${file%.onnx}
	note=$(echo "$desc" | sed 's/ -> .*//')
	c=$(echo "$note" | cut -dx -f1)
	h=$(echo "$note" | cut -dx -f2)
	w=$(echo "$note" | cut -dx -f3)
	echo "$name ..." >&2
	set -- $("$PROG" "$TMP/$file" "$BATCH" "$THREADS" "$REPEATS") ||
		die "$name: dnnl-conv failed"
	ref=$1 dnl=$2 omp=$3
	shift 3
	impl="$*"
	ort=$("$NODE" "$BENCH/ort-op.js" "$TMP/$file" "$BATCH" "$THREADS" \
		"$REPEATS" "$c" "$h" "$w" | sed -n 's/.*"ms":\([0-9.eE+-]*\).*/\1/p')
	awk -v n="$name" -v d="$desc" -v r="$ref" -v x="$dnl" -v p="$omp" \
		-v o="$ort" -v i="$impl" 'BEGIN { printf "%-20s %-36s %8.3f %8.3f %8.3f %8.3f %8.2f %8.2f %8.2f  %s\n",
		n, d, r, x, p, o, o / r, o / x, o / p, i }'
done < "$TMP/list"
echo "(ORT/x = ONNX Runtime's time divided by x's; above 1 means x is faster)"
