#!/bin/sh
# The events `lockcron run` records, in order, for each way a run goes:
# a lock taken at once (its lock_acquired written with "started"), a lock
# waited for, a busy lock, a timeout, a command that cannot start; and
# what the daemon reads while a waiting run lives (lock_acquired at once).
. "$TOP_SRCDIR/tests/lib.sh"
unset LOCKCRON_CONFIG
plan 13

cat >"$TMP/c.conf" <<CONF
state_dir = "$TMP/state";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "stderr";
jobs = (
  { name = "quick"; schedule = "@daily"; command = ["/bin/true"]; },
  { name = "waits"; schedule = "@daily"; command = ["/bin/true"];
    overlap = "wait"; lock_wait = 20; },
  { name = "slow"; schedule = "@daily"; command = ["/bin/sleep", "30"];
    timeout = 1; kill_grace = 1; },
  { name = "missing"; schedule = "@daily";
    command = ["$TMP/no-such-command"]; }
);
CONF
chmod 0644 "$TMP/c.conf"
mkdir -p "$TMP/locks"

# events JOB: "kind(detail)" of the job's last run, in the order readers
# see them (by time, then insertion), and its status.
events() {
	python3 - "$TMP/state/history.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
run, status = db.execute("SELECT id, status FROM runs WHERE job = ? "
    "ORDER BY scheduled_at DESC LIMIT 1", (sys.argv[2],)).fetchone()
ev = db.execute("SELECT kind, detail FROM events WHERE run = ? "
    "ORDER BY at, rowid", (run,)).fetchall()
print(status, " ".join("%s(%s)" % (k, "" if d is None else
    "pid" if d.startswith("pid ") else d) for k, d in ev))
PY
}

run "$LOCKCRON" run -c "$TMP/c.conf" quick
is "$rc" "0" "quick: exit 0"
is "$(events quick)" "succeeded lock_acquired($TMP/locks/quick.lock) started(pid) exited(exit 0)" \
    "quick: lock_acquired, started, exited"

run "$LOCKCRON" run -c "$TMP/c.conf" waits
is "$rc:$(events waits)" "0:succeeded lock_wait(waiting up to 20s for $TMP/locks/waits.lock) lock_acquired($TMP/locks/waits.lock) started(pid) exited(exit 0)" \
    "waits: lock_wait, lock_acquired, started, exited"

run "$LOCKCRON" run -c "$TMP/c.conf" slow
is "$rc" "124" "slow: exit 124"
is "$(events slow)" "timed_out lock_acquired($TMP/locks/slow.lock) started(pid) timeout() exited(signal 15)" \
    "slow: timeout, then exited by SIGTERM"

run "$LOCKCRON" run -c "$TMP/c.conf" missing
is "$rc" "127" "missing: exit 127"
is "$(events missing)" "launch_error lock_acquired($TMP/locks/missing.lock)" \
    "missing: lock_acquired written at the end, nothing started"

# hold LOCK: holds it with flock(1) until $TMP/release exists.
hold() {
	rm -f "$TMP/release"
	flock "$1" sh -c "while [ ! -e '$TMP/release' ]; do sleep 0.05; done" &
	holder=$!
	i=0
	while [ $i -lt 200 ] && flock -n "$1" true; do
		sleep 0.05; i=$((i + 1))
	done
}
release() {
	touch "$TMP/release"
	wait $holder
}

# A busy lock: no lock_acquired at all.
hold "$TMP/locks/quick.lock"
run "$LOCKCRON" run -c "$TMP/c.conf" quick
is "$rc:$(events quick)" "75:skipped " "busy lock: skipped, no event"
release

# A run waiting for its lock: lock_wait is there while it waits; once it
# has the lock, lock_acquired is there before the job has ended.
hold "$TMP/locks/waits.lock"
"$LOCKCRON" run -c "$TMP/c.conf" waits >/dev/null 2>&1 &
waiter=$!
i=0
while [ $i -lt 200 ] && ! events waits | grep -q '^running lock_wait'; do
	sleep 0.05; i=$((i + 1))
done
is "$(events waits)" "running lock_wait(waiting up to 20s for $TMP/locks/waits.lock)" \
    "waiting: running with lock_wait only"
release
wait $waiter
is "$?" "0" "waiting: exit 0 once the lock is free"
is "$(events waits)" "succeeded lock_wait(waiting up to 20s for $TMP/locks/waits.lock) lock_acquired($TMP/locks/waits.lock) started(pid) exited(exit 0)" \
    "waited: every event"

# Every run's row is finished: nothing left running.
is "$(python3 -c "
import sqlite3
print(sqlite3.connect('$TMP/state/history.db').execute(
    \"SELECT count(*) FROM runs WHERE status IN ('queued', 'running')\"
    ).fetchone()[0])")" "0" "no row left running"
is "$(python3 -c "
import sqlite3
print(sqlite3.connect('$TMP/state/history.db').execute(
    'SELECT count(*) FROM events e JOIN runs r ON r.id = e.run '
    'WHERE e.kind = \"lock_acquired\" AND r.status = \"skipped\"'
    ).fetchone()[0])")" "0" "no lock_acquired on a skipped run"
exit $_failed
