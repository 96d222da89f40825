#!/bin/sh
# lockcron run end to end: every exit status (the job's code, 128+N, 124,
# 75, 126, 127, 130 for SIGINT, 125 for lockcron's own errors) with the
# row it records, and the job's clean environment.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 26

daemon_config <<EOF
  { name = "ok"; schedule = "0 0 0 1 1 *"; command = "echo out; echo err >&2"; },
  { name = "code"; schedule = "0 0 0 1 1 *"; command = "exit 3"; },
  { name = "sig"; schedule = "0 0 0 1 1 *"; command = "kill -USR1 \$\$"; },
  { name = "slow"; schedule = "0 0 0 1 1 *"; command = "sleep 30"; timeout = 1; kill_grace = 1; },
  { name = "locked"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/held.lock"; },
  { name = "workdir"; schedule = "0 0 0 1 1 *"; command = "true"; workdir = "$TMP/no/such/dir"; },
  { name = "noexec"; schedule = "0 0 0 1 1 *"; command = ["$TMP/no-such-command"]; },
  { name = "noshcmd"; schedule = "0 0 0 1 1 *"; command = "lockcron-test-no-such-command"; },
  { name = "long"; schedule = "0 0 0 1 1 *";
    command = "sleep 30 & echo \$! >$TMP/child.pid; echo \$\$ >$TMP/job.pid; wait"; },
  { name = "env"; schedule = "0 0 0 1 1 *"; command = "env >$TMP/env.out"; }
EOF
last() {	# the newest row: status exit_code signal trigger
	sql "select status, ifnull(exit_code, '-'), ifnull(signal, '-'), trigger
	    from runs order by rowid desc limit 1"
}

run "$LOCKCRON" run -c "$D_CONF" ok
is "$rc:$out:$err" "0:out:err" "success: 0, the job's output on our stdout and stderr"
is "$(last)" "succeeded|0|-|manual" "recorded succeeded, trigger manual"
run "$LOCKCRON" run -c "$D_CONF" code
is "$rc" "3" "the job's exit code"
is "$(last)" "failed|3|-|manual" "recorded failed"
run "$LOCKCRON" run -c "$D_CONF" sig
is "$rc" "138" "killed by SIGUSR1: 128+10"
is "$(last)" "killed|-|10|manual" "recorded killed"
run "$LOCKCRON" run -c "$D_CONF" slow
is "$rc" "124" "timed out: 124"
is "$(last)" "timed_out|-|15|manual" "recorded timed_out"
env "$D_TAG" flock "$TMP/held.lock" sleep 30 &
wait_for "! flock -n '$TMP/held.lock' true" 5
run "$LOCKCRON" run -c "$D_CONF" locked
is "$rc" "75" "lock busy: 75"
is "$(last)" "skipped|-|-|manual" "recorded skipped"
run "$LOCKCRON" run -c "$D_CONF" workdir
is "$rc" "126" "a workdir that does not exist: 126"
is "$(sql "select status from runs order by rowid desc limit 1")" "launch_error" "recorded launch_error"
run "$LOCKCRON" run -c "$D_CONF" noexec
is "$rc" "127" "a command that does not exist: 127"
is "$(sql "select status from runs order by rowid desc limit 1")" "launch_error" "recorded launch_error"
run "$LOCKCRON" run -c "$D_CONF" noshcmd
is "$rc" "127" "a shell command that does not exist: 127 (the shell's)"

# SIGINT (Ctrl-C) cancels the run: 130, the job's group ended.
env "$D_TAG" "$LOCKCRON" run -c "$D_CONF" long >/dev/null 2>&1 &
pid=$!
wait_for "[ -s $TMP/job.pid ] && [ -s $TMP/child.pid ]" 10
kill -INT "$pid"
wait_for "! d_alive $pid" 10
wait "$pid"
is "$?" "130" "SIGINT: 130"
is "$(last)" "cancelled|-|15|manual" "recorded cancelled"
ok "$(! d_alive "$(cat "$TMP/job.pid")" && ! d_alive "$(cat "$TMP/child.pid")"; echo $?)" \
    "the job and its child are gone"

# lockcron's own errors: 125.
run "$LOCKCRON" run -c "$D_CONF" nosuchjob
is "$rc:$err" "125:lockcron: no job \"nosuchjob\" in $D_CONF" "an unknown job: 125"
run "$LOCKCRON" run -c "$TMP/nosuch.conf" ok
is "$rc" "125" "an unreadable config: 125"
run "$LOCKCRON" run -c "$D_CONF"
is "$rc" "125" "no job named: 125"
run "$LOCKCRON" run -c "$D_CONF" --bogus ok
is "$rc" "125" "a bad option: 125"

# The job's environment: cron's few variables, the job's, LOCKCRON_*;
# nothing of ours.
LCTEST_MARKER=leak
export LCTEST_MARKER
run "$LOCKCRON" run -c "$D_CONF" env
id=$(sql "select id from runs order by rowid desc limit 1")
me=$(id -un)
home=$(getent passwd "$me" | cut -d: -f6)
is "$(grep -v '^LOCKCRON_SCHEDULED_AT=' "$TMP/env.out" | sort)" "HOME=$home
LCTEST_TAG=$TMP
LOCKCRON_ATTEMPT=1
LOCKCRON_FIRE_ID=$id
LOCKCRON_JOB=env
LOCKCRON_RUN_ID=$id
LOGNAME=$me
PATH=/usr/bin:/bin
PWD=$home
SHELL=/bin/sh
USER=$me" "a clean environment: HOME, LOGNAME, USER, SHELL, PATH, the job's, LOCKCRON_*"
is "$(grep -c '^LOCKCRON_SCHEDULED_AT=[0-9-]*T[0-9:]*\.[0-9]*Z$' "$TMP/env.out")" "1" \
    "LOCKCRON_SCHEDULED_AT, ISO-8601 UTC"
is "$(grep -c LCTEST_MARKER "$TMP/env.out")" "0" "our own variables do not reach the job"
ok "$([ ! -e "$D_SOCK" ]; echo $?)" "all of this without a daemon"
