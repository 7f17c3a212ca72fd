# lib.sh - TAP helpers for the shell tests (sourced)
n=0
failed=0
: "${WHITTLE:=./whittle}"
: "${srcdir:=.}"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/whittle-test.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT

ok() {	# ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

diag() {
	echo "$*" | sed 's/^/# /'
}

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit $?
}

# have_fashion: the Fashion-MNIST test split is installed
have_fashion() {
	d=${WHITTLE_DATA_DIR:-/usr/share/datasets}/fashion-mnist
	[ -r "$d/t10k-images-idx3-ubyte.gz" ] ||
		[ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]
}

# ort_install DIR: onnxruntime-node in DIR/node_modules, installed with npm
# when it does not load.  The tests that use it run in parallel, so they
# take turns under a lock: one never runs the package while another's npm
# is still rewriting it.  Status 0 when it loads; npm's last lines in
# $TMPD/npm.log when it could not be installed.
ort_install() {
	mkdir -p "$1" || return 1
	(
		flock 9 || exit 1
		ORT_NODE_DIR="$1/node_modules" "$NODE" \
			"$srcdir/bench/ort-eval.js" --check >/dev/null 2>&1 &&
			exit 0
		cd "$1" && ${NPM:-npm} install --no-audit --no-fund \
			--ignore-scripts onnxruntime-node >"$TMPD/npm.log" 2>&1
	) 9>"$1/.npm.lock"
}
