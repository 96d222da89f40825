#!/bin/sh
# The contract of `lockcron next`: output format, -n, --from (Z and offset),
# --tz and the TZ default, errors and exit codes (2: bad input, 1: never
# fires), --help and --version, unquoted fields. Every run names its zone,
# through --tz or TZ; the host's own zone never decides a result.
. "$TOP_SRCDIR/tests/lib.sh"
plan 76

NEXT="$LOCKCRON next"
lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }

# --- output format ---
run env -u TZ $NEXT --tz America/New_York --from 2026-03-08T01:59:00-05:00 \
    -n 1 '0 2 * * *'
is "$rc" 0 "format: exit 0"
is "$out" "2026-03-08T03:00:00-04:00" \
    "format: ISO-8601 with the zone's offset (02:00 skipped: runs at 03:00)"
is "$err" "" "format: nothing on stderr"

run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 2 '0 2 * * *'
is "$out" "2026-01-01T02:00:00+00:00
2026-01-02T02:00:00+00:00" "UTC prints +00:00"

run env -u TZ $NEXT --tz Asia/Kolkata --from 2026-01-01T00:00:00Z -n 1 \
    '0 6 * * *'
is "$out" "2026-01-01T06:00:00+05:30" "half-hour offsets print as +05:30"

run env -u TZ $NEXT --tz America/New_York --from 2026-11-01T00:00:00-04:00 \
    -n 4 '30 * * * *'
is "$out" "2026-11-01T00:30:00-04:00
2026-11-01T01:30:00-04:00
2026-11-01T01:30:00-05:00
2026-11-01T02:30:00-05:00" "a repeated hour prints both offsets"

run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 3 '*/20 * * * * *'
is "$out" "2026-01-01T00:00:20+00:00
2026-01-01T00:00:40+00:00
2026-01-01T00:01:00+00:00" "six fields: seconds"

# --- -n COUNT ---
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z '0 * * * *'
is "$rc" 0 "default count: exit 0"
is "$(lines "$out")" 5 "default count is 5"
is "$(printf '%s\n' "$out" | tail -n 1)" "2026-01-01T05:00:00+00:00" \
    "default count: the 5th fire"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 12 '0 * * * *'
is "$(lines "$out")" 12 "-n 12 prints 12 lines"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z --count 3 '@daily'
is "$out" "2026-01-02T00:00:00+00:00
2026-01-03T00:00:00+00:00
2026-01-04T00:00:00+00:00" "--count is -n"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 1 '0 0 * * *'
is "$(lines "$out")" 1 "-n 1 prints 1 line"
for bad in 0 -1 abc 1x ''; do
	run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n "$bad" \
	    '0 * * * *'
	is "$rc/$(lines "$out")" "2/0" "-n '$bad': exit 2, nothing on stdout"
done

# --- --from ---
run env -u TZ $NEXT --tz UTC --from 2026-03-08T06:59:00Z -n 2 '0 7 * * *'
z=$out
run env -u TZ $NEXT --tz UTC --from 2026-03-08T01:59:00-05:00 -n 2 '0 7 * * *'
is "$out" "$z" "--from: Z and -05:00 name the same instant"
is "$out" "2026-03-08T07:00:00+00:00
2026-03-09T07:00:00+00:00" "--from: the fires after it"
run env -u TZ $NEXT --tz UTC --from 2026-03-08T12:29:00+05:30 -n 1 '0 7 * * *'
is "$out" "2026-03-08T07:00:00+00:00" "--from with a +05:30 offset"
run env -u TZ $NEXT --tz UTC --from 2026-03-08T07:00:00Z -n 1 '0 7 * * *'
is "$out" "2026-03-09T07:00:00+00:00" "--from: strictly after TIME"
run env -u TZ $NEXT --tz UTC --from 2026-03-08T06:59:59Z -n 1 '0 7 * * *'
is "$out" "2026-03-08T07:00:00+00:00" "--from: one second before a fire"
for bad in yesterday 2026-13-01T00:00:00Z 2026-02-30T00:00:00Z \
    2026-03-08T25:00:00Z 2026-03-08T01:59:00+5; do
	run env -u TZ $NEXT --tz UTC --from "$bad" '0 7 * * *'
	is "$rc/$(lines "$out")/$(lines "$err")" "2/0/1" \
	    "--from '$bad': exit 2, nothing on stdout, one message"
done

# Without --from: after now.
before=$(date -u +%Y-%m-%dT%H:%M:%S)
run env TZ=UTC $NEXT '* * * * *'
first=$(printf '%s\n' "$out" | head -n 1)
is "$rc/$(lines "$out")" "0/5" "no --from: five fires"
ok "$(expr "$first" \> "$before+00:00" >/dev/null; echo $?)" \
    "no --from: the first fire ($first) is after now ($before)"
case $first in
????-??-??T??:??:00+00:00) r=0 ;;
*) r=1 ;;
esac
ok $r "no --from: the first fire is on a whole minute"

# --- --tz and TZ ---
run env TZ=America/New_York $NEXT --from 2026-03-08T01:59:00-05:00 -n 1 \
    '0 2 * * *'
is "$out" "2026-03-08T03:00:00-04:00" "the zone defaults to TZ"
run env TZ=Europe/London $NEXT --tz UTC --from 2022-10-30T00:00:00Z -n 9 \
    '*/15 * * * *'
is "$out" "2022-10-30T00:15:00+00:00
2022-10-30T00:30:00+00:00
2022-10-30T00:45:00+00:00
2022-10-30T01:00:00+00:00
2022-10-30T01:15:00+00:00
2022-10-30T01:30:00+00:00
2022-10-30T01:45:00+00:00
2022-10-30T02:00:00+00:00
2022-10-30T02:15:00+00:00" "--tz wins over TZ; UTC ignores London's fall-back"
run env TZ=:Australia/Sydney $NEXT --from 2019-10-05T23:00:00+10:00 -n 2 \
    '30 2/4 * * *'
is "$out" "2019-10-06T03:00:00+11:00
2019-10-06T06:30:00+11:00" "TZ with a leading colon"
run env TZ=UTC $NEXT --tz Europe/Berlin --from 2023-10-28T12:00:00Z -n 2 \
    '0 2 * * *'
is "$out" "2023-10-29T02:00:00+02:00
2023-10-30T02:00:00+01:00" "--tz Europe/Berlin, fall-back day: once"

run env -u TZ $NEXT --tz Mars/Olympus_Mons --from 2026-01-01T00:00:00Z \
    '0 2 * * *'
is "$rc" 2 "unknown --tz: exit 2"
is "$out" "" "unknown --tz: nothing on stdout (no silent UTC)"
ok "$(printf '%s' "$err" | grep -q 'Mars/Olympus_Mons'; echo $?)" \
    "unknown --tz: the message names the zone"
run env TZ=Mars/Olympus_Mons $NEXT --from 2026-01-01T00:00:00Z '0 2 * * *'
is "$rc/$(lines "$out")" "2/0" "unknown zone in TZ: exit 2, nothing on stdout"
ok "$(printf '%s' "$err" | grep -q 'Mars/Olympus_Mons'; echo $?)" \
    "unknown zone in TZ: the message names it"
for bad in ../../etc/passwd /etc/passwd America right/UTC; do
	run env -u TZ $NEXT --tz "$bad" --from 2026-01-01T00:00:00Z '0 2 * * *'
	is "$rc/$(lines "$out")/$(lines "$err")" "2/0/1" \
	    "--tz '$bad' is refused with one message"
done

# --- bad expressions: exit 2, one message, nothing on stdout ---
for bad in '60 * * * *' '5-1 * * * *' '*/0 * * * *' '* * * foo *' \
    '* * * *' '0 0 , * *' '5x * * * *' '0 0 * * mön' '@fortnightly' ''; do
	run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z "$bad"
	is "$rc/$(lines "$out")/$(lines "$err")" "2/0/1" \
	    "bad expression '$bad': exit 2, one message, no output"
done
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z '* 24 * * *'
ok "$(printf '%s' "$err" | grep -q 'hour field.*24 is out of range'; echo $?)" \
    "bad expression: the message names the field and says why"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z
is "$rc/$(lines "$out")" "2/0" "no expression: exit 2, nothing on stdout"

# --- never fires: exit 1, a message, nothing on stdout ---
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z '0 0 30 2 *'
is "$rc" 1 "never fires: exit 1"
is "$out" "" "never fires: nothing on stdout"
ok "$(printf '%s' "$err" | grep -q 'never'; echo $?)" \
    "never fires: says so on stderr"
run env -u TZ $NEXT --tz America/New_York --from 2026-01-01T00:00:00Z \
    '0 0 31 4,6,9,11 *'
is "$rc/$(lines "$out")" "1/0" "never fires in New York either"
run env -u TZ $NEXT --tz UTC --from 2096-03-01T00:00:00Z -n 1 '0 0 29 2 *'
is "$rc/$out" "0/2104-02-29T00:00:00+00:00" "Feb 29 from 2096: 2104"

# --- @reboot ---
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z '@reboot'
is "$rc/$(lines "$out")" "1/0" "@reboot: exit 1, nothing on stdout"
ok "$(printf '%s' "$err" | grep -q 'boot'; echo $?)" \
    "@reboot: the message says it runs at boot"

# --- unquoted fields ---
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 2 30 2 '*' '*' 1-5
is "$out" "2026-01-01T02:30:00+00:00
2026-01-02T02:30:00+00:00" "unquoted fields as separate arguments"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 2 '30 2 * * 1-5'
is "$out" "2026-01-01T02:30:00+00:00
2026-01-02T02:30:00+00:00" "the same, quoted"
run env -u TZ $NEXT --tz UTC --from 2026-01-01T00:00:00Z -n 1 '*' 0 0 '*' '*' '*'
is "$out" "2026-01-01T00:00:01+00:00" "six unquoted fields"

# --- --help and --version ---
run "$LOCKCRON" --help
is "$rc" 0 "--help: exit 0"
ok "$(printf '%s' "$out" | grep -q '^usage: lockcron'; echo $?)" \
    "--help: usage on stdout"
ok "$(printf '%s' "$out" | grep -q 'next'; echo $?)" "--help lists next"
run "$LOCKCRON" next --help
is "$rc/$err" "0/" "next --help: exit 0, nothing on stderr"
ok "$(printf '%s' "$out" |
    grep -q 'usage: lockcron next.*--tz.*--from.*-n'; echo $?)" \
    "next --help: the usage of next on stdout"
run "$LOCKCRON" --version
is "$rc" 0 "--version: exit 0"
ok "$(printf '%s' "$out" | grep -Eq '^lockcron [0-9]+\.[0-9]+'; echo $?)" \
    "--version: lockcron and a version"
run "$LOCKCRON"
is "$rc/$(lines "$out")" "2/0" "no command: exit 2, usage on stderr only"
run "$LOCKCRON" frobnicate
is "$rc/$(lines "$out")" "2/0" "unknown command: exit 2"
run "$LOCKCRON" next --bogus '* * * * *'
is "$rc/$(lines "$out")" "2/0" "unknown option: exit 2"

exit $((_failed > 0))
