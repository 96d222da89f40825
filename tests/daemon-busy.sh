#!/bin/sh
# The history locked by another process (an operator's sqlite3 session
# left in a transaction, a VACUUM) for longer than the daemon's busy
# timeout: the fires of that time are not lost. They are recorded once the
# lock is gone, run late within the grace and missed beyond it, each once;
# the log says so a few times, not once a second.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 6

daemon_config <<EOF
  { name = "tick"; schedule = "* * * * * *"; command = "true"; }
EOF
daemon_start_or_bail
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'tick' and status = 'succeeded'\") -ge 2 ]" 15

# 13 s of a write transaction: two busy timeouts of the daemon (5 s each)
# and its back-off between them.
python3 - "$D_DB" "$TMP/held" 13 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("ROLLBACK")
PY
holder=$!
wait_for "[ -e $TMP/held ]" 10
t_lock=$(now_ms)
wait "$holder"
t_free=$(now_ms)
wait_for "grep -q 'the history takes writes again' '$D_LOG'" 40
ok $? "the daemon records again once the lock is gone"
sleep 2
daemon_stop

# Every second of the lock has its one row.
win="job = 'tick' and scheduled_at >= $t_lock / 1000 * 1000 + 1000 and
    scheduled_at < $t_free / 1000 * 1000"
is "$(sql "select count(*) = count(distinct scheduled_at),
    count(*) = (max(scheduled_at) - min(scheduled_at)) / 1000 + 1,
    count(*) >= 10 from runs where $win")" "1|1|1" \
    "each fire of the 13 s has exactly one row"
# (The late ones all at once: the job's lock lets one run at a time, the
# others are recorded skipped, lock busy.)
is "$(sql "select count(*) from runs where $win and
    status not in ('succeeded', 'missed', 'skipped')")" "0" \
    "each ran (late), was skipped (lock busy) or was missed"
is "$(sql "select count(*) > 0 from runs where $win and status = 'missed'")$(sql "select count(*) > 0 from runs where $win and status = 'succeeded' and started_at - scheduled_at > 1500")" \
    "11" "the oldest missed (past the 10 s grace), the newer ones run late"
n=$(grep -c 'fires not recorded yet' "$D_LOG")
ok "$([ "$n" -ge 1 ] && [ "$n" -le 4 ]; echo $?)" \
    "the log says so $n times, not once a second"
ok_clean_stderr
