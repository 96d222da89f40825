#!/bin/sh
# lockcron list (table, JSON, CSV) and lockcron next JOB, on a config with
# several zones, schedules, locks and a disabled job.
. "$TOP_SRCDIR/tests/lib.sh"
unset TZDIR LOCKCRON_CONFIG NO_COLOR
plan 14

cat >"$TMP/c.conf" <<'CONF'
timezone = "Europe/Berlin";
lock_dir = "/var/lib/lc/locks";
jobs = (
  { name = "backup"; schedule = "0 2 * * *"; command = "b"; user = "root"; },
  { name = "poll"; schedule = ["*/20 * * * *", "0 * * * *", "5 0 * * *"];
    command = ["/bin/poll", "a,b"]; timezone = "America/New_York";
    overlap = "wait"; lock_wait = 60; lock = "/run/poll.lock"; },
  { name = "boot"; schedule = "@reboot"; command = "x"; },
  { name = "off"; schedule = "@hourly"; command = "x"; enabled = false; }
);
CONF
# The history is read from the config's state_dir: an empty one here
# (tests/history-cli.sh covers the last-run columns).
echo "state_dir = \"$TMP/state\";" >>"$TMP/c.conf"
chmod 0644 "$TMP/c.conf"
from=2026-03-01T04:30:00Z

COLUMNS=200 run "$LOCKCRON" list -c "$TMP/c.conf" --from $from
is "$out" "NAME    SCHEDULE                            ZONE              NEXT                       LOCK                           OVERLAP  USER  ENABLED  LAST  LAST RUN
backup  0 2 * * *                           Europe/Berlin     2026-03-02 02:00:00+01:00  /var/lib/lc/locks/backup.lock  skip     root  yes      -     -
poll    */20 * * * *; 0 * * * *; 5 0 * * *  America/New_York  2026-02-28 23:40:00-05:00  /run/poll.lock                 wait     -     yes      -     -
boot    @reboot                             Europe/Berlin     -                          /var/lib/lc/locks/boot.lock    skip     -     yes      -     -
off     @hourly                             Europe/Berlin     -                          /var/lib/lc/locks/off.lock     skip     -     no       -     -" \
    "table, wide"

# Not a terminal and no COLUMNS: 80 columns, the least useful dropped.
run env -u COLUMNS "$LOCKCRON" list -c "$TMP/c.conf" --from $from
is "$(echo "$out" | head -1)" "NAME    SCHEDULE                            NEXT                       ENABLED" \
    "table, 80 columns"
is "$(echo "$out" | awk '{ if (length($0) > m) m = length($0) } END { print m }')" "78" \
    "table fits 80 columns"

run "$LOCKCRON" list -c "$TMP/c.conf" --from $from --format json
is "$rc" "0" "json: exit 0"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
for j in json.load(sys.stdin):
    print(j["name"], j["schedules"], j["timezone"], j["next_fire_at"],
        j["lock"], j["overlap"], j["user"], j["enabled"], sorted(j))
')" "backup ['0 2 * * *'] Europe/Berlin 2026-03-02T01:00:00.000Z /var/lib/lc/locks/backup.lock skip root True ['consecutive_failures', 'enabled', 'last_run_at', 'last_status', 'last_success_at', 'lock', 'name', 'next_fire_at', 'overlap', 'schedules', 'timezone', 'user']
poll ['*/20 * * * *', '0 * * * *', '5 0 * * *'] America/New_York 2026-03-01T04:40:00.000Z /run/poll.lock wait None True ['consecutive_failures', 'enabled', 'last_run_at', 'last_status', 'last_success_at', 'lock', 'name', 'next_fire_at', 'overlap', 'schedules', 'timezone', 'user']
boot ['@reboot'] Europe/Berlin None /var/lib/lc/locks/boot.lock skip None True ['consecutive_failures', 'enabled', 'last_run_at', 'last_status', 'last_success_at', 'lock', 'name', 'next_fire_at', 'overlap', 'schedules', 'timezone', 'user']
off ['@hourly'] Europe/Berlin None /var/lib/lc/locks/off.lock skip None False ['consecutive_failures', 'enabled', 'last_run_at', 'last_status', 'last_success_at', 'lock', 'name', 'next_fire_at', 'overlap', 'schedules', 'timezone', 'user']" \
    "json: typed values, parsed back"

run "$LOCKCRON" list -c "$TMP/c.conf" --from $from --format csv
is "$(printf '%s' "$out" | python3 -c '
import csv, sys
for row in csv.reader(sys.stdin):
    print("|".join(row))
')" "name|schedules|timezone|next_fire_at|lock|overlap|user|enabled|last_status|last_run_at|last_success_at|consecutive_failures
backup|0 2 * * *|Europe/Berlin|2026-03-02T01:00:00.000Z|/var/lib/lc/locks/backup.lock|skip|root|true||||0
poll|*/20 * * * *;0 * * * *;5 0 * * *|America/New_York|2026-03-01T04:40:00.000Z|/run/poll.lock|wait||true||||0
boot|@reboot|Europe/Berlin||/var/lib/lc/locks/boot.lock|skip||true||||0
off|@hourly|Europe/Berlin||/var/lib/lc/locks/off.lock|skip||false||||0" \
    "csv: parsed back"
"$LOCKCRON" list -c "$TMP/c.conf" --from $from --format csv >"$TMP/o.csv"
is "$(tr -dc '\r' <"$TMP/o.csv" | wc -c):$(wc -l <"$TMP/o.csv")" "5:5" \
    "csv: CRLF line ends"

run "$LOCKCRON" list -c "$TMP/c.conf" --format yaml
is "$rc:$err" "2:lockcron: --format: expected table, json or csv, got \"yaml\"" \
    "bad format"

# Colour only on a terminal, and never with NO_COLOR.
script -qec "env COLUMNS=200 $LOCKCRON list -c $TMP/c.conf --from $from" \
    /dev/null >"$TMP/tty.out" 2>&1
is "$(grep -c "$(printf '\033')\[1mNAME" "$TMP/tty.out")" "1" "tty: coloured header"
script -qec "env NO_COLOR=1 COLUMNS=200 $LOCKCRON list -c $TMP/c.conf --from $from" \
    /dev/null >"$TMP/tty.out" 2>&1
is "$(grep -c "$(printf '\033')" "$TMP/tty.out")" "0" "tty with NO_COLOR: no colour"

# next JOB: the schedules merged, in order, without repeats, in its zone.
run "$LOCKCRON" next -c "$TMP/c.conf" --from 2026-02-28T23:30:00-05:00 -n 6 poll
is "$out" "2026-02-28T23:40:00-05:00
2026-03-01T00:00:00-05:00
2026-03-01T00:05:00-05:00
2026-03-01T00:20:00-05:00
2026-03-01T00:40:00-05:00
2026-03-01T01:00:00-05:00" "next JOB merges its schedules"
run "$LOCKCRON" next -c "$TMP/c.conf" boot
is "$rc:$err" "1:lockcron: job \"boot\" never fires on a schedule" "next JOB: @reboot only"
run "$LOCKCRON" next -c "$TMP/c.conf" nosuch
is "$rc:$err" "2:lockcron: next: no job named \"nosuch\" in $TMP/c.conf" "next: unknown job"
run "$LOCKCRON" next -c "$TMP/c.conf" --tz UTC backup
is "$rc" "2" "next JOB with --tz: usage error"
