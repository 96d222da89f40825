#!/bin/sh
# A run lost while no daemon was watching (daemon and supervisor killed -9)
# is marked lost by the next daemon at start, and notifies like any lost run.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/notify-lib.sh"
plan 4

STATE=$TMP/state
start_server web
P=$web_port
cat >"$TMP/lc.conf" <<EOF
state_dir = "$STATE";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "stderr";
jobs = (
  { name = "orphan"; schedule = "@yearly"; command = "sleep 30";
    notify = { webhook = "http://127.0.0.1:$P/hook/orphan"; }; }
);
EOF
job_pid=""
dpid=""
stop_all() {
	[ -n "$job_pid" ] && kill -9 -- "-$job_pid" 2>/dev/null
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null && wait "$dpid"
	dpid=""
}
at_exit stop_all
sock() { [ -S "$TMP/run/lockcrond.sock" ]; }
start_daemon() {
	"$LOCKCROND" -c "$TMP/lc.conf" 2>>"$TMP/daemon.log" &
	dpid=$!
	wait_for 10 sock
}

start_daemon
run "$LOCKCRON" run -c "$TMP/lc.conf" --no-wait orphan
rid=$out
job_pid=$(started_pid "$rid")
ok $? "the job started"
spid=$(sql "SELECT supervisor_pid FROM runs WHERE id = '$rid'")
# Nobody watching: the daemon dies first, then the supervisor and the job.
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=""
kill -9 "$spid"
kill -9 -- "-$job_pid" 2>/dev/null
job_pid=""
rm -f "$TMP/run/lockcrond.sock"
is "$(sql "SELECT status FROM runs WHERE id = '$rid'")" "running" \
    "the row still says running"

start_daemon
posted() {
	[ "$(requests web /hook/orphan | grep -c '^POST /hook/orphan 200$')" -ge 1 ]
}
wait_for 10 posted
ok $? "the restarted daemon posts the lost run"
st=$(python3 - "$TMP/web.log" <<'EOS'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/hook/orphan":
        print(json.loads(r["body"])["status"])
EOS
)
is "$st" "lost" "its body says lost"
