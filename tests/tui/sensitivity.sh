#!/bin/sh
# sensitivity.sh - the workbench's sensitivity heat map and search: the
# table fills in behind the user's edits, Enter applies a cell, a search
# runs in the background and its plans land in the history
. "$srcdir/tests/cli/lib.sh"
. "$srcdir/tests/tui/lib.sh"

tui_require

tui_start 120 40 --settings int8,int2
wait_for "history:" 30
ok $? "the workbench draws its screen"
keys S
wait_for "one layer at a time \(8/8\)" 180
ok $? "S shows the heat map, and the table fills in (8 of 8 cells)"
wait_for "^ +/9/Gemm( +[0-9.>+~-]+)+ *$"
ok $? "each layer has a row of measured cells"
keys l Enter
ALSO="^/0/Conv .* int2" wait_for "int2 for /0/Conv \(sensitivity\)"
ok $? "Enter applies the cell's setting to its layer"
keys u
ALSO="up to date" wait_for "^/0/Conv +Conv .* -    -     -   -    -"
ok $? "and u undoes it"
keys K
wait_for "@/0/Conv .*|/0/Conv locked"
ok $? "K locks the layer for the search"
keys F
wait_for "search: the most accuracy to lose"
ok $? "F asks for the budget"
keys Enter
wait_for "search: [0-9.]+x at [-+][0-9.]+ points" 300
ok $? "the search ends with a verified plan"
grep -q "Enter recalls it" "$TMPD/screen"
ok $? "its chosen plan is picked in the history"
keys Enter
wait_for "recalled evaluation"
ok $? "Enter recalls it as an undoable edit"
grep -q "^@/0/Conv .* -    -     -   -    -" "$TMPD/screen"
ok $? "the locked layer kept its settings"
ls "$TMPD"/cache/whittle/sensitivity/*.json >/dev/null 2>&1
ok $? "the table went into the cache"
keys q q
wait_for "EXITED 0" 20
ok $? "q q quits"

# reopened, the cached table is there at once
tui_start 120 40 --settings int8,int2
wait_for "history:" 30
keys S
wait_for "one layer at a time \(8/8\)" 30
ok $? "reopened, the cached table shows at once"
keys q
wait_for "EXITED 0" 20
done_testing
