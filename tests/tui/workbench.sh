#!/bin/sh
# workbench.sh - the interactive workbench, driven through tmux: what a
# person sees after each key, checked against 'whittle eval --plan'
. "$srcdir/tests/cli/lib.sh"
. "$srcdir/tests/tui/lib.sh"

tui_require

# ---- the screen comes up -------------------------------------------------
tui_start 100 30
wait_for "history:" 30
ok $? "the workbench draws its screen"
for l in /0/Conv /3/Conv /7/Gemm /9/Gemm; do
	grep -q -- "^$l " "$TMPD/screen"
	ok $? "the layer table lists $l"
done
wait_for "weights of /0/Conv" && wait_for "singular values of /0/Conv"
ok $? "the histogram and the spectrum of the selected layer are shown"
wait_for "full rank 9; effective rank"
ok $? "the spectrum fills in once its singular values are computed"
wait_for "baseline  91\.01%"
ok $? "the baseline accuracy is 91.01%"
ALSO="up to date" wait_for "accuracy  91\.01%"
ok $? "with nothing compressed the accuracy is the baseline's, up to date"

# ---- bits, rank and threshold of /7/Gemm ---------------------------------
keys j j l l l
keys - - - - - -
ALSO="up to date" wait_for "^/7/Gemm .* int4 "
ok $? "six '-' on the bits column of /7/Gemm give int4"
acc_bits=$(grab "accuracy  [0-9.]+%")
keys h h h Enter
wait_for "rank of /7/Gemm"
ok $? "Enter opens a prompt for the rank"
keys 30 Enter
ALSO="up to date" wait_for "^/7/Gemm .* 30/128 "
ok $? "typing 30 sets rank 30 of 128 (it replaces the value the prompt offers)"
acc_rank=$(grab "accuracy  [0-9.]+%")
size_rank=$(grab "size      [0-9,]+ B")
secs_rank=$(grab "up to date \([0-9.]+ s" | sed 's/up to date (//')
keys l :
wait_for "prune of /7/Gemm"
keys "threshold 0.05" Enter
ALSO="up to date" wait_for "^/7/Gemm .* th \.05 "
ok $? "typing 'threshold 0.05' in the prune column sets the threshold"
acc=$(grab "accuracy  [0-9.]+%")
size=$(grab "size      [0-9,]+ B")
correct=$(grep "^accuracy" "$TMPD/screen" | grep -Eo "\([0-9,]+/" | tr -dc 0-9)
[ "$acc_bits" != "accuracy  91.01%" ] && [ "$acc" != "$acc_rank" ]
ok $? "each change moves the accuracy ($acc_bits, $acc_rank, $acc)"
[ -n "$size" ] && [ "$size" != "$size_rank" ]
ok $? "and the size ($size_rank, $size)"

# ---- save, and compare with whittle eval --plan --------------------------
keys s
wait_for "save the plan to: "
ok $? "s asks where to save the plan"
keys "$TMPD/saved.json" Enter
wait_for "saved $TMPD/saved.json"
ok $? "and saves it"
if "$WHITTLE" eval --help 2>&1 | grep -q -- "--plan"; then
	"$WHITTLE" eval --plan "$TMPD/saved.json" --json --quiet >"$TMPD/eval.json"
	ok $? "whittle eval --plan reads the saved plan"
	e_acc=$(sed -n 's/^[[:space:]]*"accuracy":[[:space:]]*\([0-9.e-]*\),*$/\1/p' "$TMPD/eval.json")
	e_correct=$(sed -n 's/^[[:space:]]*"correct":[[:space:]]*\([0-9]*\),*$/\1/p' "$TMPD/eval.json")
	e_bytes=$(sed -n 's/^[[:space:]]*"compressed_bytes":[[:space:]]*\([0-9]*\),*$/\1/p' "$TMPD/eval.json")
	want_acc=$(awk -v a="$e_acc" 'BEGIN { printf "accuracy  %.2f%%", 100 * a }')
	[ "$acc" = "$want_acc" ] && [ "$correct" = "$e_correct" ]
	ok $? "the accuracy on screen is what whittle eval --plan reports ($acc, $correct; eval: $want_acc, $e_correct)"
	[ "$(echo "$size" | tr -dc 0-9)" = "$e_bytes" ]
	ok $? "so is the size ($size; eval: $e_bytes bytes)"
	grep -q "\"accuracy\": $e_acc," "$TMPD/saved.json"
	ok $? "the plan records the accuracy that whittle eval --plan reproduces"
else
	skip "whittle eval has no --plan"
	skip "whittle eval has no --plan"
	skip "whittle eval has no --plan"
	skip "whittle eval has no --plan"
fi

# ---- undo, redo -----------------------------------------------------------
keys u
ALSO="up to date" wait_for "^/7/Gemm .* 30/128 +- +- +int4 "
ok $? "u undoes the threshold"
grep -q -- "$acc_rank" "$TMPD/screen" && grep -q -- "$size_rank" "$TMPD/screen"
ok $? "and the accuracy and size are back to before it ($acc_rank, $size_rank)"
grep -Eq "up to date \($secs_rank, evaluated before\)" "$TMPD/screen"
ok $? "at once, from the result of before ($secs_rank)"
# an evaluation of the same settings would end with a new result within
# 2000 samples' time; the remembered one must still stand after that
i=0 same=0
while [ $i -lt 15 ]; do
	sleep 0.2
	screen >"$TMPD/screen"
	grep -Eq "up to date \($secs_rank, evaluated before\)" "$TMPD/screen" &&
	    ! grep -q "evaluating" "$TMPD/screen" && same=$((same + 1))
	i=$((i + 1))
done
[ $same -eq 15 ]
ok $? "and nothing is evaluated again ($same of 15 looks)"
keys C-r
ALSO="$acc" wait_for "^/7/Gemm .* th \.05 "
ok $? "C-r redoes it ($acc)"

# ---- the history: recall a point, undo the recall -------------------------
keys Tab
wait_for "Tab returns"
ok $? "Tab focuses the history"
keys Right Enter
wait_for "recalled evaluation #[0-9]+"
ok $? "Right and Enter recall an earlier, larger evaluation"
keys u
wait_for "undone: recall evaluation" && ALSO="up to date" wait_for "^/7/Gemm .* th \.05 "
ok $? "u undoes the recall"
keys Tab

# ---- resize ---------------------------------------------------------------
T resize-window -t w -x 80 -y 24
ALSO="q quit" wait_for "^/7/Gemm .* th \.05 "
ok $? "at 80x24 the table and the key hints still show"
[ "$(wc -l <"$TMPD/screen")" -le 24 ] && grep -q "accuracy  " "$TMPD/screen" &&
    grep -q "history:" "$TMPD/screen" && grep -q "weights of /7/Gemm" "$TMPD/screen"
ok $? "and so do the summary, the history and the histogram"
for size in 60x20 16x8; do
	T resize-window -t w -x "${size%x*}" -y "${size#*x}"
	wait_for "q quits"
	joined=$(sed 's/ *$//' "$TMPD/screen" | sed '/^q quits$/,$d' | tr '\n' ' ' | sed 's/ *$//')
	[ "$joined" = "whittle needs a terminal of at least 80x24; this one is $size." ]
	ok $? "at $size the message is wrapped, whole: '$joined'"
done
T resize-window -t w -x 100 -y 30
ALSO="q quit  u undo" wait_for "^/7/Gemm .* th \.05 "
ok $? "back at 100x30 the screen fills the width again (a longer hint bar)"

# ---- the prompt: the value it offers, edited ------------------------------
keys h Enter
ALSO="rank of /7/Gemm" wait_for " 30$"
ok $? "Enter offers the current rank, 30"
keys BSpace Enter
ALSO="up to date" wait_for "^/7/Gemm .* 3/128 "
ok $? "Backspace edits it: 30 becomes 3"
keys Enter Left 2 Enter
ALSO="up to date" wait_for "^/7/Gemm .* 23/128 "
ok $? "Left moves into it: 2 typed before the 3 gives 23"
keys Enter End 1 Home Delete Enter
ALSO="up to date" wait_for "^/7/Gemm .* 31/128 "
ok $? "End, Home and Delete edit it too: 231 less its first digit is 31"
keys Enter C-u Enter
wait_for "no value given"
ok $? "C-u clears the line (nothing left to take)"
keys Enter x Escape
wait_for "cancelled" && grep -q "^/7/Gemm .* 31/128 " "$TMPD/screen"
ok $? "Esc cancels and the rank stays"
keys e
wait_for "export to \(\.onnx or \.safetensors\): .*fashion-cnn\.whittled\.onnx"
ok $? "e offers fashion-cnn.whittled.onnx"
keys "$TMPD/m.bin" Enter
wait_for "not exported: '.*m\.bin' must end in \.onnx or \.safetensors"
ok $? "a name 'whittle apply -o' refuses is refused, as apply says it"
[ ! -e "$TMPD/m.bin" ]
ok $? "and nothing is written"
keys e "$TMPD/m.safetensors" Enter
wait_for "exported .*m\.safetensors"
ok $? "a .safetensors name exports safetensors"
"$WHITTLE" apply --plan "$TMPD/saved.json" -o "$TMPD/m.bin" >/dev/null 2>"$TMPD/err"
[ $? -eq 2 ] && grep -q "'.*m\.bin' must end in \.onnx or \.safetensors" "$TMPD/err"
ok $? "whittle apply -o refuses the same name with the same words"
head -c 9 "$TMPD/m.safetensors" | tail -c 1 | grep -q "{"
ok $? "the file is safetensors (a JSON header after its length)"

# ---- help, quit -----------------------------------------------------------
keys "?"
wait_for "keys, page 1 of 2 \(Tab: the columns and values; any other key closes\)"
ok $? "? shows the help"
grep -q "C-r U .*redo" "$TMPD/screen" && grep -q "compress more" "$TMPD/screen"
ok $? "with every key, '-' compressing more"
keys Tab
wait_for "page 2 of 2"
ok $? "Tab turns to the second page"
for s in "the columns of the table" "op .*Conv g32: a convolution of 32 groups" \
    "rank .*low-rank by SVD: kept/full" "prune .*sp 50%: sparsity, th \.05" \
    "e0\.9 or 90% \(energy kept\)" "channels 0\.25" "\(4 mse\)" \
    "8 p99\.99" "typing replaces the value offered" "C-u clears"; do
	grep -Eq -- "$s" "$TMPD/screen" || { diag "not on the page: $s"; false; } || break
done
ok $? "which explains the columns, the values to type and the prompt's keys"
keys x
wait_for "q quit" && ! grep -q "any other key closes" "$TMPD/screen"
ok $? "a key closes it"
keys x
ALSO="up to date" wait_for "^/7/Gemm +Gemm +[0-9.K]+ +- +- +- +- +- "
ok $? "x resets the layer"
keys q
wait_for "unsaved changes"
ok $? "q with unsaved changes asks again"
keys q
wait_for "^EXITED 0"
ok $? "a second q quits with status 0"

# ---- labels and captions at four sizes ---------------------------------------
# blank: column $1 (from 1) is a space on every row but the hint bar
blank_col() {
	LC_ALL=C.UTF-8 sed '$d' "$TMPD/screen" |
	    LC_ALL=C.UTF-8 sed -n "s/^.\{$(($1 - 1))\}\([^ ]\).*/\1/p" | grep -q . && return 1
	return 0
}
tui_start 80 24
ALSO="up to date" wait_for "accuracy  91\.01%"
keys j j l l l - - - - - -
ALSO="up to date" wait_for "^/7/Gemm .* int4 "
labels=$(LC_ALL=C.UTF-8 sed -n 's/^.\{46\}\([0-9][0-9.]*%\) .*/\1/p' "$TMPD/screen")
[ "$(echo "$labels" | wc -l)" -eq 2 ] && [ -z "$(echo "$labels" | sort | uniq -d)" ]
ok $? "the history's two accuracy labels differ: $(echo $labels)"
keys h h h Enter 30 Enter l : "threshold 0.05" Enter
ALSO="up to date" wait_for "^/7/Gemm .* 30/128 +th \.05 "
for size in 80x24 100x30 120x40 200x60; do
	c=${size%x*}
	T resize-window -t w -x "$c" -y "${size#*x}"
	ALSO="history:" wait_for "^/7/Gemm .* 30/128 +th \.05 "
	L=$(( (c * 11 + 10) / 20 ))
	[ $L -lt 46 ] && L=46
	blank_col $L
	ok $? "$size: column $L parts the table and summary from the plots (no label runs into a title)"
	grep -Eq "(─|-) ?(size, log scale|log size) ?(─|-)" "$TMPD/screen"
	ok $? "$size: the history's x axis says it is the size on a log scale"
	grep -Eq "values.*log.*energy" "$TMPD/screen"
	ok $? "$size: the spectrum's two curves have a legend"
	grep -Eq "u vt  80\.8% zero  int4( sym\. per-channel| symmetric per-channel min/max)? *$" "$TMPD/screen"
	ok $? "$size: the histogram's caption ends whole ($(grep -o 'u vt .*' "$TMPD/screen" | head -1))"
	grep -Eq "#[0-9]+: 86\.9[0-9]%, 35\.9 KiB( +. ?(now|these settings) +. ?(front|Pareto front))? *$" "$TMPD/screen"
	ok $? "$size: and so does the history's ($(grep -Eo '#[0-9]+: .*' "$TMPD/screen" | head -1))"
	grep -Eq "weights of /7/Gemm( \(128, 1568\))? ─" "$TMPD/screen" &&
	    grep -Eq "(singular values|spectrum) of /7/Gemm ─" "$TMPD/screen"
	ok $? "$size: the titles are whole"
done
T resize-window -t w -x 80 -y 24
keys k
wait_for "weights of /3/Conv"
grep -Eq "weights of /3/Conv( \(32, 16, 3, 3\))? ─" "$TMPD/screen"
ok $? "80x24: a title too long for its pane drops the shape rather than being cut"
keys q q

# ---- '-' makes every column smaller, '+' less -------------------------------
tui_start 100 30
ALSO="up to date" wait_for "accuracy  91\.01%"
keys j -
ALSO="up to date" wait_for "^/3/Conv .* 26/32 "
ok $? "the first '-' on the rank of /3/Conv gives 26/32, the first rank that stores less than the dense layer"
grep -q "rank 26: the first that stores less" "$TMPD/screen" &&
    ! grep -Eq "size .* 1\.00x" "$TMPD/screen"
ok $? "it says so, and the size line does not read 1.00x"
keys +
ALSO="up to date" wait_for "^/3/Conv +Conv .* - +- +- +- +- +18\.1 KiB"
ok $? "'+' above 26 switches low-rank off: no rank from 27 to 31"
keys Enter 31 Enter
ALSO="up to date" wait_for "^/3/Conv .* 31/32 .*KiB!"
ok $? "a typed rank 31 shows its size flagged"
grep -q "rank 31 stores more than the dense layer (26 is the largest" "$TMPD/screen" &&
    grep -Eq "size .*, 0\.99[0-9]*x" "$TMPD/screen"
ok $? "with a message, and the size line reads below 1x"
keys x l -
ALSO="up to date" wait_for "^/3/Conv .* sp 5% "
ok $? "'-' on prune prunes 5%"
keys + l -
ALSO="up to date" wait_for "^/3/Conv .* 3:4 "
ok $? "'+' switches it off again, '-' on N:M gives 3:4"
keys + l - l -
ALSO="up to date" wait_for "^/3/Conv .* fp16 +a8 "
ok $? "'-' on bits gives fp16, '-' on act 8-bit activations"
keys +
ALSO="up to date" wait_for "^/3/Conv .* fp16 +- "
ok $? "'+' on act switches it off"
keys +
wait_for "the activations are float32 already; '-' quantizes"
ok $? "and '+' again says what '-' would do"
keys q q

# ---- a plan at start, Ctrl-C ----------------------------------------------
tui_start 100 30 --plan "'$TMPD/saved.json'"
ALSO="up to date" wait_for "^/7/Gemm .* 30/128 +th \.05 +- +int4 "
ok $? "--plan opens with the plan's settings"
grep -q -- "$acc" "$TMPD/screen"
ok $? "and their accuracy ($acc)"
keys C-c
wait_for "^EXITED 130"
ok $? "Ctrl-C quits with status 130"
! grep -q "history:" "$TMPD/screen" && ! T capture-pane -p -a -t w >/dev/null 2>&1
ok $? "and restores the terminal (no alternate screen, the shell's output shows)"

tui_start 100 30 --plan "'$TMPD/nope.json'"
wait_for "^EXITED 3"
ok $? "a missing plan stops before the screen starts, status 3"
grep -q "nope.json" "$TMPD/screen"
ok $? "naming the file"

# ---- ASCII, NO_COLOR --------------------------------------------------------
TUI_ENV="NO_COLOR=1" tui_start 100 30 --ascii
wait_for "full rank 9"
ok $? "--ascii draws the screen"
LC_ALL=C grep -q '[^ -~]' "$TMPD/screen"
[ $? -ne 0 ]
ok $? "with ASCII characters only"
T capture-pane -p -e -t w >"$TMPD/esc"
! grep -Eq '\[(3[0-7]|4[0-7]|38;|48;)' "$TMPD/esc" &&
    grep -q "$(printf '\033')\[7m" "$TMPD/esc"
ok $? "NO_COLOR: attributes (reverse video) but no colours"
keys q
wait_for "^EXITED 0"
ok $? "q quits at once without changes"

TUI_LOCALE=C tui_start 100 30
wait_for "full rank 9"
LC_ALL=C grep -q '[^ -~]' "$TMPD/screen"
[ $? -ne 0 ]
ok $? "a locale without UTF-8 falls back to ASCII by itself"
keys q

# ---- not a terminal ---------------------------------------------------------
"$WHITTLE" </dev/null >"$TMPD/out" 2>&1
[ $? -eq 2 ] && grep -q "needs a terminal" "$TMPD/out"
ok $? "without a terminal: a clear message and status 2"

done_testing
