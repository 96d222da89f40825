#!/bin/sh
# Notifications through the real daemon: per-second jobs whose endpoints
# never answer or refuse still run on time and take their lock; a supervisor
# killed -9 gives a `lost` notification; missed fires notify from the
# daemon's own notifier.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/notify-lib.sh"
plan 14

STATE=$TMP/state
start_server web
start_server hang --hang
P=$web_port
CLOSED=$(closed_port)
cat >"$TMP/lc.conf" <<EOF
state_dir = "$STATE";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "stderr";
log_level = "debug";
jobs = (
  { name = "hang"; schedule = "*/2 * * * * *"; command = "exit 1";
    notify = { webhook = "http://127.0.0.1:$hang_port/hook";
      ping = "http://127.0.0.1:$hang_port/ping"; }; },
  { name = "refused"; schedule = "*/2 * * * * *"; command = "exit 1";
    notify = { webhook = "http://127.0.0.1:$CLOSED/hook"; }; },
  { name = "victim"; schedule = "@yearly"; command = "sleep 30";
    notify = { webhook = "http://127.0.0.1:$P/hook/victim";
      ping = "http://127.0.0.1:$P/ping/v"; }; },
  { name = "late"; schedule = "* * * * * *"; command = "true";
    notify = { on = ["missed"]; webhook = "http://127.0.0.1:$P/hook/late"; }; },
  { name = "seed"; schedule = "@yearly"; command = "true"; }
);
EOF

# The history exists (a first run), and `late` last fired 30 s ago: the
# daemon will find fires it missed while it was not running.
"$LOCKCRON" run -c "$TMP/lc.conf" seed >/dev/null
now=$(($(date +%s) * 1000))
sql "INSERT INTO job_state (job, last_fire_at, updated_at)
    VALUES ('late', $((now - 30000)), $now)"

job_pid=""
stop_daemon() {
	[ -n "$job_pid" ] && kill -9 -- "-$job_pid" 2>/dev/null
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid"
	dpid=""
}
at_exit stop_daemon
LOCKCRON_NOTIFY_TIMEOUT_MS=1000 "$LOCKCROND" -c "$TMP/lc.conf" \
    2>"$TMP/daemon.log" &
dpid=$!

# --- missed fires: the daemon's notifier posts them ---------------------------
missed_posts() {
	[ "$(requests web /hook/late | grep -c '^POST /hook/late 200$')" -ge "$1" ]
}
wait_for 10 missed_posts 15
ok $? "missed fires are posted by the daemon's notifier"
nmissed=$(sql "SELECT count(*) FROM runs WHERE job = 'late' AND status = 'missed'")
ok "$([ "$nmissed" -ge 15 ] && echo 0 || echo 1)" "the daemon recorded the missed fires ($nmissed)"
statuses=$(python3 - "$TMP/web.log" <<'EOS'
import json, sys
s = {json.loads(json.loads(l)["body"])["status"] for l in open(sys.argv[1])
     if json.loads(l)["path"] == "/hook/late"}
print(" ".join(sorted(s)))
EOS
)
is "$statuses" missed "every posted body is a missed run"
id=$(sql "SELECT id FROM runs WHERE job = 'late' AND status = 'missed'
    ORDER BY scheduled_at LIMIT 1")
wait_for 5 has_events "$id" 1
is "$(notify_events "$id")" "notify_sent|webhook: HTTP 200" \
    "the missed row has its notify_sent event"

# --- a supervisor killed -9: lost ----------------------------------------------
run "$LOCKCRON" run -c "$TMP/lc.conf" --no-wait victim
vid=$out
job_pid=$(started_pid "$vid")
ok $? "the victim's job started"
spid=$(sql "SELECT supervisor_pid FROM runs WHERE id = '$vid'")
kill -9 "$spid"
wait_for 10 has_events "$vid" 3
is "$(notify_events "$vid")" "notify_sent|ping /start: HTTP 200
notify_sent|webhook: HTTP 200
notify_sent|ping /fail: HTTP 200" "start ping, then the lost webhook and /fail"
lost=$(python3 - "$TMP/web.log" <<'EOS'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/hook/victim":
        b = json.loads(r["body"])
        print(b["status"], b["error"])
EOS
)
is "$lost" "lost its supervisor (pid $spid) was killed by signal 9" \
    "the body says lost and why"
kill -9 -- "-$job_pid" 2>/dev/null
job_pid=""

# --- endpoints that hang or refuse delay nothing ------------------------------
# The two jobs fire every 2 s. A notifier that held its run (1 s per attempt,
# 4 attempts, with back-off) would keep the lock past the next fire: that
# fire would be skipped or late. So every fire from here on is failed (not
# skipped: the lock was free) and started before the next fire was due.
# (The fires of the daemon's first seconds are left out: its start-up, the
# missed rows and the victim above share the machine with them.)
t_from=$(($(date +%s) * 1000))
sleep 7
check_ticks() {
	sql "SELECT status, started_at - scheduled_at < 2000,
	    (SELECT count(*) FROM events e WHERE e.run = r.id AND
	    e.kind = 'lock_acquired')
	    FROM runs r WHERE job = '$1' AND scheduled_at >= $t_from AND
	    status NOT IN ('queued', 'running')
	    ORDER BY scheduled_at" | sort | uniq -c |
	    sed 's/^ *//'
}
finished() {
	sql "SELECT count(*) FROM runs WHERE job = '$1' AND
	    scheduled_at >= $t_from AND status NOT IN ('queued', 'running')"
}
n=$(finished hang)
ok "$([ "$n" -ge 2 ] && echo 0 || echo 1)" "hang: $n runs every 2 s"
is "$(check_ticks hang)" "$n failed|1|1" \
    "hang: every run took the lock and started before the next fire"
nreq=$(requests hang / | wc -l)
ok "$([ "$nreq" -ge 4 ] && echo 0 || echo 1)" \
    "hang: the server got $nreq requests it never answered"
n=$(finished refused)
is "$(check_ticks refused)" "$n failed|1|1" \
    "refused: every run took the lock and started before the next fire"
id=$(sql "SELECT id FROM runs WHERE job = 'refused' ORDER BY scheduled_at LIMIT 1")
wait_for 5 has_events "$id" 1
notify_events "$id" |
    grep -q "^notify_failed|webhook: Failed to connect .*(4 attempts)$"
ok $? "refused: notify_failed after 4 attempts"
is "$(sql "SELECT count(*) FROM runs WHERE job IN ('hang', 'refused') AND
    scheduled_at >= $t_from AND
    status NOT IN ('failed', 'queued', 'running')")" 0 \
    "no run of theirs ended otherwise"

stop_daemon
grep -q "status=started" "$TMP/daemon.log"
ok $? "the daemon ran the jobs"
