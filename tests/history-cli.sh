#!/bin/sh
# The history commands on a generated history (tests/histgen: 3,000 runs
# of 10 jobs, with failures, retries, skips, running rows and events) plus
# a few rows written here with fixed ids: every filter and format of
# `history` checked against SQL run by Python's sqlite3, prefixes for
# `show` and `logs`, `status` exit statuses, `metrics` checked by
# tests/promcheck.py, `prune`, `list`, and missing, corrupt and unreadable
# files. tests/history-daemon.sh does the same on a real daemon's history.
. "$TOP_SRCDIR/tests/lib.sh"
unset NO_COLOR LOCKCRON_CONFIG TZDIR
export TZ=UTC
plan 75

HISTGEN=${HISTGEN:-$TOP_BUILDDIR/tests/histgen}
DB=$TMP/state/history.db
mkdir -p "$TMP/state"
"$HISTGEN" "$DB" 3000 10 >/dev/null
ok $? "a generated history"

conf() {	# conf FILE STATE_DIR [EXTRA JOB LINES]
	cat >"$1" <<EOF
state_dir = "$2";
timezone = "UTC";
jobs = (
  { name = "job-0000"; schedule = "0 * * * *"; command = "true"; },
  { name = "job-0001"; schedule = "1 * * * *"; command = "true"; },
  { name = "job-0005"; schedule = "5 * * * *"; command = "true"; },
  { name = "job-0009"; schedule = "9 * * * *"; command = "true"; },
  { name = "prefixjob"; schedule = "@hourly"; command = "true"; },
  { name = "fresh"; schedule = "30 2 * * *"; command = "true"; },
  { name = "off"; schedule = "@daily"; command = "true"; enabled = false; }
  ${3:-}
);
EOF
	chmod 0644 "$1"
}
conf "$TMP/c.conf" "$TMP/state"
C="-c $TMP/c.conf"

# Rows with fixed ids: two share the prefix abcdef00, one is alone.
python3 - "$DB" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
t = 1795000000000
for n, (rid, st, out) in enumerate([
        ("abcdef00-0000-4000-8000-000000000001", "succeeded", "hello\nworld\n"),
        ("abcdef00-0000-4000-8000-000000000002", "failed", None),
        ("abcdef01-0000-4000-8000-000000000003", "failed", "oops \x1b[31m\n")]):
    s = t + n * 3600000
    db.execute("INSERT INTO runs (id, fire_id, job, \"trigger\", attempt,"
               " scheduled_at, started_at, finished_at, duration_ms, status,"
               " exit_code, host, error, output) VALUES (?, ?, 'prefixjob',"
               " 'manual', 1, ?, ?, ?, 1500, ?, ?, 'h1', ?, ?)",
               (rid, rid, s, s + 3, s + 1503, st, 0 if st == "succeeded" else 4,
                None if st == "succeeded" else "exit status 4", out))
    for at, kind, detail in [(s, "queued", None), (s + 2, "lock_acquired", "/l"),
                             (s + 3, "started", "pid 7"), (s + 1503, "exited", "exit 0")]:
        db.execute("INSERT INTO events (run, at, kind, detail) VALUES (?, ?, ?, ?)",
                   (rid, at, kind, detail))
db.commit()
EOF
ok $? "fixed rows"

# sql QUERY: rows as lines of |-separated fields (Python's sqlite3).
sql() {
	python3 -c '
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$DB" "$1"
}
# ids JSON: the run_id of each object of a JSON array on stdin.
ids() { python3 -c 'import json, sys
for r in json.load(sys.stdin): print(r["run_id"])'; }
ORDER="ORDER BY scheduled_at DESC, attempt DESC, rowid DESC"

# --- history: filters, against SQL -----------------------------------------
run "$LOCKCRON" history $C --format json
is "$(printf '%s' "$out" | ids)" "$(sql "SELECT id FROM runs $ORDER LIMIT 100")" \
    "newest first, 100 by default"
is "$err" "lockcron: the newest 100 runs; --limit 0 shows them all" \
    "the default limit says so"
run "$LOCKCRON" history $C --format json --limit 0
is "$(printf '%s' "$out" | ids | wc -l)" "$(sql "SELECT count(*) FROM runs")" \
    "--limit 0: every run"
is "$(printf '%s' "$out" | ids)" "$(sql "SELECT id FROM runs $ORDER")" \
    "--limit 0: in order"
run "$LOCKCRON" history $C --format json --limit 0 job-0003
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE job = 'job-0003' $ORDER")" "one job"
run "$LOCKCRON" history job-0003 job-0007 $C --limit 25 --format json
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE job IN ('job-0003', 'job-0007') $ORDER LIMIT 25")" \
    "two jobs, options after them, --limit"
run "$LOCKCRON" history $C --format json --limit 0 --status failed,timed_out
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE status IN ('failed', 'timed_out') $ORDER")" \
    "--status with two statuses"
# With a limit and no job, each status (trigger) is read on its own.
run "$LOCKCRON" history $C --format json --limit 25 --status failed,timed_out,skipped
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE status IN ('failed', 'timed_out', 'skipped') $ORDER LIMIT 25")" \
    "--status with three statuses and a limit"
run "$LOCKCRON" history $C --format json --limit 7 --trigger retry,manual --since 2026-11-20
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE \"trigger\" IN ('retry', 'manual') AND scheduled_at >= 1795651200000 - 6 * 86400000 $ORDER LIMIT 7")" \
    "--trigger with two triggers, --since and a limit"
run "$LOCKCRON" history $C --format json --limit 0 --trigger retry --status succeeded
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE \"trigger\" = 'retry' AND status = 'succeeded' $ORDER")" \
    "--trigger and --status together"
is "$(printf '%s' "$out" | ids | wc -l | awk '$1 > 0 { print "some" }')" "some" \
    "--trigger retry finds retries"
run "$LOCKCRON" history $C --format json --limit 0 --since 2026-11-23T10:00:00Z \
    --until '2026-11-23 12:30'
is "$(printf '%s' "$out" | ids)" \
    "$(sql "SELECT id FROM runs WHERE scheduled_at >= 1795428000000 AND scheduled_at < 1795437000000 $ORDER")" \
    "--since and --until, ISO-8601"
now=$(python3 -c 'import time; print(int(time.time() * 1000))')
run "$LOCKCRON" history $C --format json --limit 0 --since 400h
is "$(printf '%s' "$out" | ids | wc -l)" \
    "$(sql "SELECT count(*) FROM runs WHERE scheduled_at >= $now - 400 * 3600000")" \
    "--since 400h"
midnight=$(python3 -c 'import time; t = int(time.time()); print((t - t % 86400) * 1000)')
run "$LOCKCRON" history $C --format json --limit 0 --since yesterday --until today
is "$(printf '%s' "$out" | ids | wc -l)" \
    "$(sql "SELECT count(*) FROM runs WHERE scheduled_at >= $midnight - 86400000 AND scheduled_at < $midnight")" \
    "--since yesterday --until today"

# --- history: formats -------------------------------------------------------
# Every key of every object against its row.
run "$LOCKCRON" history $C --format json --limit 0 job-0002 job-0009 prefixjob
printf '%s' "$out" >"$TMP/h.json"
is "$(python3 - "$DB" "$TMP/h.json" <<'EOF'
import datetime, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = json.load(open(sys.argv[2]))
def iso(ms):
    if ms is None: return None
    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
keys = ["run_id", "fire_id", "job", "trigger", "attempt", "status",
        "exit_code", "signal", "scheduled_at", "started_at", "finished_at",
        "duration_ms", "host", "error"]
bad = 0
for r in runs:
    row = db.execute("SELECT id, fire_id, job, \"trigger\", attempt, status,"
                     " exit_code, signal, scheduled_at, started_at, finished_at,"
                     " duration_ms, host, error FROM runs WHERE id = ?",
                     (r["run_id"],)).fetchone()
    want = dict(zip(keys, row))
    for k in ("scheduled_at", "started_at", "finished_at"):
        want[k] = iso(want[k])
    if list(r) != keys or r != want:
        bad += 1
        print(r, want, file=sys.stderr)
print(len(runs), "runs", bad, "bad")
EOF
)" "$(sql "SELECT count(*) || ' runs 0 bad' FROM runs WHERE job IN ('job-0002', 'job-0009', 'prefixjob')")" \
    "json: every field of every run, checked against its row"
"$LOCKCRON" history $C --format csv --limit 0 job-0002 job-0009 prefixjob \
    >"$TMP/h.csv"
is "$(python3 - "$TMP/h.csv" "$TMP/h.json" <<'EOF'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
runs = json.load(open(sys.argv[2]))
same = rows[0] == list(runs[0]) and len(rows) == len(runs) + 1 and all(
    row == ["" if v is None else str(v) for v in r.values()]
    for row, r in zip(rows[1:], runs))
print("header", rows[0][0], rows[0][-1], "same" if same else "different")
EOF
)" "header run_id error same" "csv: RFC 4180, a header, the JSON's values"
is "$(tr -dc '\r' <"$TMP/h.csv" | wc -c)" "$(wc -l <"$TMP/h.csv")" "csv: CRLF"

run env -u COLUMNS "$LOCKCRON" history $C --limit 30
is "$(echo "$out" | head -1 | tr -s ' ' | sed 's/ TRIGGER//')" \
    "RUN JOB SCHEDULED DURATION STATUS EXIT" \
    "table: 80 columns drop STARTED (and TRIGGER when statuses are long)"
is "$(echo "$out" | awk '{ if (length($0) > m) m = length($0) } END { print (m <= 80) }')" \
    "1" "table: fits 80 columns"
is "$(echo "$out" | awk 'NR > 1 { print $1 }')" \
    "$(sql "SELECT substr(id, 1, 8) FROM runs $ORDER LIMIT 30")" \
    "table: short ids, same order"
run env COLUMNS=200 "$LOCKCRON" history $C --limit 1 job-0000
is "$(echo "$out" | head -1 | tr -s ' ')" \
    "RUN JOB TRIGGER SCHEDULED STARTED DURATION STATUS EXIT" "table: wide"
run "$LOCKCRON" history $C --limit 0 prefixjob
is "$(echo "$out" | awk 'NR > 1 { print $1 }')" \
    "abcdef01
abcdef00-0000-4000-8000-000000000002
abcdef00-0000-4000-8000-000000000001" "table: ids as long as they must be"
script -qec "env COLUMNS=200 $LOCKCRON history $C --limit 3 --status failed" \
    /dev/null >"$TMP/tty" 2>&1
is "$(grep -c "$(printf '\033')\[31mfailed" "$TMP/tty")" "3" "tty: failed in red"
script -qec "env NO_COLOR=1 COLUMNS=200 $LOCKCRON history $C --limit 3" \
    /dev/null >"$TMP/tty" 2>&1
is "$(grep -c "$(printf '\033')" "$TMP/tty")" "0" "tty with NO_COLOR: no colour"

# --- bad arguments: one line and the usage, exit 2 --------------------------
for args in "--status bogus" "--trigger nope" "--limit x" "--since garbage" \
    "--until 2026-13-01" "--format yaml" "--frobnicate"; do
	run "$LOCKCRON" history $C $args
	is "$rc:$(echo "$err" | wc -l):$(echo "$err" | tail -1 | cut -d' ' -f1-3)" \
	    "2:2:usage: lockcron history" "history $args: error and usage"
done

# --- show and logs ----------------------------------------------------------
run "$LOCKCRON" show $C abcdef01
is "$rc:$(echo "$out" | head -1)" "0:run         abcdef01-0000-4000-8000-000000000003" \
    "show: a unique prefix"
is "$(echo "$out" | sed -n '/^events:/,/^$/p')" "events:
    +0.000s  queued
    +0.002s  lock_acquired     /l
    +0.003s  started           pid 7
    +1.503s  exited            exit 0" "show: the timeline, offsets from the first event"
is "$(echo "$out" | sed -n '/^output/,$p')" 'output (11 bytes kept):
oops \x1b[31m' "show: the output, control bytes escaped"
run "$LOCKCRON" show $C ABCDEF00
is "$rc:$err" "2:lockcron: run prefix abcdef00 is ambiguous; it matches abcdef00-0000-4000-8000-000000000001, abcdef00-0000-4000-8000-000000000002" \
    "show: an ambiguous prefix lists the candidates"
run "$LOCKCRON" show $C 0123456789abcdef
is "$rc:$err" "1:lockcron: no run matches 0123456789abcdef" "show: no such run: exit 1"
run "$LOCKCRON" show $C not-hex
is "$rc:$(echo "$err" | tail -1 | cut -d' ' -f1-3)" "2:usage: lockcron show" \
    "show: not an id: usage"
run "$LOCKCRON" show $C --format json abcdef00-0000-4000-8000-000000000001
is "$(printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(list(r)[-2:], r["status"], r["duration_ms"], r["output"] == "hello\nworld\n",
      [(e["at"], e["kind"], e["detail"]) for e in r["events"]][:2])')" \
    "['events', 'output'] succeeded 1500 True [('2026-11-18T11:06:40.000Z', 'queued', None), ('2026-11-18T11:06:40.002Z', 'lock_acquired', '/l')]" \
    "show --format json: one object with events and output"
run "$LOCKCRON" logs $C abcdef00-0000-4000-8000-000000000001
is "$rc:$out" "0:hello
world" "logs: the kept output"
run "$LOCKCRON" logs $C abcdef00
is "$rc" "2" "logs: an ambiguous prefix"

# --- status -----------------------------------------------------------------
last_finished() {	# the status of a job's newest finished run
	sql "SELECT status FROM runs WHERE job = '$1' AND status NOT IN
	    ('queued', 'running', 'skipped', 'missed') $ORDER LIMIT 1"
}
good=""; badjob=""
for j in job-0000 job-0001 job-0002 job-0003 job-0004 job-0005 job-0006 \
    job-0007 job-0008; do
	case $(last_finished $j) in
	succeeded) good=${good:-$j} ;;
	*) badjob=${badjob:-$j} ;;
	esac
done
run "$LOCKCRON" status $C $good
is "$rc" "0" "status: a job whose last finished run succeeded: 0 ($good)"
run "$LOCKCRON" status $C $good job-0009
is "$rc" "1" "status: one that never succeeded: 1"
run "$LOCKCRON" status $C $good fresh
is "$rc" "3" "status: one without runs: 3"
run "$LOCKCRON" status $C $good job-0009 fresh
is "$rc" "1" "status: a failure outweighs the unknown"
run "$LOCKCRON" status $C $good off
is "$rc" "0" "status: a disabled job does not count"
run "$LOCKCRON" status $C nosuchjob
is "$rc:$(echo "$err" | head -1)" \
    "2:lockcron: no job \"nosuchjob\" in the config or the history" "status: an unknown job"
run "$LOCKCRON" status $C --format json
printf '%s' "$out" >"$TMP/s.json"
is "$rc:$(python3 - "$DB" "$TMP/s.json" <<'EOF'
import json, sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
order = "ORDER BY scheduled_at DESC, attempt DESC, rowid DESC LIMIT 1"
def iso(ms):
    if ms is None: return None
    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
bad = []
jobs = json.load(open(sys.argv[2]))
for j in jobs:
    n = j["name"]
    last = db.execute("SELECT status, coalesce(started_at, scheduled_at) FROM runs"
                      " WHERE job = ? " + order, (n,)).fetchone() or (None, None)
    ok = db.execute("SELECT coalesce(started_at, scheduled_at), scheduled_at, attempt"
                    " FROM runs WHERE job = ? AND status = 'succeeded' " + order,
                    (n,)).fetchone()
    fails = db.execute("SELECT count(*) FROM runs WHERE job = ? AND status IN ("
                       "'failed', 'timed_out', 'killed', 'secret_error',"
                       " 'launch_error', 'lost') AND (? IS NULL OR scheduled_at > ?"
                       " OR (scheduled_at = ? AND attempt > ?))",
                       (n, ok and ok[1], ok and ok[1], ok and ok[1], ok and ok[2])
                       ).fetchone()[0]
    want = {"name": n, "last_status": last[0], "last_run_at": iso(last[1]),
            "last_success_at": iso(ok and ok[0]), "consecutive_failures": fails}
    got = {k: j[k] for k in want}
    if got != want or list(j) != ["name", "last_status", "last_run_at",
            "last_success_at", "consecutive_failures", "next_fire_at"]:
        bad.append(n)
print(len(jobs), "jobs, bad:", bad, [j["next_fire_at"] is None for j in jobs])
EOF
)" "1:7 jobs, bad: [] [False, False, False, False, False, False, True]" \
    "status --format json: every field against SQL; next fire from the config"
run env -u COLUMNS "$LOCKCRON" status $C
is "$(echo "$out" | head -1 | tr -s ' ')" "JOB LAST LAST RUN LAST SUCCESS FAILURES" \
    "status table: 80 columns drop NEXT"

# --- metrics ----------------------------------------------------------------
"$LOCKCRON" metrics $C >"$TMP/m.prom"
is "$?:$(python3 "$TOP_SRCDIR/tests/promcheck.py" <"$TMP/m.prom")" \
    "0:ok 6 $(grep -vc '^#' "$TMP/m.prom")" "metrics: a valid exposition"
printf 'a_total 1\n# HELP a_total x\n# TYPE a_total counter\n' |
    python3 "$TOP_SRCDIR/tests/promcheck.py" >/dev/null
is "$?" "1" "promcheck itself fails on samples before HELP/TYPE"
is "$(grep '^lockcron_runs_total' "$TMP/m.prom" | sed 's/.*job="\([^"]*\)",status="\([^"]*\)"} \(.*\)/\1|\2|\3/')" \
    "$(sql "SELECT job, status, count(*) FROM runs WHERE status NOT IN ('queued', 'running') GROUP BY job, status ORDER BY job, status")" \
    "metrics: runs_total counts every ended run"
is "$(grep '^lockcron_last_run_status{job="job-0009"' "$TMP/m.prom" | grep ' 1$')" \
    'lockcron_last_run_status{job="job-0009",status="failed"} 1' \
    "metrics: the last status as a state set"
"$LOCKCRON" metrics $C --output "$TMP/lockcron.prom"
is "$?:$(cmp "$TMP/lockcron.prom" "$TMP/m.prom" && echo same):$(ls "$TMP" | grep -c prom.tmp)" \
    "0:same:0" "metrics --output: the same text, renamed into place"

# --- list -------------------------------------------------------------------
run "$LOCKCRON" list $C --format json
is "$(printf '%s' "$out" | python3 -c '
import json, sys
s = {j["name"]: j for j in json.load(open(sys.argv[1]))}
print(all(all(j[k] == s[j["name"]][k] for k in ("last_status", "last_run_at",
    "last_success_at", "consecutive_failures")) for j in json.load(sys.stdin)))' \
    "$TMP/s.json")" "True" "list: each job's last run, as status says"

# --- prune: counts, then deletes; totals stay --------------------------------
before=$(sql "SELECT count(*) FROM runs")
run "$LOCKCRON" prune $C --keep-runs 100 --dry-run
want=$(sql "SELECT count(*) FROM (SELECT status, row_number() OVER (PARTITION BY job
    ORDER BY scheduled_at DESC, attempt DESC, rowid DESC) AS n FROM runs)
    WHERE n > 100 AND status NOT IN ('queued', 'running')")
wantev=$(sql "SELECT count(*) FROM events WHERE run IN (SELECT id FROM (SELECT id,
    status, row_number() OVER (PARTITION BY job ORDER BY scheduled_at DESC,
    attempt DESC, rowid DESC) AS n FROM runs) WHERE n > 100 AND status NOT IN
    ('queued', 'running'))")
is "$rc:$out" "0:would delete $want runs and $wantev events (dry run)" "prune --dry-run counts"
is "$(sql "SELECT count(*) FROM runs")" "$before" "prune --dry-run deletes nothing"
run "$LOCKCRON" prune $C --keep-runs 100
is "$rc:$out:$(sql "SELECT count(*) FROM runs")" \
    "0:deleted $want runs and $wantev events:$((before - want))" "prune deletes them"
is "$("$LOCKCRON" metrics $C | grep '^lockcron_runs_total')" \
    "$(grep '^lockcron_runs_total' "$TMP/m.prom")" "prune leaves runs_total alone"
run "$LOCKCRON" prune $C --keep-days x
is "$rc:$(echo "$err" | tail -1 | cut -d' ' -f1-3)" "2:usage: lockcron prune" "prune: bad argument"

# --- an invalid job in the config: readers still find the history ----------
conf "$TMP/bad.conf" "$TMP/state" ', { name = "broken"; schedule = "61 * * * *"; command = "x"; }'
run "$LOCKCRON" history -c "$TMP/bad.conf" --limit 1 --format json
is "$rc:$(printf '%s' "$out" | ids)" "0:$(sql "SELECT id FROM runs $ORDER LIMIT 1")" \
    "history with a broken job in the config"
run "$LOCKCRON" status -c "$TMP/bad.conf" --format json job-0009
is "$rc:$(printf '%s' "$out" | python3 -c 'import json, sys
j = json.load(sys.stdin)[0]; print(j["last_status"], j["next_fire_at"])')" \
    "1:failed None" "status with a broken config: no next fire time, still an answer"

# --- missing, corrupt, unreadable -------------------------------------------
conf "$TMP/empty.conf" "$TMP/nothing"
E="-c $TMP/empty.conf"
run "$LOCKCRON" history $E --format json
is "$rc:$out:$err" "0:[]:lockcron: $TMP/nothing/history.db: no history database (no run has been recorded yet)" \
    "missing: history says where it looked"
run "$LOCKCRON" status $E job-0000
is "$rc" "3" "missing: status is unknown"
run "$LOCKCRON" show $E abcdef01
is "$rc" "1" "missing: show finds no run"
run "$LOCKCRON" metrics $E
is "$rc:$(printf '%s\n' "$out" | python3 "$TOP_SRCDIR/tests/promcheck.py")" "0:ok 6 0" \
    "missing: metrics has families and no samples"

mkdir -p "$TMP/corrupt"
head -c 8192 /dev/urandom >"$TMP/corrupt/history.db"
conf "$TMP/corrupt.conf" "$TMP/corrupt"
for cmd in "history" "status" "show abcdef01" "logs abcdef01" "metrics" "list"; do
	run "$LOCKCRON" $cmd -c "$TMP/corrupt.conf"
	is "$rc:$(echo "$err" | grep -c 'history.db: the history database is corrupt')" \
	    "2:1" "corrupt: $cmd says so, exit 2"
done

if [ "$(id -u)" -eq 0 ]; then
	# Another user, as root cannot be refused: the file is 0600 root.
	chmod 0711 "$TMP"
	as_user() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
else
	chmod 0000 "$DB"
	as_user() { "$@"; }
fi
run as_user "$LOCKCRON" history $C
is "$rc:$err" "2:lockcron: $DB: cannot read the history: Permission denied" \
    "unreadable: says which file and why"
run as_user "$LOCKCRON" list $C
is "$rc:$(echo "$err" | grep -c 'warning: .*Permission denied')" "0:1" \
    "unreadable: list warns and lists the jobs"
