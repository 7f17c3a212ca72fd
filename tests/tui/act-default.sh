#!/bin/sh
# act-default.sh - "act 8" is one setting everywhere: the entry that
# 'whittle plan --act-bits 8' writes for a layer is the one the workbench
# saves after '-' on that layer's act column
. "$srcdir/tests/cli/lib.sh"
. "$srcdir/tests/tui/lib.sh"

tui_require

# entry FILE: the lines of the /3/Conv entry of a plan
entry() {
	awk '/^    "\/3\/Conv": \{/ { on = 1 } on { print } on && /^    \}/ { exit }' "$1"
}

"$WHITTLE" plan --act-bits 8 --layers /3/Conv --quiet -o "$TMPD/cli.json" \
	>/dev/null 2>"$TMPD/cli.err"
ok $? "whittle plan --act-bits 8 writes a plan"
[ -s "$TMPD/cli.err" ] && diag "$(cat "$TMPD/cli.err")"

tui_start 100 30
wait_for "history:" 30
ok $? "the workbench draws its screen"
keys j l l l l -
ALSO="up to date" wait_for "^/3/Conv .* a8"
ok $? "'-' on the act column of /3/Conv quantizes its input to 8 bits"
keys s
wait_for "save the plan to: "
keys C-u "$TMPD/tui.json" Enter
wait_for "saved $TMPD/tui.json"
ok $? "the workbench saves the plan"

entry "$TMPD/cli.json" >"$TMPD/cli.entry"
entry "$TMPD/tui.json" >"$TMPD/tui.entry"
grep -q '"act_calibration"' "$TMPD/cli.entry"
ok $? "the entry names its calibration"
cmp -s "$TMPD/cli.entry" "$TMPD/tui.entry"
ok $? "the command line and the workbench write the same entry"
cmp -s "$TMPD/cli.entry" "$TMPD/tui.entry" ||
	diag "$(diff "$TMPD/cli.entry" "$TMPD/tui.entry")"
keys q
wait_for "unsaved changes|^EXITED" 10 >/dev/null
done_testing
