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
