#!/bin/sh
# Crashes: lockcrond killed with SIGKILL in the middle of a run, then
# started again, and a supervisor killed with SIGKILL.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 21

mark='echo \"$LOCKCRON_RUN_ID $(date +%s%3N)\"'
daemon_config <<EOF
  { name = "long"; schedule = "* * * * * *";
    command = "$mark start >>$TMP/marks; sleep 4; $mark end >>$TMP/marks"; },
  { name = "victim"; schedule = "0 0 0 1 1 *";
    command = "echo \$\$ >$TMP/victim.pid; exec sleep 30"; },
  { name = "quick"; schedule = "0 0 0 1 1 *"; command = "sleep 30"; }
EOF
daemon_start_or_bail
wait_for "[ -n \"\$(sqlv \"select r.id from runs r join events e on e.run = r.id
    where r.job = 'long' and r.status = 'running' and e.kind = 'started'\")\" ]" 15
first=$(sql "select r.id from runs r join events e on e.run = r.id
    where r.job = 'long' and r.status = 'running' and e.kind = 'started'")
spid=$(sql "select supervisor_pid from runs where id = '$first'")
daemon_kill9
t_kill=$(now_ms)

# Dead daemon, stale socket: the CLI says no daemon is running.
run "$LOCKCRON" reload -c "$D_CONF"
is "$rc:$err" "1:lockcron: lockcrond is not running (no daemon listening on $D_SOCK)" \
    "a killed daemon's stale socket: the CLI says it is not running"
# The lock outlives the daemon: a manual run of the same job is skipped.
run "$LOCKCRON" run -c "$D_CONF" long
is "$rc" "75" "lockcron run while the orphaned run holds the lock: skipped (75)"

daemon_start_or_bail
t_restart=$(now_ms)
ok "$(grep -q "job=long run=$first: watching its running supervisor (pid $spid) from before the restart" "$D_LOG"; echo $?)" \
    "the restarted daemon adopts the running supervisor"
wait_for "[ \"\$(sqlv \"select status from runs where id = '$first'\")\" = succeeded ]" 10
ok $? "the first run completes and records success"
is "$(sql "select kind, count(*) from events where run = '$first' and kind in ('started', 'exited') group by kind order by kind")" \
    "exited|1
started|1" "its supervisor wrote its end itself, once (the daemon that took its start is gone)"
is "$(sql "select finished_at > $t_restart from runs where id = '$first'")" "1" \
    "it finished after the restart"
wait_for "grep -q 'job=long run=$first status=succeeded exit=0' '$D_LOG'" 5
ok $? "the restarted daemon logs its end (it watched its pidfd)"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'long' and status = 'succeeded'\") -ge 2 ]" 10
ok $? "a later fire runs once the first has ended"
n=$(sql "select count(*) from runs where job = 'long' and status = 'skipped'
    and scheduled_at > $t_restart and started_at < (select finished_at from runs where id = '$first')")
ok "$([ "$n" -ge 1 ]; echo $?)" "fires after the restart were skipped while the first ran ($n)"
is "$(sql "select count(*) from runs where job = 'long' and status = 'skipped'
    and error not like 'lock % is busy (another run holds it)'")" "0" "because its lock was busy"
is "$(awk '$3 == "start" { s[$1] = $2 } $3 == "end" { e[$1] = $2 }
    END { for (i in s) for (j in s) if (i < j && s[i] < e[j] && s[j] < e[i]) print i, j }' "$TMP/marks")" "" \
    "no two runs of long overlapped"
is "$(sql "select count(*) from runs where job = 'long' and scheduled_at < $t_kill
    and scheduled_at > (select scheduled_at from runs where id = '$first')
    and status not in ('skipped', 'lost')")" "0" \
    "fires between the first and the kill were skipped or lost"

# kill -9 of a supervisor: its row is lost at once; the job keeps the lock.
run "$LOCKCRON" run -c "$D_CONF" --no-wait victim
vid=$out
wait_for "[ -s $TMP/victim.pid ] && [ \"\$(sqlv \"select count(*) from events where run = '$vid' and kind = 'started'\")\" = 1 ]" 10
vspid=$(sql "select supervisor_pid from runs where id = '$vid'")
kill -9 "$vspid"
wait_for "[ \"\$(sqlv \"select status from runs where id = '$vid'\")\" = lost ]" 5
ok $? "a supervisor killed with SIGKILL: its run is lost at once"
is "$(sql "select error from runs where id = '$vid'")" \
    "its supervisor (pid $vspid) was killed by signal 9" "the error says why"
ok "$(grep -q "job=victim run=$vid status=lost exit=- duration=" "$D_LOG"; echo $?)" "and the log"
run flock -n "$D_LOCKS/victim.lock" true
is "$rc" "1" "the orphaned job still holds the lock"
kill "$(cat "$TMP/victim.pid")"
wait_for "flock -n '$D_LOCKS/victim.lock' true" 5
ok $? "its lock is free once the job is gone"
run "$LOCKCRON" run -c "$D_CONF" --no-wait victim
wait_for "[ \"\$(sqlv \"select status from runs where id = '$out'\")\" = running ]" 10
ok $? "and the daemon starts the job again"

# A cancel that comes at once, while the supervisor is only starting,
# still cancels the run (it used to kill the supervisor: lost).
# (One at a time, each supervisor gone before the next starts: the next
# one would find the lock busy.)
for i in 1 2 3 4 5 6 7 8; do
	qid=$("$LOCKCRON" run -c "$D_CONF" --no-wait quick)
	"$LOCKCRON" cancel -c "$D_CONF" "$qid" || echo "# cancel $qid failed"
	wait_for "[ \$(sqlv \"select count(*) from runs where job = 'quick' and status not in ('queued', 'running')\") = $i ]" 10
	qsp=$(sql "select supervisor_pid from runs where id = '$qid'")
	[ -z "$qsp" ] || wait_for "! d_alive $qsp" 10
done
is "$(sql "select status, count(*) from runs where job = 'quick' group by status")" "cancelled|8" \
    "cancelled at once after run --no-wait: cancelled, never lost"

daemon_stop
is "$D_RC" "0" "the restarted daemon stops cleanly"
ok_clean_stderr
