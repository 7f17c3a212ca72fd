#!/bin/sh
# keys.sh - how soon the workbench answers a key while the evaluator runs.
#
#   bench/keys.sh [-n KEYS] [MODEL IMAGES LABELS]
#
# Opens the workbench in a private tmux server (default: the demo CNN on
# the 10k Fashion-MNIST test set; a larger model such as resnet18 of the
# zoo keeps the evaluator busy longer), changes the first layer's bits so
# that a full evaluation runs, and then, while the screen still says
# "evaluating", presses ? (the help opens) and Esc (it closes), KEYS
# times each.  Each answer is timed from tmux send-keys to the first
# screen capture showing it, so the figures include tmux's own round trip
# (a few milliseconds).  Prints the median and the largest against the
# 100 ms in which a person notices a delay; a key pressed while nothing
# was evaluating is not counted.
set -u
cd "$(dirname "$0")/.."
n=10
if [ "${1:-}" = -n ]; then
	n=$2
	shift 2
fi
fmnist=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
model=${1:-share/models/fashion-cnn.onnx}
images=${2:-$fmnist/t10k-images-idx3-ubyte.gz}
labels=${3:-$fmnist/t10k-labels-idx1-ubyte.gz}
WHITTLE=${WHITTLE:-./whittle}
command -v tmux >/dev/null 2>&1 || { echo "keys.sh: tmux is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
sock=whittle-keys-$$
cleanup() { tmux -L "$sock" kill-server >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
unset TMUX

T() { tmux -L "$sock" "$@"; }
screen() { T capture-pane -p -t w; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# until PATTERN [present|absent] SECONDS: polls as fast as tmux answers;
# 0 once the screen matches (or no longer does)
until_screen() {
	end=$(($(now_ms) + $3 * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		if screen | grep -Eq -- "$1"; then
			[ "$2" = present ] && return 0
		else
			[ "$2" = absent ] && return 0
		fi
	done
	return 1
}

T -f /dev/null new-session -d -s w -x 120 -y 40 \
	"XDG_CACHE_HOME='$tmp/cache' LC_ALL=C.UTF-8 '$WHITTLE' '$model' --data '$images' --labels '$labels'; exec sleep 600"
until_screen "up to date" present 300 ||
	{ echo "keys.sh: the workbench did not finish its baseline" >&2; exit 1; }

# press_help: ? and Esc, each answer's milliseconds appended to $times
press_help() {
	t0=$(now_ms)
	T send-keys -t w '?'
	until_screen "this help" present 10 || { echo "keys.sh: ? was not answered" >&2; exit 1; }
	t1=$(now_ms)
	T send-keys -t w Escape
	until_screen "this help" absent 10 || { echo "keys.sh: Esc was not answered" >&2; exit 1; }
	t2=$(now_ms)
	times="$times $((t1 - t0)) $((t2 - t1))"
}

# stats: "N, median M ms, largest L ms" of $times
stats() {
	echo "$times" | tr ' ' '\n' | grep -v '^$' | sort -n >"$tmp/t"
	cnt=$(wc -l <"$tmp/t")
	med=$(awk -v c="$cnt" 'NR == int((c + 1) / 2) { print }' "$tmp/t")
	echo "$cnt, median $med ms, largest $(tail -n 1 "$tmp/t") ms"
}

# idle first: tmux's round trip and the drawing alone
times=""
for k in 1 2 3; do
	press_help
done
idle=$(stats)

times=""
bits=0
k=0
tries=0
misses=0
while [ "$k" -lt "$n" ]; do
	tries=$((tries + 1))
	# an evaluation shorter than a screen capture is never seen: give
	# up after a few in a row rather than wait on each for long
	if [ "$tries" -gt $((20 * n)) ] || [ "$misses" -ge 5 ]; then
		echo "keys.sh: the evaluations end too soon to press a key during one; try a larger model" >&2
		exit 1
	fi
	if ! screen | grep -q "evaluating"; then
		# a new setting of the first layer: a full evaluation again
		# (first to the bits column, then down and up a step in turn)
		case $bits in
		0) T send-keys -t w l l l - ;;
		*[13579]) T send-keys -t w + ;;
		*) T send-keys -t w - ;;
		esac
		bits=$((bits + 1))
		if ! until_screen "evaluating" present 10; then
			misses=$((misses + 1))
			continue
		fi
		misses=0
	fi
	press_help
	k=$((k + 1))
done
echo "keys answered on $(basename "$model"), idle: $idle"
echo "keys answered while evaluating: $(stats) (a person notices 100 ms)"
