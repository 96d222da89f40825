#!/bin/sh
# A run's timeout, through a real daemon: the job, its grandchildren, one
# that ignores SIGTERM and ones that called setsid() are all gone by the
# time the run is recorded timed_out.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 9

cat >"$TMP/job.sh" <<EOF
sleep 60 & echo \$! >$TMP/pid.child
sh -c 'trap "" TERM; echo \$\$ >$TMP/pid.noterm; while :; do sleep 1; done' &
setsid sh -c 'echo \$\$ >$TMP/pid.setsid; exec sleep 60' &
sh -c 'setsid sh -c "echo \\\$\\\$ >$TMP/pid.orphan; exec sleep 60" &'
echo \$\$ >$TMP/pid.main
wait
EOF
daemon_config <<EOF
  { name = "slow"; schedule = "0 0 0 1 1 *"; timeout = 1; kill_grace = 1;
    command = ["/bin/sh", "$TMP/job.sh"]; }
EOF
daemon_start_or_bail
run "$LOCKCRON" run -c "$D_CONF" --no-wait slow
id=$out
wait_for "[ -s $TMP/pid.main ] && [ -s $TMP/pid.child ] && [ -s $TMP/pid.noterm ] && [ -s $TMP/pid.setsid ] && [ -s $TMP/pid.orphan ]" 10
ok $? "the job and its descendants started"
pids=$(cat "$TMP"/pid.*)
wait_for "[ \"\$(sqlv \"select status from runs where id = '$id'\")\" = timed_out ]" 20
ok $? "the run is recorded timed_out"
# Nothing of the run is left once it is recorded: no waiting here.
alive=
for p in $pids; do d_alive "$p" && alive="$alive $p"; done
is "$alive" "" "none of the job's processes is alive (main, child, ignoring TERM, setsid x2)"

is "$(sql "select error from runs where id = '$id'")" "timed out after 1s" "its error"
is "$(sql "select duration_ms >= 1000 from runs where id = '$id'")" "1" "it lasted the timeout"
is "$(sql "select group_concat(kind, ',') from (select kind from events
    where run = '$id' order by rowid)")" \
    "queued,lock_acquired,started,timeout,exited,killed_descendants" "its timeline"
n=$(sql "select detail from events where run = '$id' and kind = 'killed_descendants'")
ok "$([ "$n" -ge 2 ]; echo $?)" "killed_descendants counts the setsid() ones at least ($n)"
run flock -n "$D_LOCKS/slow.lock" true
is "$rc" "0" "the lock is free again"
daemon_stop
ok_clean_stderr
