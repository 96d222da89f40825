#!/bin/sh
# Stopping lockcrond: SIGTERM, SIGINT and a Ctrl-C to its process group
# stop it at once while its runs carry on and record their end; one
# daemon per state directory; a CLI with no daemon to talk to says so.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 31

mark='echo \"$LOCKCRON_RUN_ID $(date +%s%3N)\"'
daemon_config <<EOF
  { name = "l1"; schedule = "* * * * * *";
    command = "$mark start >>$TMP/marks; sleep 3; $mark end >>$TMP/marks"; },
  { name = "l2"; schedule = "* * * * * *";
    command = "$mark start >>$TMP/marks; sleep 3; $mark end >>$TMP/marks"; }
EOF

# stop_while_running SIGNAL TARGET: stops the daemon while l1 and l2 run.
stop_while_running() {
	wait_for "[ \$(sqlv \"select count(distinct r.job) from runs r join events e
	    on e.run = r.id where r.status = 'running' and e.kind = 'started'\") = 2 ]" 15
	ok $? "$1: two runs are running"
	# (Other fires meanwhile are skipped, lock busy: a supervisor of
	# theirs may be "running" for a moment, but its job never starts.)
	sql "select r.id from runs r join events e on e.run = r.id
	    where r.status = 'running' and e.kind = 'started'" >"$TMP/active"
	ids=$(sed "s/.*/'&'/" "$TMP/active" | paste -sd,)
	kill -"$1" "$2"
	wait_for "! d_alive $D_PID" 3
	ok $? "$1: the daemon exits at once"
	t_gone=$(now_ms)
	wait "$D_PID"
	D_RC=$?
	D_PID=
	is "$D_RC" "0" "$1: exit status 0"
	is "$(sql "select count(*) from runs where status = 'running' and id in ($ids)")" "2" \
	    "$1: its runs are still running after it is gone"
	wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") = 0 ]" 10
	is "$(sql "select count(*) from runs where status = 'succeeded' and finished_at > $t_gone
	    and id in ($ids)")" "2" \
	    "$1: they finish and record success afterwards"
	is "$(grep -c -F -f "$TMP/active" "$TMP/marks")" "4" "$1: the jobs were not interrupted"
	is "$(sql "select count(*) from runs where scheduled_at > $t_gone")" "0" \
	    "$1: nothing fired after the daemon was gone"
}

run "$LOCKCROND" --bogus
is "$rc" "2" "lockcrond with a bad option: exit 2"
run "$LOCKCROND" -c "$D_CONF" extra
is "$rc" "2" "lockcrond with an argument: exit 2"
daemon_start --pidfile "$TMP/lockcrond.pid" || { echo "Bail out!"; exit 1; }
first=$D_PID
is "$(cat "$TMP/lockcrond.pid")" "$first" "--pidfile holds the pid"

# A second daemon on the same state directory refuses to start, and
# leaves the first one's pidfile and socket alone.
run "$LOCKCROND" -c "$D_CONF" --log "$TMP/second.log" --pidfile "$TMP/lockcrond.pid"
is "$rc" "1" "a second daemon on the same state_dir: exit 1"
is "$err" "lockcrond: another lockcrond (pid $first) is running with state_dir $D_STATE" \
    "it names the running daemon and the state directory"
is "$(cat "$TMP/lockcrond.pid" 2>&1)" "$first" "the first daemon's pidfile is left alone"
run "$LOCKCRON" reload -c "$D_CONF"
is "$rc:$out" "0:reloaded: 2 jobs" "the first daemon still answers on its socket"

stop_while_running TERM "$D_PID"
ok "$([ ! -e "$TMP/lockcrond.pid" ] && [ ! -e "$D_SOCK" ]; echo $?)" \
    "a stopped daemon removes its pidfile and socket"
run "$LOCKCRON" pause -c "$D_CONF" l1
is "$rc:$err" "1:lockcron: lockcrond is not running (no daemon listening on $D_SOCK)" \
    "with no daemon, the CLI says so and names the socket"

# SIGINT, even though a background command of a script ignores it.
: >"$TMP/marks"
daemon_start_or_bail
stop_while_running INT "$D_PID"

# Ctrl-C on a foreground daemon reaches its whole process group: the
# runs, in sessions of their own, go on.
: >"$TMP/marks"
D_WRAP=setsid
daemon_start_or_bail
stop_while_running INT "-$D_PID"
ok_clean_stderr
