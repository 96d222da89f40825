#!/bin/sh
. "$TOP_SRCDIR/tests/lib.sh"
plan 1
run "$LOCKCRON" next --tz UTC --from 2026-01-01T00:00:00Z -n 1 '0 2 * * *'
is "$out" "2026-01-01T02:00:00+00:00" "daily"
