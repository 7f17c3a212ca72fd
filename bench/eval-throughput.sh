#!/bin/sh
# eval-throughput.sh - evaluation throughput of whittle against ONNX Runtime
# and PyTorch on the demo CNN and the 10,000 Fashion-MNIST test images, on
# the torchvision zoo (--zoo), or at 3x224x224 (--224).
#
#   bench/eval-throughput.sh [-t THREADS] [-r REPEATS] [-b BATCH] [--no-ort] [--no-torch]
#   bench/eval-throughput.sh --zoo [-n IMAGES] [...]
#   bench/eval-throughput.sh --224 [...]
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
DATA_DIR=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
IMAGES=$DATA_DIR/t10k-images-idx3-ubyte.gz
LABELS=$DATA_DIR/t10k-labels-idx1-ubyte.gz
# the model's preprocessing (its whittle.input.* metadata)
SCALE=0.00392156862745098
MEAN=0.2860
STD=0.3530
DO_ORT=1
DO_TORCH=1
MODE=demo
ZOO_IMAGES=2000
ZOO_DIR=${WHITTLE_ZOO_DIR:-$ROOT/tests/zoo}
ZOO_SMALL=$ROOT/tests/fixtures/models/zoo
ZOO_REF=$ROOT/tests/fixtures/ref/zoo

usage() {
	cat <<EOF
usage: bench/eval-throughput.sh [options]

Times the evaluation of share/models/fashion-cnn.onnx on the 10,000
Fashion-MNIST test images with whittle, ONNX Runtime (onnxruntime-node)
and PyTorch, with the same threads and batch size, and prints the median
seconds, images/s and whittle's throughput relative to each peer.

  -t, --threads N   threads for every runtime (default 2; env BENCH_THREADS)
  -r, --repeats N   timed passes per runtime, median taken (default 7, 3 with --zoo or --224;
                    env BENCH_REPEATS)
  -b, --batch N     batch size (default 256, 32 with --224; env BENCH_BATCH)
      --zoo         every torchvision model of tools/train_zoo.py (opset 13)
                    and the demo, one row each, with the median over the
                    models, and the peak RSS of whittle and ONNX Runtime
  -n, --images N    with --zoo: test images per zoo model (default 2000;
                    the demo always gets all 10,000)
      --224         resnet18 and mobilenet_v2 at 3x224x224 with random
                    weights on 256 synthetic images (made on first use by
                    tools/train_zoo.py --bench224 in tests/zoo/bench224/)
      --no-ort      skip ONNX Runtime
      --no-torch    skip PyTorch
  -h, --help        show this help

environment: WHITTLE (binary, default ./whittle in the project root),
PYTHON (default /usr/bin/python3), NODE, NPM, ORT_NODE_DIR (a node_modules
directory holding onnxruntime-node), WHITTLE_DATA_DIR (the folder holding
fashion-mnist/, as for whittle), WHITTLE_ZOO_DIR (the large zoo models and every model's state_dict for
PyTorch, default tests/zoo; 'make zoo' builds it).
EOF
}

die() { echo "eval-throughput: $*" >&2; exit 1; }
note() { echo "$*" >&2; }

is_count() { case $1 in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	-t|--threads) [ $# -ge 2 ] || { usage >&2; exit 2; }; THREADS=$2; shift 2 ;;
	--threads=*) THREADS=${1#*=}; shift ;;
	-r|--repeats) [ $# -ge 2 ] || { usage >&2; exit 2; }; REPEATS=$2; REPEATS_SET=1; shift 2 ;;
	--repeats=*) REPEATS=${1#*=}; REPEATS_SET=1; shift ;;
	-b|--batch) [ $# -ge 2 ] || { usage >&2; exit 2; }; BATCH=$2; BATCH_SET=1; shift 2 ;;
	--batch=*) BATCH=${1#*=}; BATCH_SET=1; shift ;;
	--zoo) MODE=zoo; shift ;;
	--224) MODE=224; shift ;;
	-n|--images) [ $# -ge 2 ] || { usage >&2; exit 2; }; ZOO_IMAGES=$2; shift 2 ;;
	--images=*) ZOO_IMAGES=${1#*=}; shift ;;
	--no-ort) DO_ORT=0; shift ;;
	--no-torch) DO_TORCH=0; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "eval-throughput: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
is_count "$THREADS" || die "threads must be a positive integer, not '$THREADS'"
is_count "$REPEATS" || die "repeats must be a positive integer, not '$REPEATS'"
is_count "$BATCH" || die "batch must be a positive integer, not '$BATCH'"
is_count "$ZOO_IMAGES" || die "images must be a positive integer, not '$ZOO_IMAGES'"
# the zoo and 224 modes: 3 repeats, and at 224 batches of 32, unless told
if [ "$MODE" != demo ] && [ -z "${BENCH_REPEATS:-}" ] && [ -z "${REPEATS_SET:-}" ]; then
	REPEATS=3
fi
if [ "$MODE" = 224 ] && [ -z "${BENCH_BATCH:-}" ] && [ -z "${BATCH_SET:-}" ]; then
	BATCH=32
fi

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

# ---------------------------------------------------------------- zoo, 224

if [ "$MODE" != demo ]; then
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/eval-throughput.XXXXXX") || die "mktemp failed"
	trap 'rm -rf "$TMP"' EXIT
	HAVE_TIME=0
	[ -x /usr/bin/time ] && HAVE_TIME=1

	# rss OUT CMD...: runs CMD, its stdout to OUT; its peak RSS in MiB in RSS
	rss() {
		_o=$1
		shift
		RSS=-
		if [ "$HAVE_TIME" = 1 ]; then
			/usr/bin/time -f '%M' -o "$TMP/time" "$@" >"$_o" 2>"$TMP/err" ||
				return 1
			RSS=$(tail -n 1 "$TMP/time" | awk '{ printf "%.0f", $1 / 1024 }')
		else
			"$@" >"$_o" 2>"$TMP/err" || return 1
		fi
	}
	# whittle_pass MODEL IMAGES LABELS LIMIT: one timed pass into W_S, W_C
	whittle_pass() {
		rss "$TMP/w.json" "$WHITTLE" eval "$1" --data "$2" --labels "$3" \
			--limit "$4" --json --quiet --threads "$THREADS" --batch "$BATCH" ||
			return 1
		W_S=$(json_field seconds <"$TMP/w.json")
		W_C=$(json_field correct <"$TMP/w.json")
		W_N=$(json_field samples <"$TMP/w.json")
		W_TIMES="$W_TIMES $W_S"
		[ "$RSS" != - ] && [ "$RSS" -gt "$W_RSS" ] && W_RSS=$RSS
		note "    whittle    ${W_S} s, $W_C correct, peak RSS $RSS MiB"
	}
	# row NAME MODEL IMAGES LABELS LIMIT [ARCH STATE]: one model, all runtimes
	ROWS=
	ORT_RATIOS= TORCH_RATIOS=
	row() {
		_name=$1 _model=$2 _im=$3 _lb=$4 _lim=$5 _arch=${6:-} _pt=${7:-}
		note "$_name: $_model"
		if [ ! -f "$_model" ]; then
			ROWS="$ROWS$(printf '%-26s not built (make zoo)' "$_name")
"
			return
		fi
		W_TIMES= W_RSS=0
		if ! whittle_pass "$_model" "$_im" "$_lb" "$_lim"; then
			_why=$(sed 's/^whittle: [^ ]*: //' "$TMP/err" | head -n 1)
			note "    whittle cannot load it: $_why"
			ROWS="$ROWS$(printf '%-26s whittle cannot load it: %s' "$_name" "$_why")
"
			return
		fi
		_i=1
		while [ "$_i" -lt "$N1" ]; do whittle_pass "$_model" "$_im" "$_lb" "$_lim" || die "whittle eval failed"; _i=$((_i + 1)); done
		_os=- _oc=- _orss=-
		if [ "$DO_ORT" = 1 ]; then
			if ORT_LIMIT=$_lim rss "$TMP/o.json" "$NODE" "$BENCH/ort-eval.js" "$_model" "$_im" "$_lb" \
				"$THREADS" "$BATCH" "$REPEATS" $SCALE $MEAN $STD; then
				_os=$(json_field seconds <"$TMP/o.json")
				_oc=$(json_field correct <"$TMP/o.json")
				_orss=$RSS
				note "    onnxruntime ${_os} s (median of $REPEATS), $_oc correct, peak RSS $_orss MiB"
			else
				note "    onnxruntime failed: $(head -n 1 "$TMP/err")"
			fi
		fi
		_i=0
		while [ "$_i" -lt "$N2" ]; do whittle_pass "$_model" "$_im" "$_lb" "$_lim" || die "whittle eval failed"; _i=$((_i + 1)); done
		_ts=- _tc=-
		if [ "$DO_TORCH" = 1 ]; then
			if [ -n "$_arch" ] && [ ! -f "$_pt" ]; then
				note "    pytorch: no $_pt (tools/train_zoo.py writes it)"
			elif TORCH_LIMIT=$_lim "$PYTHON" "$BENCH/torch-eval.py" ${_arch:+--arch "$_arch"} \
				"${_pt:-$_model}" "$_im" "$_lb" "$THREADS" "$BATCH" "$REPEATS" \
				$SCALE $MEAN $STD >"$TMP/t.json" 2>"$TMP/err"; then
				_ts=$(json_field seconds <"$TMP/t.json")
				_tc=$(json_field correct <"$TMP/t.json")
				note "    pytorch     ${_ts} s (median of $REPEATS), $_tc correct"
			else
				note "    pytorch failed: $(tail -n 1 "$TMP/err")"
			fi
		fi
		_i=0
		while [ "$_i" -lt "$N3" ]; do whittle_pass "$_model" "$_im" "$_lb" "$_lim" || die "whittle eval failed"; _i=$((_i + 1)); done
		# shellcheck disable=SC2086
		_ws=$(median $W_TIMES)
		_or=- _tr=-
		if [ "$_os" != - ]; then
			_or=$(awk "BEGIN { printf \"%.2f\", $_os / $_ws }")
			_os=$(awk "BEGIN { printf \"%.4f\", $_os }")
		fi
		if [ "$_ts" != - ]; then
			_tr=$(awk "BEGIN { printf \"%.2f\", $_ts / $_ws }")
			_ts=$(awk "BEGIN { printf \"%.4f\", $_ts }")
		fi
		if [ "$_name" != demo ]; then
			[ "$_or" != - ] && ORT_RATIOS="$ORT_RATIOS $_or"
			[ "$_tr" != - ] && TORCH_RATIOS="$TORCH_RATIOS $_tr"
		fi
		_agree=yes
		{ [ "$_oc" = - ] || [ "$_oc" = "$W_C" ]; } && { [ "$_tc" = - ] || [ "$_tc" = "$W_C" ]; } ||
			_agree="no ($W_C/$_oc/$_tc)"
		ROWS="$ROWS$(printf '%-26s %6s %9.4f %9s %9s %8s %8s %8s %8s  %s' "$_name" "$W_N" "$_ws" \
			"$_os" "$_ts" "$_or" "$_tr" "$W_RSS" "$_orss" "$_agree")
"
	}

	N1=$(( (REPEATS + 2) / 3 )) N2=$(( (REPEATS + 1) / 3 )) N3=$(( REPEATS / 3 ))
	if [ "$MODE" = zoo ]; then
		ZIMAGES=$ZOO_DIR/t10k-images-3x32x32.idx
		if [ ! -f "$ZIMAGES" ]; then
			[ -x "$ROOT/tests/ort/zoo-data" ] ||
				die "$ZIMAGES is missing: build tests/ort/zoo-data (make check or make tests/ort/zoo-data) or run tools/train_zoo.py"
			mkdir -p "$ZOO_DIR" && "$ROOT/tests/ort/zoo-data" "$IMAGES" "$ZIMAGES" 32 3 ||
				die "could not write $ZIMAGES"
		fi
		TITLE="zoo: the demo on 10000 Fashion-MNIST test images, the torchvision models (opset 13) on the first $ZOO_IMAGES at 3x32x32"
		row demo "$MODEL" "$IMAGES" "$LABELS" 10000
		for json in "$ZOO_REF"/*.json; do
			[ -f "$json" ] || continue
			name=$(basename "$json" .json)
			f=$ZOO_SMALL/$name-op13.onnx
			[ -f "$f" ] || f=$ZOO_DIR/$name-op13.onnx
			row "$name" "$f" "$ZIMAGES" "$LABELS" "$ZOO_IMAGES" "$name" "$ZOO_DIR/$name.pt"
		done
	else
		B224=$ZOO_DIR/bench224
		if [ ! -f "$B224/synthetic-224-labels.idx" ]; then
			note "writing the 224x224 models and images into $B224 ..."
			"$PYTHON" "$ROOT/tools/train_zoo.py" --bench224 "$B224" >&2 ||
				die "tools/train_zoo.py --bench224 failed"
		fi
		TITLE="224: random-weight models at 3x224x224, 256 synthetic images"
		for name in resnet18 mobilenet_v2; do
			row "$name-224" "$B224/$name-224.onnx" "$B224/synthetic-224-images.idx" \
				"$B224/synthetic-224-labels.idx" 256 "$name" "$B224/$name-224.pt"
		done
	fi

	echo
	echo "eval throughput, $TITLE; threads $THREADS, batch $BATCH, median of $REPEATS"
	printf '%-26s %6s %9s %9s %9s %8s %8s %8s %8s  %s\n' model images "whittle s" "ORT s" \
		"torch s" ORT/wh torch/wh "wh MiB" "ORT MiB" "same correct"
	printf '%s' "$ROWS"
	if [ "$MODE" = zoo ]; then
		# shellcheck disable=SC2086
		[ -n "$ORT_RATIOS" ] && printf 'median over the zoo models whittle runs: ORT/whittle %.2f' "$(median $ORT_RATIOS)"
		# shellcheck disable=SC2086
		[ -n "$TORCH_RATIOS" ] && printf ', torch/whittle %.2f' "$(median $TORCH_RATIOS)"
		echo
	fi
	echo "(ORT/wh, torch/wh: the peer's time divided by whittle's, above 1 means whittle is faster;"
	echo " MiB: peak RSS of one whittle eval process and of the ONNX Runtime process)"
	echo "ONNX Runtime: ${ORT_STATUS:-onnxruntime-node}; PyTorch: ${TORCH_STATUS:-$PYTHON}"
	exit 0
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
