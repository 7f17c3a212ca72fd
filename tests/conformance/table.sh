#!/bin/sh
# table.sh TABLE README - puts TABLE between README's conformance markers,
# writing README through a temporary file renamed into place
set -e
table=$1
readme=$2
tmp="$readme.tmp.$$"
awk -v table="$table" '
/^<!-- conformance-table begin -->$/ {
	print
	while ((getline line < table) > 0)
		print line
	skip = 1
	next
}
/^<!-- conformance-table end -->$/ { skip = 0 }
!skip { print }
' "$readme" >"$tmp"
if ! grep -q '^<!-- conformance-table end -->$' "$tmp"; then
	rm -f "$tmp"
	echo "table.sh: $readme has no conformance-table markers" >&2
	exit 1
fi
mv "$tmp" "$readme"
