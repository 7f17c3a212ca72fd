#!/bin/sh
# setup.sh - what bootstrap and configure decide about the machine
. "$srcdir/tests/cli/lib.sh"

# ---- configure: the tmux program, whatever the environment says ----------
# Every tmux session sets TMUX to its socket; configure must not take that
# for the program (the workbench tests would all skip).
if command -v tmux >/dev/null 2>&1; then
	[ -n "$TMUX_BIN" ] && [ "$TMUX_BIN" != no ] && [ -f "$TMUX_BIN" ] &&
	    [ -x "$TMUX_BIN" ]
	ok $? "configure found the tmux program ('$TMUX_BIN')"
	grep -q '^TMUX_PROG = /' "$top_builddir/Makefile"
	ok $? "the Makefile names it as TMUX_PROG"
else
	skip "tmux is not installed"
	skip "tmux is not installed"
fi

# ---- bootstrap: which package states count as installed -----------------
BOOTSTRAP_FUNCTIONS_ONLY=1 . "$top_srcdir/bootstrap"
for st in "install ok installed" "install ok triggers-pending" \
    "install ok triggers-awaited" "hold ok installed" \
    "deinstall ok installed"; do
	pkg_state_installed "$st"
	ok $? "'$st' is installed"
done
for st in "" "unknown ok not-installed" "deinstall ok config-files" \
    "install ok unpacked" "install ok half-configured" \
    "install reinstreq half-installed"; do
	pkg_state_installed "$st"
	ok $([ $? -ne 0 ] && echo 0 || echo 1) "'$st' is not installed"
done

# missing_pkgs over a fake dpkg-query: each package's state from a table
cat >"$TMPD/dpkg-query" <<'EOS'
#!/bin/sh
for a; do p=$a; done
case $p in
tmux) printf 'install ok installed' ;;
mandoc) printf 'install ok triggers-pending' ;;
zlib1g-dev) printf 'install ok half-configured' ;;
*) echo "dpkg-query: no packages found matching $p" >&2; exit 1 ;;
esac
EOS
chmod +x "$TMPD/dpkg-query"
got=$(DPKG_QUERY="$TMPD/dpkg-query" missing_pkgs tmux mandoc zlib1g-dev cjson)
[ "$got" = " zlib1g-dev cjson" ]
ok $? "missing_pkgs lists the half-configured and the absent ('$got')"

# apt_get waits while another process holds the lock: a fake apt-get that
# fails as apt-get does twice, then succeeds
cat >"$TMPD/apt-get" <<EOS
#!/bin/sh
n=\$(cat "$TMPD/calls" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$TMPD/calls"
echo "\$*" >>"$TMPD/args"
if [ "\$n" -lt 2 ]; then
	echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2
	exit 100
fi
exit 0
EOS
chmod +x "$TMPD/apt-get"
sleep() { :; }
sudo="" apt_err="$TMPD/err" APT_GET="$TMPD/apt-get" apt_get update -q \
    2>"$TMPD/stderr"
ok $? "apt_get succeeds once the lock is free"
[ "$(cat "$TMPD/calls")" = 3 ]
ok $? "after trying three times ($(cat "$TMPD/calls"))"
grep -q "DPkg::Lock::Timeout=" "$TMPD/args"
ok $? "asking apt-get to wait for the dpkg lock"
grep -q "waiting for another package manager" "$TMPD/stderr"
ok $? "and says it is waiting"
# another failure is not retried
rm -f "$TMPD/calls"
cat >"$TMPD/apt-get" <<EOS
#!/bin/sh
echo x >>"$TMPD/calls"
echo "E: Unable to locate package nosuch" >&2
exit 100
EOS
sudo="" apt_err="$TMPD/err" APT_GET="$TMPD/apt-get" apt_get install nosuch \
    2>"$TMPD/stderr"
[ $? -eq 100 ] && [ "$(wc -l <"$TMPD/calls")" -eq 1 ]
ok $? "another apt-get failure is reported at once (exit 100)"

# ---- the suite's closing line, as the README describes it ----------------
printf ':test-result: PASS\n:test-result: SKIP\n' >"$TMPD/a.trs"
printf ':test-result: PASS\n:test-result: FAIL\n' >"$TMPD/b.trs"
for trs in "$TMPD/b.trs" "$TMPD/a.trs $TMPD/b.trs"; do
	line=$(sh "$top_srcdir/tests/summary.sh" $trs | sed 's/[0-9][0-9]*/N/g')
	tr '\n' ' ' <"$top_srcdir/README.md" | sed 's/  */ /g' |
	    grep -q -F "\`$line\`"
	ok $? "the README quotes the closing line '$line'"
done
done_testing
