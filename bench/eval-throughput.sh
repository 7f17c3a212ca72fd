#!/bin/sh
# eval-throughput.sh - evaluation throughput of whittle against ONNX Runtime
# and PyTorch on the demo CNN and the 10,000 Fashion-MNIST test images.
#
#   bench/eval-throughput.sh [-t THREADS] [-r REPEATS] [-b BATCH] [--no-ort] [--no-torch]
#
# See bench/README.md.  Progress goes to stderr, the result table to stdout.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench

THREADS=${BENCH_THREADS:-2}
REPEATS=${BENCH_REPEATS:-7}
BATCH=${BENCH_BATCH:-256}
WHITTLE=${WHITTLE:-$ROOT/whittle}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
NPM=${NPM:-npm}
MODEL=$ROOT/share/models/fashion-cnn.onnx
DATA_DIR=${WHITTLE_DATA_DIR:-/usr/share/datasets/fashion-mnist}
IMAGES=$DATA_DIR/t10k-images-idx3-ubyte.gz
LABELS=$DATA_DIR/t10k-labels-idx1-ubyte.gz
# the model's preprocessing (its whittle.input.* metadata)
SCALE=0.00392156862745098
MEAN=0.2860
STD=0.3530
DO_ORT=1
DO_TORCH=1

usage() {
	cat <<EOF
usage: bench/eval-throughput.sh [options]

Times the evaluation of share/models/fashion-cnn.onnx on the 10,000
Fashion-MNIST test images with whittle, ONNX Runtime (onnxruntime-node)
and PyTorch, with the same threads and batch size, and prints the median
seconds, images/s and whittle's throughput relative to each peer.

  -t, --threads N   threads for every runtime (default 2; env BENCH_THREADS)
  -r, --repeats N   timed passes per runtime, median taken (default 7;
                    env BENCH_REPEATS)
  -b, --batch N     batch size (default 256; env BENCH_BATCH)
      --no-ort      skip ONNX Runtime
      --no-torch    skip PyTorch
  -h, --help        show this help

environment: WHITTLE (binary, default ./whittle in the project root),
PYTHON (default /usr/bin/python3), NODE, NPM, ORT_NODE_DIR (a node_modules
directory holding onnxruntime-node), WHITTLE_DATA_DIR (Fashion-MNIST dir).
EOF
}

die() { echo "eval-throughput: $*" >&2; exit 1; }
note() { echo "$*" >&2; }

is_count() { case $1 in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	-t|--threads) [ $# -ge 2 ] || { usage >&2; exit 2; }; THREADS=$2; shift 2 ;;
	--threads=*) THREADS=${1#*=}; shift ;;
	-r|--repeats) [ $# -ge 2 ] || { usage >&2; exit 2; }; REPEATS=$2; shift 2 ;;
	--repeats=*) REPEATS=${1#*=}; shift ;;
	-b|--batch) [ $# -ge 2 ] || { usage >&2; exit 2; }; BATCH=$2; shift 2 ;;
	--batch=*) BATCH=${1#*=}; shift ;;
	--no-ort) DO_ORT=0; shift ;;
	--no-torch) DO_TORCH=0; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "eval-throughput: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
is_count "$THREADS" || die "threads must be a positive integer, not '$THREADS'"
is_count "$REPEATS" || die "repeats must be a positive integer, not '$REPEATS'"
is_count "$BATCH" || die "batch must be a positive integer, not '$BATCH'"

[ -x "$WHITTLE" ] || die "$WHITTLE not found or not executable (build it with 'make whittle', or set WHITTLE)"
[ -f "$MODEL" ] || die "$MODEL not found"
{ [ -f "$IMAGES" ] && [ -f "$LABELS" ]; } || die "Fashion-MNIST test set not found in $DATA_DIR (set WHITTLE_DATA_DIR)"

# json_field NAME: the number stored under "NAME" in the JSON text on stdin
json_field() {
	tr -d ' \t\r\n' | sed -n "s/.*\"$1\":\([-+0-9.eE]*\).*/\1/p"
}
# json_string NAME: the string stored under "NAME"
json_string() {
	tr -d '\r\n' | sed -n "s/.*\"$1\":[ 	]*\"\([^\"]*\)\".*/\1/p"
}
# median of the numbers given as arguments
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
		      else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- peers

ORT_STATUS="skipped (--no-ort)"
if [ "$DO_ORT" = 1 ]; then
	ORT_STATUS=
	if ! command -v "$NODE" >/dev/null 2>&1; then
		ORT_STATUS="skipped (node not found)"
	elif ! "$NODE" "$BENCH/ort-eval.js" --check >/dev/null 2>&1; then
		if ! command -v "$NPM" >/dev/null 2>&1; then
			ORT_STATUS="skipped (onnxruntime-node missing and npm not found)"
		else
			note "installing onnxruntime-node into bench/node_modules ..."
			if "$NPM" install --prefix "$BENCH" --ignore-scripts --no-audit --no-fund \
				onnxruntime-node >&2 && "$NODE" "$BENCH/ort-eval.js" --check >/dev/null 2>&1; then
				:
			else
				ORT_STATUS="skipped (npm install onnxruntime-node failed)"
			fi
		fi
	fi
	if [ -n "$ORT_STATUS" ]; then
		note "ONNX Runtime: $ORT_STATUS"
		DO_ORT=0
	fi
fi

TORCH_STATUS="skipped (--no-torch)"
if [ "$DO_TORCH" = 1 ]; then
	TORCH_STATUS=
	if ! command -v "$PYTHON" >/dev/null 2>&1; then
		TORCH_STATUS="skipped ($PYTHON not found)"
	elif ! "$PYTHON" -c 'import torch, onnx, numpy' >/dev/null 2>&1; then
		TORCH_STATUS="skipped ($PYTHON cannot import torch, onnx and numpy)"
	fi
	if [ -n "$TORCH_STATUS" ]; then
		note "PyTorch: $TORCH_STATUS"
		DO_TORCH=0
	fi
fi

# ---------------------------------------------------------------- runs

W_TIMES=
W_CORRECT=
N=
run_whittle() {	# run_whittle COUNT
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_out=$("$WHITTLE" eval "$MODEL" --data "$IMAGES" --labels "$LABELS" \
			--json --quiet --threads "$THREADS" --batch "$BATCH") ||
			die "whittle eval failed"
		_s=$(printf '%s\n' "$_out" | json_field seconds)
		_c=$(printf '%s\n' "$_out" | json_field correct)
		{ [ -n "$_s" ] && [ -n "$_c" ]; } || die "no seconds/correct in whittle's JSON output"
		if [ -n "$W_CORRECT" ] && [ "$_c" != "$W_CORRECT" ]; then
			die "whittle runs disagree: $W_CORRECT vs $_c correct"
		fi
		W_CORRECT=$_c
		N=$(printf '%s\n' "$_out" | json_field samples)
		W_TIMES="$W_TIMES $_s"
		note "  whittle    ${_s} s"
		_i=$((_i + 1))
	done
}

PEER_ARGS="$MODEL $IMAGES $LABELS $THREADS $BATCH $REPEATS $SCALE $MEAN $STD"

note "model $MODEL"
note "data  $IMAGES"
note "threads $THREADS, batch $BATCH, repeats $REPEATS"

# whittle's runs are spread before, between and after the peers' sessions
# so that slow phases of a noisy machine affect every runtime alike.
N1=$(( (REPEATS + 2) / 3 )) N2=$(( (REPEATS + 1) / 3 )) N3=$(( REPEATS / 3 ))

run_whittle "$N1"

ORT_JSON=
if [ "$DO_ORT" = 1 ]; then
	note "  onnxruntime-node: $REPEATS passes in one session ..."
	# shellcheck disable=SC2086
	ORT_JSON=$("$NODE" "$BENCH/ort-eval.js" $PEER_ARGS) || die "ort-eval.js failed"
	note "  $ORT_JSON"
fi

run_whittle "$N2"

TORCH_JSON=
if [ "$DO_TORCH" = 1 ]; then
	note "  pytorch: $REPEATS passes in one process ..."
	# shellcheck disable=SC2086
	TORCH_JSON=$("$PYTHON" "$BENCH/torch-eval.py" $PEER_ARGS) || die "torch-eval.py failed"
	note "  $TORCH_JSON"
fi

run_whittle "$N3"

# ---------------------------------------------------------------- report

# shellcheck disable=SC2086
W_MED=$(median $W_TIMES)
W_VERSION=$("$WHITTLE" --version 2>/dev/null | head -n 1 | awk '{ print $NF }')

echo
echo "eval throughput: $(basename "$MODEL"), $N Fashion-MNIST test images, threads $THREADS, batch $BATCH, median of $REPEATS"
printf '%-18s %-10s %10s %10s %9s %14s\n' runtime version "median s" "images/s" correct "whittle/peer"
printf '%-18s %-10s %10.4f %10.0f %9s %14s\n' whittle "${W_VERSION:-?}" "$W_MED" \
	"$(awk "BEGIN { print $N / $W_MED }")" "$W_CORRECT" -

STATUS=0
peer_row() {	# peer_row NAME JSON STATUS
	if [ -z "$2" ]; then
		printf '%-18s %s\n' "$1" "$3"
		return
	fi
	_s=$(printf '%s\n' "$2" | json_field seconds)
	_c=$(printf '%s\n' "$2" | json_field correct)
	_v=$(printf '%s\n' "$2" | json_string version)
	printf '%-18s %-10s %10.4f %10.0f %9s %14.2f\n' "$1" "${_v:-?}" "$_s" \
		"$(awk "BEGIN { print $N / $_s }")" "$_c" "$(awk "BEGIN { print $_s / $W_MED }")"
	if [ "$_c" != "$W_CORRECT" ]; then
		MISMATCH="$MISMATCH $1"
	fi
}
MISMATCH=
peer_row onnxruntime-node "$ORT_JSON" "$ORT_STATUS"
peer_row pytorch "$TORCH_JSON" "$TORCH_STATUS"
echo "(whittle/peer = whittle images/s divided by the peer's; above 1 means whittle is faster)"

if [ -n "$MISMATCH" ]; then
	echo "FAIL: correct predictions differ between whittle and$MISMATCH" >&2
	STATUS=1
elif [ -z "$ORT_JSON$TORCH_JSON" ]; then
	echo "no peer ran: nothing to compare ($W_CORRECT of $N correct)"
else
	echo "correct predictions agree: $W_CORRECT of $N"
fi
exit $STATUS
