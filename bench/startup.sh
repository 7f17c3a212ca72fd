#!/bin/sh
# startup.sh - time from starting the workbench on the demo model to its
# first full screen (layer table, plots and summary drawn; the baseline and
# the spectra may still be filling in), seen through tmux as a person
# would see it.  Prints the median of R starts.
#
#   bench/startup.sh [-r REPEATS]
set -e
cd "$(dirname "$0")/.."
repeats=${BENCH_REPEATS:-7}
[ "$1" = -r ] && repeats=$2
command -v tmux >/dev/null || { echo "startup: tmux is not installed" >&2; exit 1; }
make -s whittle >/dev/null
sock=whittle-bench-$$
times=""
i=0
while [ $i -lt "$repeats" ]; do
	i=$((i + 1))
	t0=$(date +%s.%N)
	tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 36 ./whittle
	while :; do
		screen=$(tmux -L "$sock" capture-pane -p 2>/dev/null || true)
		case $screen in *"weights of"*) ;; *) sleep 0.005; continue ;; esac
		case $screen in *"/9/Gemm"*) ;; *) sleep 0.005; continue ;; esac
		case $screen in *"singular values"*) ;; *) sleep 0.005; continue ;; esac
		case $screen in *"accuracy and size"*) break ;; esac
		sleep 0.005
	done
	t1=$(date +%s.%N)
	tmux -L "$sock" kill-server 2>/dev/null || true
	times="$times $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
done
echo "$times" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '
	{ v[NR] = $1 }
	END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	      printf "workbench start-up to first full screen: median %.3f s over %d starts (aim: under 0.3 s)\n", m, NR }'
