#!/bin/sh
# usage.sh - --help, --version, usage errors and their exit codes
. "$srcdir/tests/cli/lib.sh"

$WHITTLE --help >"$TMPD/out" 2>&1
ok $? "whittle --help exits 0"
grep -q "usage: whittle" "$TMPD/out"
ok $? "--help prints the usage"
$WHITTLE --version >"$TMPD/out" 2>&1
ok $? "--version exits 0"
grep -q "^whittle [0-9]" "$TMPD/out"
ok $? "--version prints the version"
for cmd in inspect eval plan apply; do
	$WHITTLE $cmd --help >"$TMPD/out" 2>&1
	ok $? "whittle $cmd --help exits 0"
	grep -q "usage: whittle $cmd" "$TMPD/out"
	ok $? "whittle $cmd --help describes the command"
	$WHITTLE $cmd --version >"$TMPD/v" 2>&1
	ok $? "whittle $cmd --version exits 0"
	grep -q "^whittle [0-9]" "$TMPD/v"
	ok $? "whittle $cmd --version prints the version"
	$WHITTLE help $cmd >"$TMPD/out2" 2>&1
	cmp -s "$TMPD/out" "$TMPD/out2"
	ok $? "whittle help $cmd is the same"
done
$WHITTLE frobnicate >"$TMPD/out" 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "an unknown command exits 2"
grep -q "unknown command 'frobnicate'" "$TMPD/out"
ok $? "and says which"
$WHITTLE eval --no-such-option >"$TMPD/out" 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "an unknown option exits 2"
# one line naming the option, for the workbench and every command
for cmd in "" inspect eval plan apply; do
	$WHITTLE $cmd --bogus >"$TMPD/out" 2>"$TMPD/err"
	st=$?
	[ $st -eq 2 ] && [ ! -s "$TMPD/out" ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	    grep -q "^whittle: unknown option '--bogus' (see 'whittle ${cmd:+$cmd }--help')\$" "$TMPD/err"
	ok $? "whittle $cmd --bogus: one line naming it: $(head -c 100 "$TMPD/err")"
done
$WHITTLE eval --plan >"$TMPD/out" 2>"$TMPD/err"
[ $? -eq 2 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
    grep -q "option --plan needs a value" "$TMPD/err"
ok $? "a missing value: one line: $(cat "$TMPD/err")"
$WHITTLE apply -x >"$TMPD/out" 2>"$TMPD/err"
[ $? -eq 2 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
    grep -q "unknown option '-x'" "$TMPD/err"
ok $? "an unknown short option: one line: $(cat "$TMPD/err")"
$WHITTLE inspect --json=yes >"$TMPD/out" 2>"$TMPD/err"
[ $? -eq 2 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
    grep -q "option --json takes no value" "$TMPD/err"
ok $? "a value for a flag: one line: $(cat "$TMPD/err")"
$WHITTLE eval --threads 0 >"$TMPD/out" 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "--threads 0 exits 2"
grep -q -- "--threads '0'" "$TMPD/out"
ok $? "and quotes the value"
$WHITTLE eval --data x.idx >"$TMPD/out" 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "--data without --labels exits 2"
# no command opens the workbench, which wants a terminal
$WHITTLE </dev/null >"$TMPD/out" 2>&1
ok $([ $? -eq 2 ] && echo 0 || echo 1) "no command and no terminal exits 2"
grep -q "the workbench needs a terminal; use 'whittle eval'" "$TMPD/out"
ok $? "and says the workbench needs a terminal"
$WHITTLE --help >"$TMPD/out" 2>&1
grep -q "whittle \[MODEL\]" "$TMPD/out"
ok $? "--help names the workbench"
done_testing
