#!/bin/sh
# The daemon writes its supervisors' records (src/record.c): a running
# supervisor has no connection to the history; what it cannot hand to the
# daemon (an output too large for the socket; anything once the daemon has
# stopped, or while it is stopped with SIGSTOP; a run without a channel
# when the daemon is out of descriptors) it writes itself, and nothing is
# lost or written twice. The daemon raises its descriptor limit, its jobs
# get the one it was started with.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"

# wait_status RUN STATUS SECS: until the run has that status.
wait_status() {
	wait_for "[ \"\$(sqlv \"select status from runs where id = '$1'\")\" = $2 ]" "$3"
}
# start_end RUN: its started and exited events, by kind, with counts.
start_end() {
	sql "select kind, count(*) from events where run = '$1' and
	    kind in ('started', 'exited') group by kind order by kind"
}
ONCE="exited|1
started|1"
plan 28

daemon_config <<EOF
  { name = "slow"; schedule = "0 0 0 1 1 *";
    command = "sleep 2; echo done"; },
  { name = "big"; schedule = "0 0 0 1 1 *"; output = { keep_bytes = 1048576; };
    command = "head -c 600000 /dev/zero | tr '\\\\0' x"; },
  { name = "mid"; schedule = "0 0 0 1 1 *";
    command = "head -c 60000 /dev/zero | tr '\\\\0' y"; },
  { name = "nul"; schedule = "0 0 0 1 1 *"; command = "printf 'a\\000b'"; },
  { name = "frozen"; schedule = "0 0 0 1 1 *"; command = "sleep 1; echo thawed"; },
  { name = "limit"; schedule = "0 0 0 1 1 *"; command = "ulimit -Sn; ulimit -Hn"; },
  { name = "outlive"; schedule = "0 0 0 1 1 *";
    command = "echo \$\$ >$TMP/outlive.pid; sleep 3; echo after"; }
EOF
daemon_start_or_bail

# Through the daemon: the supervisor never opens the history.
run "$LOCKCRON" run -c "$D_CONF" --no-wait slow
id=$out
wait_for "[ \"\$(sqlv \"select count(*) from events where run = '$id' and kind = 'started'\")\" = 1 ]" 10
ok $? "slow: started"
spid=$(sql "select supervisor_pid from runs where id = '$id'")
ok "$([ -n "$spid" ] && [ -d "/proc/$spid" ]; echo $?)" "its supervisor ($spid) is running"
is "$(ls -l "/proc/$spid/fd" 2>/dev/null | grep -c 'history\.db')" "0" \
    "the supervisor has no file of the history open (the daemon writes its record)"
wait_status "$id" succeeded 10
ok $? "slow: succeeded"
is "$(start_end "$id")" "$ONCE" "one started and one exited event"
is "$(sql "select output from runs where id = '$id'")" "done" "its output is kept"

# An output too large for the socket: the supervisor writes its end.
run "$LOCKCRON" run -c "$D_CONF" --no-wait big
id=$out
wait_status "$id" succeeded 10
ok $? "big: succeeded"
is "$(sql "select length(output), count(*) from runs r join events e on e.run = r.id
    where r.id = '$id' and e.kind = 'exited'")" "600000|1" \
    "its 600,000 bytes of output are kept, its end recorded once"

# 60,000 bytes of output: the end's unit goes through the daemon whole.
run "$LOCKCRON" run -c "$D_CONF" --no-wait mid
id=$out
wait_status "$id" succeeded 10
is "$(sql "select length(output), substr(output, 59990) from runs where id = '$id'")" \
    "60000|yyyyyyyyyyy" "mid: its 60,000 bytes of output are kept"

# Output is bytes: a NUL is kept, and what follows it.
run "$LOCKCRON" run -c "$D_CONF" --no-wait nul
id=$out
wait_status "$id" succeeded 10
is "$(sql "select hex(cast(output as blob)) from runs where id = '$id'")" "610062" \
    "an output with a NUL byte is kept whole"

# A daemon stopped with SIGSTOP: after 10 s without an answer the
# supervisor writes its end itself; the daemon, continued, writes nothing
# twice.
run "$LOCKCRON" run -c "$D_CONF" --no-wait frozen
id=$out
wait_for "[ \"\$(sqlv \"select count(*) from events where run = '$id' and kind = 'started'\")\" = 1 ]" 10
kill -STOP "$D_PID"
wait_status "$id" succeeded 20
ok $? "frozen: recorded while the daemon is stopped"
kill -CONT "$D_PID"
wait_for "grep -q 'job=frozen run=$id status=succeeded' '$D_LOG'" 10
ok $? "the continued daemon logs its end"
is "$(start_end "$id")" "$ONCE" "one started and one exited event"
is "$(sql "select output from runs where id = '$id'")" "thawed" "its output is kept"

# The descriptor limit: the daemon's raised to its hard limit, a job's
# as the daemon was started.
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
is "$(awk '/^Max open files/ { print $4 " " $5 }' "/proc/$D_PID/limits")" \
    "$hard $hard" "the daemon runs with its soft descriptor limit raised to the hard one"
run "$LOCKCRON" run -c "$D_CONF" --no-wait limit
id=$out
wait_status "$id" succeeded 10
is "$(sql "select output from runs where id = '$id'")" "$soft
$hard" "a job gets the limit the daemon was started with"

# The daemon stops while a run goes on: the supervisor finishes its record
# itself.
run "$LOCKCRON" run -c "$D_CONF" --no-wait outlive
id=$out
wait_for "[ -s $TMP/outlive.pid ] && [ \"\$(sqlv \"select count(*) from events where run = '$id' and kind = 'started'\")\" = 1 ]" 10
ok $? "outlive: started"
daemon_stop
is "$D_RC" "0" "the daemon stops while outlive runs"
wait_status "$id" succeeded 10
ok $? "outlive: its supervisor records success with no daemon"
is "$(start_end "$id")" "$ONCE" "one started and one exited event"
is "$(sql "select output from runs where id = '$id'")" "after" "its output is kept"

# Short of descriptors: 60 runs at once in a daemon allowed 100, which
# keeps 64 for itself. The runs without a record channel write their
# records themselves.
i=0
jobs=
while [ $i -lt 59 ]; do
	jobs="$jobs  { name = \"fd$i\"; schedule = \"* * * * * *\"; command = \"sleep 2\"; },
"
	i=$((i + 1))
done
printf '%s  { name = "fd59"; schedule = "* * * * * *"; command = "sleep 2"; }\n' "$jobs" |
    daemon_config
ulimit -n 100
daemon_start_or_bail
t0=$(now_ms)
wait_for "[ \$(sqlv \"select count(*) from runs where status = 'succeeded' and scheduled_at >= $t0\") -ge 60 ]" 20
ok $? "60 runs succeeded"
daemon_stop
is "$D_RC" "0" "the daemon stops"
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") = 0 ]" 10
ok $? "every run ended"
is "$(sql "select count(*) from runs where status not in ('succeeded', 'skipped')")" "0" \
    "none lost or failed"
ok "$(grep -q 'no record channel (too few descriptors left); supervisors write their records themselves' "$D_LOG"; echo $?)" \
    "the daemon says some supervisors write their records themselves"
n=$(grep -c 'no record channel' "$D_LOG")
ok "$([ "$n" -lt 10 ]; echo $?)" "once, not for every run ($n lines)"
ok_clean_stderr
