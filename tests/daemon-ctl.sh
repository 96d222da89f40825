#!/bin/sh
# The control socket through the CLI: pause (persisted, fires recorded
# skipped), resume, cancel of a running and of a queued run, run
# --no-wait, and requests from another user refused by SO_PEERCRED.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 40

runs() {	# JOB SQL-CONDITION: how many runs
	sqlv "select count(*) from runs where job = '$1' and $2"
}
daemon_config "max_parallel = 1;" <<EOF
  { name = "tick"; schedule = "* * * * * *"; command = "true"; },
  { name = "sleeper"; schedule = "0 0 0 1 1 *";
    command = "sleep 30 & echo \$! >$TMP/child.pid; echo \$\$ >$TMP/job.pid; wait"; },
  { name = "other"; schedule = "0 0 0 1 1 *"; command = "echo \$\$ >$TMP/other.pid"; },
  { name = "mine"; schedule = "0 0 0 1 1 *"; command = "true"; user = "nobody"; }
EOF
daemon_start_or_bail
wait_for "[ \$(runs tick \"status = 'succeeded'\") -ge 1 ]" 15

# pause: fires are recorded skipped, reason "paused".
run "$LOCKCRON" pause -c "$D_CONF" tick
is "$rc:$out:$err" "0::" "lockcron pause tick"
t_pause=$(now_ms)
is "$(sql "select paused from job_state where job = 'tick'")" "1" "paused is stored in job_state"
wait_for "[ \$(runs tick \"scheduled_at > $t_pause and status = 'skipped'\") -ge 2 ]" 10
ok $? "fires while paused are recorded"
is "$(runs tick "scheduled_at > $t_pause and (status != 'skipped' or error != 'paused' or started_at is not null)")" "0" \
    "as skipped, reason paused, never started"

# cancel, while tick is paused (so the one slot is the sleeper's).
run "$LOCKCRON" run -c "$D_CONF" --no-wait sleeper
sleeper=$out
is "$rc:$(echo "$out" | grep -cx '[0-9a-f]\{8\}-[0-9a-f]\{4\}-4[0-9a-f]\{3\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}')" "0:1" \
    "lockcron run --no-wait prints the run id"
is "$(sql "select job, trigger, attempt from runs where id = '$sleeper'")" "sleeper|manual|1" "a manual run of sleeper"
wait_for "[ -s $TMP/job.pid ] && [ -s $TMP/child.pid ]" 10
run "$LOCKCRON" run -c "$D_CONF" --no-wait other
other=$out
is "$(sql "select status from runs where id = '$other'")" "queued" "other waits for the one slot"
run "$LOCKCRON" cancel -c "$D_CONF" "$(echo "$other" | cut -c1-8)"
is "$rc:$out:$err" "0::" "lockcron cancel of the queued run (by an id prefix)"
is "$(sql "select status, error, started_at is null from runs where id = '$other'")" \
    "cancelled|cancelled before it started|1" "it is cancelled before it started"
jpid=$(cat "$TMP/job.pid") cpid=$(cat "$TMP/child.pid")
run "$LOCKCRON" cancel -c "$D_CONF" "$(echo "$sleeper" | cut -c1-8)"
is "$rc:$out:$err" "0::" "lockcron cancel of the running run"
wait_for "[ \"\$(sqlv \"select status from runs where id = '$sleeper'\")\" = cancelled ]" 10
ok $? "it is recorded cancelled"
is "$(sql "select error from runs where id = '$sleeper'")" "cancelled by Terminated" "the error says how"
ok "$(! d_alive "$jpid" && ! d_alive "$cpid"; echo $?)" "the job and its child are gone"
is "$(pgrep -g "$jpid" | wc -l)" "0" "its process group is empty"
run "$LOCKCRON" cancel -c "$D_CONF" "$sleeper"
is "$rc:$err" "1:lockcron: no queued or running run \"$sleeper\"" "a finished run cannot be cancelled"
sleep 1.5
ok "$([ ! -e "$TMP/other.pid" ]; echo $?)" "the cancelled queued run never started"

# Pause survives a restart.
daemon_stop
t_restart=$(now_ms)
daemon_start_or_bail
wait_for "[ \$(runs tick \"scheduled_at > $t_restart\") -ge 2 ]" 10
is "$(runs tick "scheduled_at > $t_restart and (status != 'skipped' or error != 'paused')")" "0" \
    "still paused after a restart"

# resume: runs again.
run "$LOCKCRON" resume -c "$D_CONF" tick
is "$rc:$out:$err" "0::" "lockcron resume tick"
t_resume=$(now_ms)
wait_for "[ \$(runs tick \"scheduled_at > $t_resume and status = 'succeeded'\") -ge 2 ]" 10
ok $? "tick runs again"
is "$(runs tick "scheduled_at > $t_resume and error = 'paused'")" "0" "no fire skipped as paused any more"
is "$(sql "select paused from job_state where job = 'tick'")" "0" "job_state says so"
ok "$(grep -q 'notice job=tick paused' "$D_LOG" && grep -q 'notice job=tick resumed' "$D_LOG"; echo $?)" \
    "the log has both"

# Another user: SO_PEERCRED decides. The CLI needs to reach the socket.
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	for i in 1 2 3 4 5 6 7 8 9; do ok 0 "# SKIP needs root and a nobody user"; done
else
	chmod 0755 "$TMP"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$LOCKCRON" "$@"; }
	run as_nobody pause -c "$D_CONF" tick
	is "$rc:$err" "1:lockcron: permission denied" "another user may not pause a job"
	is "$(sql "select paused from job_state where job = 'tick'")" "0" "and the job is not paused"
	run as_nobody run -c "$D_CONF" --no-wait tick
	is "$rc:$err" "125:lockcron: permission denied" "nor run it"
	run as_nobody reload -c "$D_CONF"
	is "$rc:$err" "1:lockcron: permission denied" "nor reload"
	"$LOCKCRON" run -c "$D_CONF" --no-wait sleeper >"$TMP/sleeper2"
	run as_nobody cancel -c "$D_CONF" "$(cat "$TMP/sleeper2")"
	is "$rc:$err" "1:lockcron: permission denied for job sleeper" "nor cancel someone else's run"
	is "$(sql "select status from runs where id = '$(cat "$TMP/sleeper2")'")" "running" "which goes on"
	"$LOCKCRON" cancel -c "$D_CONF" "$(cat "$TMP/sleeper2")" >/dev/null
	run as_nobody pause -c "$D_CONF" mine
	is "$rc:$err" "0:" "a job's own user may pause it"
	run as_nobody resume -c "$D_CONF" mine
	is "$rc:$err" "0:" "and resume it"
	run as_nobody run -c "$D_CONF" --no-wait mine
	is "$rc:$(sql "select job from runs where id = '$out'")" "0:mine" "and run it"
fi

# A config being edited into shape: a job with an error in the file stops
# neither pause, resume, run --no-wait nor cancel, which need only where
# the daemon listens (the daemon has its own copy of the jobs).
cp "$D_CONF" "$TMP/good.conf"
sed -i 's|^jobs = (|&\n  { name = "half"; schedule = "61 * * * * *"; command = "true"; },|' "$D_CONF"
run "$LOCKCRON" check -c "$D_CONF"
ok "$([ "$rc" -ne 0 ] && echo "$err" | grep -q "^$D_CONF:[0-9]*: "; echo $?)" \
    "the config on disk has an error"
run "$LOCKCRON" pause -c "$D_CONF" tick
is "$rc:$out:$err" "0::" "pause with that config"
run "$LOCKCRON" resume -c "$D_CONF" tick
is "$rc:$out:$err" "0::" "resume with that config"
run "$LOCKCRON" run -c "$D_CONF" --no-wait sleeper
s3=$out
is "$rc:$(sql "select job from runs where id = '$s3'")" "0:sleeper" \
    "run --no-wait with that config"
run "$LOCKCRON" cancel -c "$D_CONF" "$s3"
is "$rc:$out:$err" "0::" "cancel with that config"
wait_for "[ \"\$(sqlv \"select status from runs where id = '$s3'\")\" = cancelled ]" 10
ok $? "the run is cancelled"
run "$LOCKCRON" run -c "$D_CONF" --no-wait half
is "$rc:$err" "125:lockcron: no job \"half\" in $D_CONF" \
    "a job only the file has is not the daemon's to run"
cp "$TMP/good.conf" "$D_CONF"
daemon_stop
is "$D_RC" "0" "the daemon stops cleanly"
ok_clean_stderr
