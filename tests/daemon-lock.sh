#!/bin/sh
# Locks against flock(1), both ways, through a real daemon: a busy lock
# skips a run (and says so in the log only now and then); overlap = "wait"
# waits, and a per-second job never piles up waiting supervisors; a job's
# lock keeps flock(1) users out while it runs.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 19

mark='echo \"$LOCKCRON_RUN_ID $(date +%s%3N)\"'
daemon_config <<EOF
  { name = "skipper"; schedule = "* * * * * *"; lock = "$TMP/s.lock";
    command = "$mark start >>$TMP/s.marks; sleep 0.2; $mark end >>$TMP/s.marks"; },
  { name = "waiter"; schedule = "* * * * * *"; lock = "$TMP/w.lock";
    overlap = "wait"; lock_wait = 30;
    command = "$mark start >>$TMP/w.marks; sleep 0.2; $mark end >>$TMP/w.marks"; },
  { name = "holder"; schedule = "0 0 0 1 1 *"; lock = "$TMP/h.lock";
    command = "$mark start >>$TMP/h.marks; sleep 2; $mark end >>$TMP/h.marks"; }
EOF
daemon_start_or_bail
ok 0 "lockcrond starts"
wait_for "[ \$(sqlv \"select count(*) from runs where job in ('skipper', 'waiter') and status = 'succeeded'\") -ge 2 ]" 20

# flock(1) holds both locks for 4 s: skipper's runs are skipped, waiter's
# first run waits and the next ones are skipped as "already waiting".
# (The held and released marks are written just after the lock is taken
# and just before it is let go: instants are compared with a second's
# slack around them.)
holder() {	# LOCK NAME
	env "$D_TAG" flock -w 20 "$1" sh -c \
	    "date +%s%3N >$TMP/$2.held; sleep 4; date +%s%3N >$TMP/$2.released" &
}
holder "$TMP/s.lock" s
holder "$TMP/w.lock" w
wait_for "[ -s $TMP/s.held ] && [ -s $TMP/w.held ]" 10
# Meanwhile, at most one run of waiter waits for the lock at any time
# (queued or running, without lock_acquired: a run that has the lock while
# the next one is queued is not waiting).
most=0
while [ ! -s "$TMP/w.released" ] && [ "$(now_ms)" -lt $(( $(cat "$TMP/w.held") + 10000 )) ]; do
	n=$(sqlv "select count(*) from runs r where job = 'waiter' and status in ('queued', 'running')
	    and not exists (select 1 from events where run = r.id and kind = 'lock_acquired')")
	[ "$n" -gt "$most" ] && most=$n
	[ "$n" -gt 1 ] && sql "select r.id, r.status, r.scheduled_at, r.started_at,
	    (select group_concat(kind || '@' || at, ',') from events where run = r.id)
	    from runs r where job = 'waiter' and status in ('queued', 'running')" | sed 's/^/# waiting: /'
	sleep 0.2
done
is "$most" "1" "overlap = wait: one run of the per-second job waits, never more"
wait_for "[ -s $TMP/s.released ]" 10
s_held=$(cat "$TMP/s.held") s_rel=$(cat "$TMP/s.released")
w_held=$(cat "$TMP/w.held") w_rel=$(cat "$TMP/w.released")

# The daemon's lock keeps flock(1) out: holder runs, flock -n fails, and
# flock -w gets the lock only once the job has ended.
"$LOCKCRON" run -c "$D_CONF" --no-wait holder >/dev/null
wait_for "[ -s $TMP/h.marks ]" 10
run flock -n "$TMP/h.lock" true
is "$rc" "1" "flock -n fails while a run holds the lock"
run flock -w 20 "$TMP/h.lock" date +%s%3N
is "$rc" "0" "flock -w gets the lock in the end"
h_end=$(sed -n 's/.* \([0-9]*\) end$/\1/p' "$TMP/h.marks")
ok "$([ -n "$h_end" ] && [ "$out" -ge "$h_end" ]; echo $?)" \
    "flock -w got it after the job had ended ($out >= $h_end)"

wait_for "[ \$(sqlv \"select count(*) from runs where job = 'skipper' and status = 'succeeded' and scheduled_at > $s_rel\") -ge 1 ]" 10
ok $? "skipper runs again once the lock is free"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'waiter' and status = 'succeeded' and scheduled_at > $w_rel\") -ge 1 ]" 10
ok $? "waiter runs again once the lock is free"
daemon_stop
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") -eq 0 ]" 10

# No job ran while flock(1) held its lock: [start, end] never meets
# [held, released].
overlaps() {	# MARKS HELD RELEASED
	awk -v h="$2" -v r="$3" '
	    $3 == "start" { s[$1] = $2 } $3 == "end" { e[$1] = $2 }
	    END { n = 0; for (i in s) if (i in e && s[i] <= r && e[i] >= h) n++; print n }' "$1"
}
is "$(overlaps "$TMP/s.marks" "$s_held" "$s_rel")" "0" "skip: no run of skipper while flock(1) held the lock"
is "$(overlaps "$TMP/w.marks" "$w_held" "$w_rel")" "0" "wait: no run of waiter while flock(1) held the lock"

# skipper: skipped runs name the busy lock; one log line for all of them.
# (Skipped runs outside the holding time are possible: a daemon held up
# for over a second runs two fires at once and the second finds the lock
# busy, taken by the first.)
nskip=$(sql "select count(*) from runs where job = 'skipper' and status = 'skipped' and
    scheduled_at between $s_held / 1000 * 1000 - 1000 and $s_rel + 1000")
ok "$([ "$nskip" -ge 3 ]; echo $?)" "skipper: skipped while flock(1) held the lock ($nskip runs)"
is "$(sql "select count(*) from runs where job = 'skipper' and status = 'skipped' and
    error not like '%lock $TMP/s.lock is busy%'")" "0" "skipped runs say the lock is busy"
sql "select id from runs where job = 'skipper' and status = 'skipped'" >"$TMP/skipped.ids"
is "$(grep -c -F -f "$TMP/skipped.ids" "$D_LOG")" "1" \
    "the log has one line for all the skipped runs (rate-limited)"
is "$(grep -c 'job=skipper run=.* status=skipped exit=- duration=[0-9]*ms$' "$D_LOG")" "1" \
    "that line has the fixed shape"

# waiter: the one waiting run got the lock when flock(1) let go; the fires
# meanwhile were skipped as already waiting.
is "$(sql "select count(*) from runs where job = 'waiter' and status = 'skipped' and
    error != 'already waiting'")" "0" "waiter: skipped runs say 'already waiting'"
nwait=$(sql "select count(*) from runs where job = 'waiter' and status = 'skipped' and
    scheduled_at between $w_held / 1000 * 1000 - 1000 and $w_rel + 1000")
ok "$([ "$nwait" -ge 2 ]; echo $?)" "waiter: further fires meanwhile were skipped ($nwait)"
waited=$(sql "select r.id from runs r join events e on e.run = r.id
    where r.job = 'waiter' and e.kind = 'lock_acquired' and e.at >= $w_rel
    and r.started_at < $w_rel")
is "$(echo "$waited" | grep -c .)" "1" "exactly one run waited for the lock and got it"
is "$(sql "select group_concat(kind, ',') from (select kind from events
    where run = '$waited' order by rowid)")" \
    "scheduled,queued,lock_wait,lock_acquired,started,exited" "its timeline"
is "$(sql "select status from runs where id = '$waited'")" "succeeded" "and it succeeded"
ok_clean_stderr
