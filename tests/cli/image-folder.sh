#!/bin/sh
# image-folder.sh - whittle eval on an image folder: the Fashion-MNIST test
# images written as PNGs give exactly the accuracy and the predictions of
# the IDX file; bad folders get one line and exit 3
. "$srcdir/tests/cli/lib.sh"

PY=/usr/bin/python3
model="$srcdir/share/models/fashion-cnn.onnx"

if ! have_fashion; then
	skip "Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)"
	done_testing
fi
if ! "$PY" -c 'import numpy, PIL' 2>/dev/null; then
	skip "$PY with numpy and PIL is needed to write the PNGs"
	done_testing
fi

# All 10,000 test images, one PNG each, in a folder per class named by
# the class index; the file name keeps the image's index in the IDX file.
dir=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
[ -r "$dir/t10k-images-idx3-ubyte.gz" ] ||
	dir=/usr/share/datasets/fashion-mnist
"$PY" - "$dir" "$TMPD/fm" <<'PYEOF'
import gzip, os, sys
import numpy as np
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
with gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")) as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")) as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)
for c in range(10):
    os.makedirs(os.path.join(out, str(c)))
for i in range(len(x)):
    Image.fromarray(x[i]).save(os.path.join(out, str(y[i]), "%05d.png" % i))
PYEOF
ok $? "10000 Fashion-MNIST test images written as PNGs"

$WHITTLE eval "$model" --quiet --predictions "$TMPD/idx.pred" \
	>"$TMPD/idx.out" 2>"$TMPD/err"
ok $? "eval on the IDX file"
$WHITTLE eval "$model" --data "$TMPD/fm" --quiet --threads 2 --batch 100 \
	--predictions "$TMPD/png.pred" >"$TMPD/png.out" 2>"$TMPD/err"
ok $? "eval --data FOLDER of PNGs"
sed -n 's/^accuracy *//p' "$TMPD/idx.out" >"$TMPD/idx.acc"
sed -n 's/^accuracy *//p' "$TMPD/png.out" >"$TMPD/png.acc"
diag "IDX: $(cat "$TMPD/idx.acc"); PNG folder: $(cat "$TMPD/png.acc")"
[ -s "$TMPD/idx.acc" ] && cmp -s "$TMPD/idx.acc" "$TMPD/png.acc"
ok $? "the folder's accuracy is the IDX file's"
grep -q "data       $TMPD/fm (10000 samples)" "$TMPD/png.out"
ok $? "the report names the folder and its 10000 samples"

# The folder's samples are in sorted order (class, then file name): put
# each prediction back at its image's index and compare line by line.
(cd "$TMPD/fm" && for c in 0 1 2 3 4 5 6 7 8 9; do ls "$c"; done) |
	sed 's/\.png$//' | paste - "$TMPD/png.pred" | sort -n | cut -f2 \
	>"$TMPD/png.byindex"
[ "$(wc -l <"$TMPD/png.byindex")" -eq 10000 ] &&
	cmp -s "$TMPD/idx.pred" "$TMPD/png.byindex"
ok $? "every image's prediction is the one from the IDX file"

# The same images as an NHWC array, (n, 28, 28, 1), with --layout nhwc.
"$PY" - "$dir" "$TMPD" <<'PYEOF'
import gzip, os, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
with gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")) as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28, 1)
with gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")) as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
np.save(os.path.join(out, "nhwc.npy"), x)
np.save(os.path.join(out, "nhwc-labels.npy"), y)
PYEOF
$WHITTLE eval "$model" --data "$TMPD/nhwc.npy" --labels "$TMPD/nhwc-labels.npy" \
	--layout nhwc --quiet --predictions "$TMPD/nhwc.pred" >"$TMPD/nhwc.out" \
	2>"$TMPD/err"
ok $? "eval --layout nhwc on (10000, 28, 28, 1)"
cmp -s "$TMPD/idx.pred" "$TMPD/nhwc.pred"
ok $? "NHWC data gives the IDX file's predictions"

# Bad folders: one line naming the problem, exit 3.
mkdir -p "$TMPD/bad/0" "$TMPD/bad/1"
cp "$TMPD/fm/0/$(ls "$TMPD/fm/0" | head -1)" "$TMPD/bad/0/a.png"
$WHITTLE eval "$model" --data "$TMPD/bad" --quiet >/dev/null 2>"$TMPD/err"
st=$?
diag "$(cat "$TMPD/err")"
[ $st -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "bad/1: class folder holds no images" "$TMPD/err"
ok $? "an empty class folder: exit 3, one line"

printf 'not a picture\n' >"$TMPD/bad/1/b.png"
$WHITTLE eval "$model" --data "$TMPD/bad" --quiet >/dev/null 2>"$TMPD/err"
st=$?
diag "$(cat "$TMPD/err")"
[ $st -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "bad/1/b.png: not a PNG or JPEG image" "$TMPD/err"
ok $? "a file that is not an image: exit 3, one line naming it"

head -c 100 "$TMPD/bad/0/a.png" >"$TMPD/bad/1/b.png"
$WHITTLE eval "$model" --data "$TMPD/bad" --quiet >/dev/null 2>"$TMPD/err"
st=$?
diag "$(cat "$TMPD/err")"
[ $st -eq 3 ] && [ "$(wc -l <"$TMPD/err")" -eq 1 ] &&
	grep -q "bad/1/b.png: corrupt PNG" "$TMPD/err"
ok $? "a truncated image: exit 3, one line naming it"

$WHITTLE eval "$model" --data "$TMPD/bad" --labels "$TMPD/x" --quiet \
	>/dev/null 2>"$TMPD/err"
ok $([ $? -eq 2 ] && echo 0 || echo 1) "--labels with a folder is a usage error"
$WHITTLE eval "$model" --resize 32 --quiet >/dev/null 2>"$TMPD/err"
ok $([ $? -eq 2 ] && grep -q "go with an image folder" "$TMPD/err" &&
	echo 0 || echo 1) "--resize without a folder is a usage error"
$WHITTLE eval "$model" --data "$TMPD/fm" --layout nhwc --quiet \
	>/dev/null 2>"$TMPD/err"
ok $([ $? -eq 2 ] && echo 0 || echo 1) "--layout with a folder is a usage error"

done_testing
