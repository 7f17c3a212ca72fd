# lib.sh - driving the workbench in a private tmux server (sourced after
# tests/cli/lib.sh).  Assertions poll what the screen shows, as a person
# would read it, with a bound on the wait; no fixed sleeps.
: "${TMUX_BIN:=tmux}"
[ "$TMUX_BIN" = no ] && TMUX_BIN=
unset TMUX
TSOCK=whittle-test-$$
tsock_n=0
trap 'tui_kill; rm -rf "$TMPD"' EXIT

# tui_kill: ends the current server and removes its socket
tui_kill() {
	[ -n "$TMUX_BIN" ] || return 0
	"$TMUX_BIN" -L "$TSOCK" kill-server >/dev/null 2>&1
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TSOCK"
}

# tui_usable: tmux can be run
tui_usable() {
	[ -n "$TMUX_BIN" ] && "$TMUX_BIN" -V >/dev/null 2>&1
}

# tui_require: the whole test is skipped, with the reason, unless tmux
# can run and the Fashion-MNIST test split the workbench opens is there
tui_require() {
	if ! tui_usable; then
		skip "tmux is not installed (Debian: tmux)"
		done_testing
	fi
	if ! have_fashion; then
		skip "the Fashion-MNIST test split is not installed"
		done_testing
	fi
}

T() {
	"$TMUX_BIN" -L "$TSOCK" "$@"
}

# tui_start COLS ROWS ARGS...: a fresh server running the workbench in a
# shell that reports its exit status as "EXITED n" and stays.  Each
# server has a socket of its own, so none meets one still shutting down.
tui_start() {
	cols=$1 rows=$2
	shift 2
	tui_kill
	tsock_n=$((tsock_n + 1))
	TSOCK=whittle-test-$$-$tsock_n
	T -f /dev/null new-session -d -s w -x "$cols" -y "$rows" \
	    "cd '$TMPD' && LC_ALL=\${TUI_LOCALE:-C.UTF-8} XDG_CACHE_HOME='$TMPD/cache' $TUI_ENV '$WHITTLE' $*; echo EXITED \$?; exec sleep 600"
}

screen() {
	T capture-pane -p -t w
}

keys() {
	T send-keys -t w "$@"
}

# wait_for PATTERN [SECONDS]: polls the screen every 0.2 s until an
# extended regular expression matches it and the screen is the same 0.2 s
# later (so a redraw caught half-way does not count); the bound defaults
# to 60 s.  $ALSO, when set, must match the same screen.
wait_for() {
	pat=$1
	limit=${2:-60}
	i=0
	while [ "$i" -lt $((limit * 5)) ]; do
		screen >"$TMPD/screen" 2>/dev/null
		if grep -Eq -- "$pat" "$TMPD/screen" &&
		    { [ -z "$ALSO" ] || grep -Eq -- "$ALSO" "$TMPD/screen"; }; then
			sleep 0.2
			screen >"$TMPD/screen2" 2>/dev/null
			cmp -s "$TMPD/screen" "$TMPD/screen2" && return 0
		else
			sleep 0.2
		fi
		i=$((i + 1))
	done
	diag "waited ${limit}s for /$pat/${ALSO:+ and /$ALSO/}; the screen:"
	diag "$(cat "$TMPD/screen")"
	return 1
}

# The first match of an extended regular expression on the last screen.
grab() {
	grep -Eo -- "$1" "$TMPD/screen" | head -n 1
}
