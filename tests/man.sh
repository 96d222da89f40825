#!/bin/sh
# Every man page renders, and without a single groff or mdoc warning.
. "$TOP_SRCDIR/tests/lib.sh"
if ! command -v man >/dev/null 2>&1; then
	echo "1..0 # SKIP man(1) is not installed"
	exit 0
fi
pages=$(ls "$TOP_SRCDIR"/man/*.[158])
plan $(($(echo "$pages" | wc -l) * 2))
for p in $pages; do
	name=$(basename "$p")
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" >"$TMP/out" \
	    2>"$TMP/warnings"
	is "$(cat "$TMP/warnings")" "" "$name: no warnings"
	grep -q '^NAME' "$TMP/out"
	ok $? "$name: rendered"
done
