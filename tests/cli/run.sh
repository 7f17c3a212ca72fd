#!/bin/sh
# run.sh - whittle run: outputs against PyTorch's on a model whose height
# and width are symbolic, several inputs by order and by name, .pb inputs,
# and bad input as one line with exit 3
. "$srcdir/tests/cli/lib.sh"

M="$srcdir/tests/fixtures/models/dynamic-hw.onnx"
REF="$srcdir/tests/fixtures/ref"
PY=/usr/bin/python3

# maxdiff A.npy B.npy: the largest absolute difference, or "shape" when the
# shapes differ
maxdiff() {
	$PY -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print("shape" if a.shape != b.shape else float(np.abs(a.astype(np.float64) - b).max()))' "$1" "$2"
}
have_numpy() { $PY -c 'import numpy' 2>/dev/null; }

$WHITTLE run "$M" "$REF/dynamic-hw.x.npy" -o "$TMPD/out" >"$TMPD/log" 2>&1
ok $? "run a model with symbolic height and width on 2 x 3 x 12 x 20"
grep -q 'y.npy  float32 (2, 5)' "$TMPD/log"
ok $? "it names y.npy, float32 (2, 5)"
if have_numpy; then
	d=$(maxdiff "$TMPD/out/y.npy" "$REF/dynamic-hw.y.npy")
	diag "max difference from PyTorch: $d"
	$PY -c "import sys; sys.exit(0 if '$d' != 'shape' and float('$d') < 1e-5 else 1)"
	ok $? "the outputs equal PyTorch's within 1e-5"
	# another size: the same model binds 3 x 7 x 9
	$PY -c 'import sys, numpy as np
np.save(sys.argv[1], np.ones((1, 3, 7, 9), np.float32))' "$TMPD/small.npy"
	$WHITTLE run "$M" "x=$TMPD/small.npy" -o "$TMPD/out2" 2>&1 |
		grep -q 'y.npy  float32 (1, 5)'
	ok $? "and binds 1 x 3 x 7 x 9 by name"
else
	skip "numpy is not installed"
	skip "numpy is not installed"
fi

T=/usr/share/libonnx-testdata/data/node/test_add_bcast
if [ -d "$T" ] && have_numpy; then
	$WHITTLE run -q "$T/model.onnx" "$T/test_data_set_0/input_0.pb" \
		"$T/test_data_set_0/input_1.pb" -o "$TMPD/add" 2>"$TMPD/err"
	ok $? "two .pb inputs in order"
	$WHITTLE run -q "$T/model.onnx" "y=$T/test_data_set_0/input_1.pb" \
		"$T/test_data_set_0/input_0.pb" -o "$TMPD/add2" 2>"$TMPD/err"
	ok $? "one by name, the other in order"
	cmp -s "$TMPD/add/sum.npy" "$TMPD/add2/sum.npy"
	ok $? "the same outputs"
	$PY -c 'import sys, numpy as np
a = np.load(sys.argv[1]) + np.load(sys.argv[2])
np.save(sys.argv[3], a)' "$TMPD/add/sum.npy" "$TMPD/add/sum.npy" "$TMPD/twice.npy"
	$WHITTLE run -q "$T/model.onnx" "$TMPD/twice.npy" "y=$TMPD/twice.npy" \
		-o "$TMPD/add3" 2>"$TMPD/err"
	[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
		grep -q "input 'y'" "$TMPD/err"
	ok $? "a wrong shape for y: one line naming it, exit 3: $(cat "$TMPD/err")"
else
	skip "ONNX's test data (libonnx-testdata) or numpy is not installed"
	skip "ONNX's test data (libonnx-testdata) or numpy is not installed"
	skip "ONNX's test data (libonnx-testdata) or numpy is not installed"
	skip "ONNX's test data (libonnx-testdata) or numpy is not installed"
fi

# bad input: each one line on stderr, exit 3
$WHITTLE run "$M" -o "$TMPD/bad" >/dev/null 2>"$TMPD/err"
[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "input 'x' is not given" "$TMPD/err"
ok $? "a missing input: exit 3, $(cat "$TMPD/err")"
$WHITTLE run "$M" "$TMPD/none.npy" -o "$TMPD/bad" >/dev/null 2>"$TMPD/err"
[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "none.npy" "$TMPD/err"
ok $? "an unreadable file: exit 3, $(cat "$TMPD/err")"
printf 'garbage' >"$TMPD/junk.pb"
$WHITTLE run "$M" "$TMPD/junk.pb" -o "$TMPD/bad" >/dev/null 2>"$TMPD/err"
[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "junk.pb" "$TMPD/err"
ok $? "a file neither NPY nor TensorProto: exit 3, $(cat "$TMPD/err")"
if have_numpy; then
	$PY -c 'import sys, numpy as np
np.save(sys.argv[1], np.ones((2, 4, 5, 5), np.float32))
np.save(sys.argv[2], np.ones((2, 3, 5, 5), np.int64))' \
		"$TMPD/c4.npy" "$TMPD/i64.npy"
	$WHITTLE run "$M" "$TMPD/c4.npy" -o "$TMPD/bad" >/dev/null 2>"$TMPD/err"
	[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
		grep -q "input 'x' is declared" "$TMPD/err"
	ok $? "4 channels for 3: exit 3, $(cat "$TMPD/err")"
	$WHITTLE run "$M" "$TMPD/i64.npy" -o "$TMPD/bad" >/dev/null 2>"$TMPD/err"
	[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
		grep -q "input 'x'" "$TMPD/err"
	ok $? "int64 for a float input: exit 3, $(cat "$TMPD/err")"
else
	skip "numpy is not installed"
	skip "numpy is not installed"
fi
$WHITTLE run "$M" "$REF/dynamic-hw.x.npy" >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "no -o: a usage error, exit 2"

# eval binds the symbolic dims from the validation set, or --input-shape
if have_numpy; then
	$PY -c 'import sys, numpy as np
x = np.load(sys.argv[1])
y = np.load(sys.argv[2]).argmax(1)
np.save(sys.argv[3], x)
np.save(sys.argv[4], y.astype(np.int64))' "$REF/dynamic-hw.x.npy" \
		"$REF/dynamic-hw.y.npy" "$TMPD/ex.npy" "$TMPD/ey.npy"
	$WHITTLE eval "$M" --data "$TMPD/ex.npy" --labels "$TMPD/ey.npy" \
		--json >"$TMPD/eval.json" 2>"$TMPD/err"
	ok $? "eval binds 3 x 12 x 20 from the data: $(cat "$TMPD/err")"
	grep -q '"correct":[[:space:]]*2,' "$TMPD/eval.json"
	ok $? "and predicts PyTorch's classes on both samples"
	$WHITTLE eval "$M" --data "$TMPD/ex.npy" --labels "$TMPD/ey.npy" \
		--input-shape x=3,12,20 --json >/dev/null 2>"$TMPD/err"
	ok $? "--input-shape x=3,12,20 as well: $(cat "$TMPD/err")"
	$WHITTLE eval "$M" --data "$TMPD/ex.npy" --labels "$TMPD/ey.npy" \
		--input-shape 3,12,21 >/dev/null 2>"$TMPD/err"
	[ $? -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ]
	ok $? "--input-shape against the data: exit 3, $(cat "$TMPD/err")"
	$WHITTLE eval "$M" --data "$TMPD/ex.npy" --labels "$TMPD/ey.npy" \
		--input-shape 3,x >/dev/null 2>&1
	[ $? -eq 2 ]
	ok $? "--input-shape 3,x: a usage error"
else
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
	skip "numpy is not installed"
fi

done_testing
