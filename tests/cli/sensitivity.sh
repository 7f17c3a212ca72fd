#!/bin/sh
# sensitivity.sh - the sensitivity table's cache and its invalidation, the
# sharded run through GNU parallel against the single process, and search
. "$srcdir/tests/cli/lib.sh"

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi
DATA=/usr/share/datasets/fashion-mnist
MODEL="$srcdir/share/models/fashion-cnn.onnx"
SET="int8,int2,sp50,sp90,2:4,e0.8,act8"
export XDG_CACHE_HOME="$TMPD/cache"

# a table's cells, without the cost figures that depend on how it was run
cells() {
	grep -v '"passes"' "$1"
}

$WHITTLE sensitivity "$MODEL" --settings "$SET" --json >"$TMPD/t1.json" \
	2>"$TMPD/t1.err"
ok $? "sensitivity measures the demo"
grep -q "measured 28 cells, 0 from the cache" "$TMPD/t1.err"
ok $? "all 28 cells are measured the first time"
ls "$XDG_CACHE_HOME"/whittle/sensitivity/*.json >/dev/null 2>&1
ok $? "the table is cached under XDG_CACHE_HOME"

$WHITTLE sensitivity "$MODEL" --settings "$SET" --json >"$TMPD/t2.json" \
	2>"$TMPD/t2.err"
grep -q "measured 0 cells, 28 from the cache" "$TMPD/t2.err"
ok $? "reopening the model measures nothing"
cells "$TMPD/t1.json" >"$TMPD/c1"
cells "$TMPD/t2.json" >"$TMPD/c2"
cmp -s "$TMPD/c1" "$TMPD/c2"
ok $? "and shows the same table"

$WHITTLE sensitivity "$MODEL" --settings "$SET,int4" --json \
	>"$TMPD/t3.json" 2>"$TMPD/t3.err"
grep -q "measured 4 cells, 28 from the cache" "$TMPD/t3.err"
ok $? "a new setting measures only its own column"

# a changed model: the lowest bit of one byte in the middle of the big
# layer's weights differs
cp "$MODEL" "$TMPD/changed.onnx"
mid=$(($(wc -c <"$TMPD/changed.onnx") / 2))
byte=$(od -An -tu1 -j "$mid" -N1 "$TMPD/changed.onnx" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$TMPD/changed.onnx" bs=1 \
	seek="$mid" conv=notrunc 2>/dev/null
cmp -s "$MODEL" "$TMPD/changed.onnx" && diag "the copy did not change"
$WHITTLE sensitivity "$TMPD/changed.onnx" --settings "$SET" \
	>/dev/null 2>"$TMPD/t4.err"
grep -q "measured 28 cells, 0 from the cache" "$TMPD/t4.err"
ok $? "a changed model is measured again"

# changed data: one label differs
gzip -dc "$DATA/t10k-labels-idx1-ubyte.gz" >"$TMPD/labels"
printf '\011' | dd of="$TMPD/labels" bs=1 seek=100 conv=notrunc 2>/dev/null
$WHITTLE sensitivity "$MODEL" --settings "$SET" \
	--data "$DATA/t10k-images-idx3-ubyte.gz" --labels "$TMPD/labels" \
	>/dev/null 2>"$TMPD/t5.err"
grep -q "measured 28 cells, 0 from the cache" "$TMPD/t5.err"
ok $? "changed data is measured again"

# a damaged cache is measured again, never trusted
for f in "$XDG_CACHE_HOME"/whittle/sensitivity/*.json; do
	printf '{"version": 1, "cells": [' >"$f"
done
$WHITTLE sensitivity "$MODEL" --settings "$SET" >/dev/null 2>"$TMPD/t6.err"
st=$?
grep -q "ignoring the sensitivity cache" "$TMPD/t6.err" && [ $st -eq 0 ]
ok $? "a damaged cache is reported and ignored"

# three shards through GNU parallel equal the single process
if command -v parallel >/dev/null 2>&1; then
	parallel --will-cite -j 2 "$WHITTLE" sensitivity "$MODEL" \
		--settings "$SET" --no-cache --quiet --shard {}/3 \
		-o "$TMPD/part{}.json" ::: 1 2 3
	ok $? "three shards run under GNU parallel"
	rm -rf "$XDG_CACHE_HOME"
	$WHITTLE sensitivity "$MODEL" --settings "$SET" --merge \
		"$TMPD/part1.json" "$TMPD/part2.json" "$TMPD/part3.json" \
		--json >"$TMPD/merged.json" 2>"$TMPD/merge.err"
	ok $? "sensitivity --merge joins them"
	cells "$TMPD/merged.json" >"$TMPD/cm"
	cmp -s "$TMPD/c1" "$TMPD/cm"
	ok $? "the merged table equals the single-process one, cell for cell"
	$WHITTLE sensitivity "$MODEL" --settings "$SET" >/dev/null \
		2>"$TMPD/t7.err"
	grep -q "measured 0 cells, 28 from the cache" "$TMPD/t7.err"
	ok $? "the merge went into the cache"
else
	skip "GNU parallel is not installed (Debian's parallel)"
fi

# bad input
$WHITTLE sensitivity "$MODEL" --shard 4/3 -o x.json 2>"$TMPD/e1"
[ $? -eq 2 ] && [ "$(wc -l <"$TMPD/e1")" -eq 1 ]
ok $? "--shard 4/3 is a usage error"
$WHITTLE sensitivity "$MODEL" --settings int4,int11 2>"$TMPD/e2"
[ $? -eq 2 ] && grep -q "int11" "$TMPD/e2"
ok $? "an unknown setting is named"
printf '{"version": 1}' >"$TMPD/bad.json"
$WHITTLE sensitivity "$MODEL" --merge "$TMPD/bad.json" 2>"$TMPD/e3"
[ $? -eq 3 ] && grep -q "bad.json" "$TMPD/e3" &&
	[ "$(wc -l <"$TMPD/e3")" -eq 1 ]
ok $? "a broken partial table is one line naming it, exit 3"

# search: the verified plan keeps its promise, and records how it was found
$WHITTLE search "$MODEL" --settings "int8,int4,int3,sp50,sp80,e0.9" \
	--max-drop 0.5 -o "$TMPD/s.json" --quiet >"$TMPD/s.out" 2>"$TMPD/s.err"
ok $? "search finds a plan within half a point"
$WHITTLE eval "$MODEL" --plan "$TMPD/s.json" --json --quiet \
	>"$TMPD/s.eval" 2>/dev/null
base=$(sed -n 's/.*"baseline_accuracy": *\([0-9.]*\).*/\1/p' "$TMPD/s.json" |
	head -n 1)
acc=$(sed -n 's/^ *"accuracy": *\([0-9.]*\).*/\1/p' "$TMPD/s.json" |
	head -n 1)
awk -v b="$base" -v a="$acc" 'BEGIN { exit !(b - a <= 0.005 + 1e-12) }'
ok $? "the plan records a drop within the budget ($base -> $acc)"
grep -q '"table_sha256"' "$TMPD/s.json" && grep -q '"max_drop": 0.5' \
	"$TMPD/s.json"
ok $? "the plan records the search: budget and table"
ls "$TMPD"/s.front-*.json >/dev/null 2>&1
ok $? "the front's plans are written beside it"
for f in "$TMPD"/s.front-*.json; do
	$WHITTLE eval "$MODEL" --plan "$f" --quiet >/dev/null 2>&1 || break
done
ok $? "every front plan is a valid plan"
$WHITTLE plan "$MODEL" --bits 2 --layers '/0/*' --quiet -o "$TMPD/lock.json" \
	>/dev/null 2>&1
$WHITTLE search "$MODEL" --settings int8 --no-combine --max-drop 0.1 \
	--lock '/0/*' --plan "$TMPD/lock.json" -o "$TMPD/none.json" --quiet \
	>/dev/null 2>"$TMPD/none.err"
[ $? -eq 1 ] && grep -q "no plan" "$TMPD/none.err" && [ ! -f "$TMPD/none.json" ]
ok $? "a locked layer that alone breaks the budget: no plan, exit 1"
done_testing
