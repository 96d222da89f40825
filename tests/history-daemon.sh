#!/bin/sh
# The history commands on the history a real lockcrond writes: per-second
# jobs that succeed and fail, read while the daemon writes (history,
# status, metrics in parallel loops), `status` exit statuses, `show` of a
# real run, `logs --follow` of a run that prints for a few seconds, and
# `prune` while the daemon runs.
. "$TOP_SRCDIR/tests/lib.sh"
unset NO_COLOR LOCKCRON_CONFIG TZDIR
export TZ=UTC
plan 21

cat >"$TMP/c.conf" <<EOF
state_dir = "$TMP/state";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "stderr";
jobs = (
  { name = "ok"; schedule = "* * * * * *"; command = "echo fine"; },
  { name = "bad"; schedule = "* * * * * *"; command = "echo oops >&2; exit 3"; },
  { name = "slow"; schedule = "0 0 1 1 *";
    command = "for i in 1 2 3 4; do echo line \$i; sleep 1; done"; },
  { name = "never"; schedule = "0 0 1 1 *"; command = "true"; }
);
EOF
chmod 0644 "$TMP/c.conf"
C="-c $TMP/c.conf"
DB=$TMP/state/history.db

"$LOCKCROND" -c "$TMP/c.conf" 2>"$TMP/daemon.log" &
daemon=$!
stop_daemon() {
	[ -n "$daemon" ] || return 0
	kill "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
	daemon=""
}
at_exit stop_daemon

# sql QUERY: rows as |-separated lines (Python's sqlite3, read-only).
sql() {
	python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$DB" "$1"
}
# Waits up to 10 s for QUERY to print something other than 0.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		[ -f "$DB" ] && [ "$(sql "$1" 2>/dev/null)" != "0" ] &&
		    [ -n "$(sql "$1" 2>/dev/null)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
wait_for "SELECT count(*) >= 3 FROM runs WHERE job = 'bad' AND status = 'failed'"
ok $? "the daemon records runs"

# --- status exit statuses -------------------------------------------------
run "$LOCKCRON" status $C ok
is "$rc" "0" "status ok: 0"
run "$LOCKCRON" status $C bad
is "$rc" "1" "status bad: 1"
run "$LOCKCRON" status $C never
is "$rc" "3" "status never: 3"
run "$LOCKCRON" status $C --format json
is "$rc:$(printf '%s' "$out" | python3 -c '
import json, sys
print(" ".join("%s=%s/%s" % (j["name"], j["last_status"], j["consecutive_failures"] > 0)
               for j in json.load(sys.stdin)))')" \
    "1:ok=succeeded/False bad=failed/True slow=None/False never=None/False" \
    "status: every job, JSON"

# --- what the daemon wrote, through history and show ----------------------
run "$LOCKCRON" history $C --format json --limit 0 bad
is "$(printf '%s' "$out" | python3 -c '
import json, sys
runs = json.load(sys.stdin)
print(len(runs) >= 3, {(r["status"], r["exit_code"], r["trigger"], r["signal"])
                        for r in runs},
      all(r["duration_ms"] >= 0 and r["finished_at"] >= r["started_at"]
          >= r["scheduled_at"][:19] for r in runs))')" \
    "True {('failed', 3, 'schedule', None)} True" "history of bad: failed runs, exit 3"
id=$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')
run "$LOCKCRON" show $C --format json "$(echo "$id" | cut -c1-12)"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["run_id"], [e["kind"] for e in r["events"]], r["events"][-1]["detail"],
      repr(r["output"]))')" \
    "$id ['scheduled', 'queued', 'lock_acquired', 'started', 'exited'] exit 3 'oops\\n'" \
    "show: a real run's events and output"
run "$LOCKCRON" show $C "$id"
is "$(echo "$out" | sed -n '/^events:/,/^$/p' | awk 'NR > 1 && NF { print $2 }' | tr '\n' ' ')" \
    "scheduled queued lock_acquired started exited " "show: the timeline as text"
is "$(echo "$out" | sed -n '/^events:/,/^$/p' | awk 'NR == 2 { print $1 }')" \
    "+0.000s" "show: offsets from the first event"

# --- logs --follow of a run that prints over ~3 s --------------------------
run "$LOCKCRON" run $C --no-wait slow
slow=$out
python3 - "$LOCKCRON" "$TMP/c.conf" "$slow" "$TMP/follow" <<'EOF' &
import resource, subprocess, sys, time
t0 = time.time()
out = open(sys.argv[4] + ".out", "w")
rc = subprocess.call([sys.argv[1], "logs", "-c", sys.argv[2], "--follow",
                      sys.argv[3]], stdout=out)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[4] + ".stat", "w").write("%d %.1f %.2f\n" % (
    rc, time.time() - t0, ru.ru_utime + ru.ru_stime))
EOF
follower=$!
# The first line, while the job still has seconds to go (the supervisor
# holds a run's output for its first second: line 2 may come with it).
i=0
while [ $i -lt 300 ] && ! grep -q "line 1" "$TMP/follow.out" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
is "$(head -n 1 "$TMP/follow.out"):$(sql "SELECT status FROM runs WHERE id = '$slow'")" \
    "line 1:running" "logs --follow: output arrives while the run runs"
wait "$follower"
is "$(cat "$TMP/follow.out")" "line 1
line 2
line 3
line 4" "logs --follow: every line, then it ends with the run"
read frc secs cpu <"$TMP/follow.stat"
is "$frc:$(sql "SELECT status FROM runs WHERE id = '$slow'")" "0:succeeded" \
    "logs --follow: exit 0 once the run is finished"
is "$(python3 -c "print($secs < 8 and $cpu < 0.5)")" "True" \
    "logs --follow: no busy loop ($secs s, $cpu s of CPU)"
run "$LOCKCRON" logs $C "$slow"
is "$rc:$out" "0:line 1
line 2
line 3
line 4" "logs: the kept output once it ended"

# --- reading while the daemon writes --------------------------------------
reader() {	# reader N: N rounds of history, status and metrics
	n=0 fails=0
	while [ $n -lt "$1" ]; do
		"$LOCKCRON" history $C --limit 50 --format json 2>>"$TMP/r.err" |
		    python3 -c 'import json, sys; assert all(len(r) == 14 for r in json.load(sys.stdin))' ||
		    fails=$((fails + 1))
		"$LOCKCRON" status $C ok >/dev/null 2>>"$TMP/r.err" ||
		    fails=$((fails + 1))
		"$LOCKCRON" metrics $C 2>>"$TMP/r.err" |
		    python3 "$TOP_SRCDIR/tests/promcheck.py" >/dev/null ||
		    fails=$((fails + 1))
		n=$((n + 1))
	done
	echo $fails
}
before=$(sql "SELECT count(*) FROM runs WHERE job = 'ok'")
t0=$(date +%s)
reader 15 >"$TMP/r1" &
r1=$!
reader 15 >"$TMP/r2" &
r2=$!
"$LOCKCRON" prune $C --keep-runs 3 --dry-run >"$TMP/prune.dry" 2>&1
"$LOCKCRON" prune $C --keep-runs 3 >"$TMP/prune" 2>&1
prune_rc=$?
wait $r1 $r2
t1=$(date +%s)
is "$(cat "$TMP/r1"):$(cat "$TMP/r2"):$(cat "$TMP/r.err")" "0:0:" \
    "90 reads during the daemon's writes, none failed"
is "$(grep -c '^would delete [0-9]* runs' "$TMP/prune.dry"):$prune_rc:$(grep -c '^deleted [1-9][0-9]* runs' "$TMP/prune")" \
    "1:0:1" "prune --dry-run, then prune, while the daemon runs"
after=$(sql "SELECT count(*) FROM runs WHERE job = 'ok'")
wait_for "SELECT count(*) FROM runs WHERE job = 'ok' AND scheduled_at > $t1 * 1000"
is "$?" "0" "the daemon goes on writing after the readers and the prune"
is "$(grep -ci 'database is locked\|busy' "$TMP/daemon.log")" "0" \
    "the daemon was never blocked"

stop_daemon
# With the daemon stopped, the counters against the runs they counted.
"$LOCKCRON" metrics $C >"$TMP/m.prom"
is "$(python3 "$TOP_SRCDIR/tests/promcheck.py" <"$TMP/m.prom" | cut -d' ' -f1-2)" \
    "ok 6" "metrics: valid exposition"
total=$(grep '^lockcron_runs_total{job="ok",status="succeeded"}' "$TMP/m.prom" | cut -d' ' -f2)
is "$(python3 -c "print($total > $(sql "SELECT count(*) FROM runs WHERE job = 'ok' AND status = 'succeeded'"))")" \
    "True" "metrics: runs_total still counts the pruned runs"
is "$(grep '^lockcron_last_run_status{job="bad",status="failed"}' "$TMP/m.prom")" \
    'lockcron_last_run_status{job="bad",status="failed"} 1' "metrics: bad's last status"
