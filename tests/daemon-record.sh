#!/bin/sh
# The daemon writes its supervisors' records (src/record.c): a running
# supervisor has no connection to the history; what it cannot hand to the
# daemon (an output too large for the socket; anything once the daemon has
# stopped) it writes itself, and nothing is lost or written twice.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 15

daemon_config <<EOF
  { name = "slow"; schedule = "0 0 0 1 1 *";
    command = "sleep 2; echo done"; },
  { name = "big"; schedule = "0 0 0 1 1 *"; output = { keep_bytes = 1048576; };
    command = "head -c 600000 /dev/zero | tr '\\\\0' x"; },
  { name = "nul"; schedule = "0 0 0 1 1 *"; command = "printf 'a\\000b'"; },
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
wait_for "[ \"\$(sqlv \"select status from runs where id = '$id'\")\" = succeeded ]" 10
ok $? "slow: succeeded"
is "$(sql "select kind, count(*) from events where run = '$id' and kind in ('started', 'exited') group by kind order by kind")" \
    "exited|1
started|1" "one started and one exited event"
is "$(sql "select output from runs where id = '$id'")" "done" "its output is kept"

# An output too large for the socket: the supervisor writes its end.
run "$LOCKCRON" run -c "$D_CONF" --no-wait big
id=$out
wait_for "[ \"\$(sqlv \"select status from runs where id = '$id'\")\" = succeeded ]" 10
ok $? "big: succeeded"
is "$(sql "select length(output), count(*) from runs r join events e on e.run = r.id
    where r.id = '$id' and e.kind = 'exited'")" "600000|1" \
    "its 600,000 bytes of output are kept, its end recorded once"

# Output is bytes: a NUL is kept, and what follows it.
run "$LOCKCRON" run -c "$D_CONF" --no-wait nul
id=$out
wait_for "[ \"\$(sqlv \"select status from runs where id = '$id'\")\" = succeeded ]" 10
is "$(sql "select hex(cast(output as blob)) from runs where id = '$id'")" "610062" \
    "an output with a NUL byte is kept whole"

# The daemon stops while a run goes on: the supervisor finishes its record
# itself.
run "$LOCKCRON" run -c "$D_CONF" --no-wait outlive
id=$out
wait_for "[ -s $TMP/outlive.pid ] && [ \"\$(sqlv \"select count(*) from events where run = '$id' and kind = 'started'\")\" = 1 ]" 10
ok $? "outlive: started"
daemon_stop
is "$D_RC" "0" "the daemon stops while outlive runs"
wait_for "[ \"\$(sqlv \"select status from runs where id = '$id'\")\" = succeeded ]" 10
ok $? "outlive: its supervisor records success with no daemon"
is "$(sql "select kind, count(*) from events where run = '$id' and kind in ('started', 'exited') group by kind order by kind")" \
    "exited|1
started|1" "one started and one exited event"
is "$(sql "select output from runs where id = '$id'")" "after" "its output is kept"
ok_clean_stderr
