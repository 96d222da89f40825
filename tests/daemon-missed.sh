#!/bin/sh
# Missed fires: nothing is missed on a brand-new install; after downtime
# (simulated by moving job_state.last_fire_at back while the daemon is
# stopped) the fires are recorded missed, the first 100 one by one and the
# rest in one summary row, with one catch-up run where asked; @reboot jobs
# run once per boot id.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 27

iso() {	# MS: as lockcron writes instants
	sql "select strftime('%Y-%m-%dT%H:%M:%S.000Z', $1 / 1000, 'unixepoch')"
}
s=$(( ($(date +%s) + 35) % 60 ))	# 25 s ago, and not again for 35 s
conf() {	# REENABLE'S ENABLED
	daemon_config <<EOF
  { name = "sec"; schedule = "* * * * * *"; command = "true"; },
  { name = "catch"; schedule = "$s * * * * *"; catch_up = "once"; command = "true"; },
  { name = "nocatch"; schedule = "$s * * * * *"; command = "true"; },
  { name = "boot"; schedule = "@reboot"; command = "true"; },
  { name = "reenable"; schedule = "* * * * * *"; command = "true"; enabled = $1; }
EOF
}
conf true
echo 0f8e4f4c-3d6b-4c2e-9a53-6c1b8f0e7a11 >"$TMP/boot_id"

# A brand-new install: nothing missed, nothing caught up.
daemon_start_or_bail --boot-id-file "$TMP/boot_id"
wait_for "[ \$(sqlv \"select count(*) from runs where job in ('sec', 'reenable') and status = 'succeeded'\") -ge 4 ]" 15
wait_for "[ \"\$(sqlv \"select status from runs where job = 'boot'\")\" = succeeded ]" 10
# reenable is disabled for a while, and enabled again while the daemon is
# down: it starts from the new start, its disabled time missed nothing.
conf false
"$LOCKCRON" reload -c "$D_CONF" >/dev/null
t_off=$(now_ms)
sleep 2.5
daemon_stop
is "$(sql "select last_fire_at is null from job_state where job = 'reenable'")" "1" \
    "a disabled job's state forgets its last fire"
conf true
is "$(sql "select count(*) from runs where status = 'missed'")" "0" "a brand-new install records nothing missed"
is "$(sql "select count(*) from runs where job in ('catch', 'nocatch')")" "0" "and catches nothing up"
is "$(sql "select trigger || ' ' || status from runs where job = 'boot'")" "reboot succeeded" \
    "the @reboot job ran once"

# Downtime: sec last fired 150 s ago; catch and nocatch 3 minutes before
# their latest instant.
now=$(date +%s)
latest=$(( (now - (now - s + 60) % 60) * 1000 ))
sql "update job_state set last_fire_at = ($now - 150) * 1000 where job = 'sec';
    insert into job_state (job, last_fire_at, updated_at) values
    ('catch', $latest - 180000, 0), ('nocatch', $latest - 180000, 0);"
mark=$(sql "select max(rowid) from runs")
daemon_start_or_bail --boot-id-file "$TMP/boot_id"
wait_for "[ \"\$(sqlv \"select status from runs where job = 'catch' and trigger = 'catch_up'\")\" = succeeded ]" 10
ok $? "catch_up = once: one catch-up run"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'sec' and status = 'succeeded' and rowid > $mark\") -ge 2 ]" 10
ok $? "sec runs again after its missed fires"
daemon_stop

# sec: 100 rows, then one summary row, then runs again.
new="rowid > $mark and job = 'sec'"
is "$(sql "select count(*), count(distinct scheduled_at), min(scheduled_at) - ($now - 149) * 1000,
    max(scheduled_at) - min(scheduled_at) from runs where $new and status = 'missed' and error is null")" \
    "100|100|0|99000" "the first 100 missed fires: one row each, one per second"
first_run=$(sql "select min(scheduled_at) from runs where $new and status != 'missed'")
summary=$(sql "select scheduled_at || '|' || error from runs where $new and status = 'missed' and error is not null")
from=$((($now - 149) * 1000 + 100000)) to=$((first_run - 1000))
is "$summary" "$to|$(((to - from) / 1000 + 1)) missed fires from $(iso $from) to $(iso $to)" \
    "the rest: one summary row with their count and range"
is "$(sql "select count(*) from runs where $new and status = 'missed'")" "101" "101 missed rows in all"
is "$(sql "select trigger from runs where $new and scheduled_at = $first_run")" "schedule" \
    "the current second runs on time"
is "$(sql "select count(*) = count(distinct scheduled_at),
    count(*) - 1 + $(((to - from) / 1000 + 1)) = (max(scheduled_at) - min(scheduled_at)) / 1000 + 1
    from runs where $new")" "1|1" \
    "missed (with the summary's count) and run: every second once, none left out"

# catch and nocatch: three missed fires; catch runs once for the latest.
for j in catch nocatch; do
	is "$(sql "select group_concat(scheduled_at - $latest, ' ') from (select scheduled_at from runs
	    where job = '$j' and status = 'missed' order by scheduled_at)")" "-120000 -60000 0" \
	    "$j: three missed fires, one row each"
done
is "$(sql "select scheduled_at - $latest, trigger, attempt, fire_id = id from runs
    where job = 'catch' and status != 'missed'")" "0|catch_up|1|1" \
    "catch: one catch-up run for the latest missed instant"
is "$(sql "select count(*) from runs where job = 'nocatch' and status != 'missed'")" "0" \
    "nocatch: no run"
is "$(sql "select count(*) from runs where status = 'missed' and (started_at is not null
    or trigger != 'schedule')")" "0" "missed rows never started"
is "$(sql "select count(*) from job_state where job in ('catch', 'nocatch') and last_fire_at = $latest")" "2" \
    "job_state moved on to the latest instant"

# @reboot: the same boot id, no run; a new one, one run; again, none.
is "$(sql "select count(*) from runs where job = 'boot'")" "1" "@reboot: a restart in the same boot runs nothing"
echo 7c1e2d3a-5b4f-4e6d-8a9b-0c1d2e3f4a5b >"$TMP/boot_id"
daemon_start_or_bail --boot-id-file "$TMP/boot_id"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'boot' and status = 'succeeded'\") = 2 ]" 10
ok $? "@reboot: a new boot id, one more run"
daemon_stop
is "$(sql "select boot_id from runs where job = 'boot' order by rowid desc limit 1")" \
    "7c1e2d3a-5b4f-4e6d-8a9b-0c1d2e3f4a5b" "recorded with the new boot id"
mark3=$(sql "select max(rowid) from runs")
daemon_start_or_bail --boot-id-file "$TMP/boot_id"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'sec' and status = 'succeeded' and rowid > $mark3\") -ge 1 ]" 10
# The daemon held up for 2.5 s (SIGSTOP: a loaded machine, a slow
# wake-up): the fires it slept through are within the grace and run late;
# none is missed.
kill -STOP "$D_PID"
sleep 2.5
kill -CONT "$D_PID"
t_cont=$(now_ms)
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'sec' and status = 'succeeded' and scheduled_at > $t_cont\") -ge 2 ]" 10
daemon_stop
is "$(sql "select count(*) from runs where job = 'boot'")" "2" "@reboot: restarted again in that boot, no run"
is "$(sql "select count(*) from runs where rowid > $mark3 and status = 'missed'")" "0" \
    "a daemon held up for 2.5 s misses nothing: late fires within the grace run"
is "$(sql "select count(*) = count(distinct scheduled_at),
    count(*) = (max(scheduled_at) - min(scheduled_at)) / 1000 + 1
    from runs where job = 'sec' and rowid > $mark3")" "1|1" "and each of its instants has one run"
is "$(sql "select count(*) from runs where job = 'reenable' and scheduled_at > $t_off and status = 'missed'")" "0" \
    "a job enabled again after a restart starts from then: nothing missed"
is "$(sql "select count(*) >= 2 from runs where job = 'reenable' and scheduled_at > $t_off and status = 'succeeded'")" \
    "1" "and it runs"
is "$(sql "select count(*) from runs where status in ('queued', 'running', 'lost')")" "0" "nothing left running or lost"
ok_clean_stderr
