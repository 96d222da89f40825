#!/bin/sh
# The manual pages render without a warning (man --warnings, as groff -ww).
. "$TOP_SRCDIR/tests/lib.sh"
pages=$(cd "$TOP_SRCDIR" && ls man/*.[1-8])
plan $(echo "$pages" | wc -w)
for p in $pages; do
	if ! command -v man >/dev/null 2>&1; then
		_n=$((_n + 1))
		echo "ok $_n # SKIP man is not installed"
		continue
	fi
	MANWIDTH=80 man --warnings -l "$TOP_SRCDIR/$p" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	is "$rc:$(cat "$TMP/err"):$(grep -c . "$TMP/out")" \
	    "0::$(grep -c . "$TMP/out")" "$p renders without warnings"
done
