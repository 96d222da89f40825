#!/bin/sh
# lockcrond on time: every per-second fire yields exactly one run, never
# before its instant, no instant twice; the log lines of a run have a fixed
# shape; a log file moved away is reopened on SIGHUP.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 16

daemon_config <<EOF
  { name = "a"; schedule = "* * * * * *"; command = "echo a"; },
  { name = "b"; schedule = "* * * * * *"; command = ["/bin/true"]; },
  { name = "even"; schedule = "*/2 * * * * *"; command = "exit 3"; }
EOF
t0=$(now_ms)
daemon_start
ok $? "lockcrond starts"
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'a' and status = 'succeeded'\") -ge 4 ]" 20
ok $? "job a ran at least 4 times"

# The log moves away (logrotate), SIGHUP, and the daemon writes a new file.
mv "$D_LOG" "$D_LOG.1"
kill -HUP "$D_PID"
wait_for "grep -qs ' job=a run=.* status=succeeded ' '$D_LOG'" 10
ok $? "after SIGHUP the log file is created again and written"
moved=$(wc -l <"$D_LOG.1")
wait_for "[ \$(nlines ' job=a run=.* status=succeeded ' '$D_LOG') -ge 2 ]" 10
is "$(wc -l <"$D_LOG.1")" "$moved" "nothing more is written to the moved file"

# The jobs go (a reload), so that every run ends while the daemon lives
# and logs it (a run that ends after a SIGTERM has no end line); then
# the daemon stops.
daemon_config <<EOF
  { name = "idle"; schedule = "0 0 0 1 1 *"; command = "true"; }
EOF
"$LOCKCRON" reload -c "$D_CONF" >/dev/null
t1=$(now_ms)
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") -eq 0 ]" 10
wait_for "[ \$(cat '$D_LOG.1' '$D_LOG' | grep -c ' notice job=[a-z]* run=') -ge \$(sqlv 'select count(*) from runs') ]" 10
daemon_stop
ok $? "SIGTERM stops it"
is "$D_RC" "0" "exit status 0"

# Per job: consecutive instants, none twice, each run at or after its
# instant, and inside the daemon's lifetime.
check_job() {	# JOB STEP_MS
	sql "select count(*), count(distinct scheduled_at),
	    (max(scheduled_at) - min(scheduled_at)) / $2 + 1,
	    sum(started_at < scheduled_at),
	    min(scheduled_at) >= $t0 / 1000 * 1000, max(scheduled_at) <= $t1,
	    sum(trigger != 'schedule') + sum(attempt != 1)
	    from runs where job = '$1'" | {
		IFS='|' read -r n nd span early lo hi other
		echo "n>=2:$([ "$n" -ge 2 ] && echo y) distinct:$([ "$n" = "$nd" ] && echo y) contiguous:$([ "$n" = "$span" ] && echo y) early:$early in-lifetime:$lo$hi other:$other"
	}
}
is "$(check_job a 1000)" "n>=2:y distinct:y contiguous:y early:0 in-lifetime:11 other:0" \
    "job a: one run per second, none early, none twice"
is "$(check_job b 1000)" "n>=2:y distinct:y contiguous:y early:0 in-lifetime:11 other:0" \
    "job b: one run per second, none early, none twice"
is "$(check_job even 2000)" "n>=2:y distinct:y contiguous:y early:0 in-lifetime:11 other:0" \
    "job even: one run per 2 s, none early, none twice"
is "$(sql "select count(*) from runs where scheduled_at % 2000 != 0 and job = 'even'")" "0" \
    "job even fires on even seconds only"

# The log: one start line and one end line per run, of a fixed shape.
# (A daemon held up for over a second, under a sanitizer on a loaded
# machine, runs two fires of a job at once and one is skipped, lock busy:
# no start line, and a rate-limited end line. So: per run that started.)
cat "$D_LOG.1" "$D_LOG" >"$TMP/all.log"
uuid='[0-9a-f]\{8\}-[0-9a-f]\{4\}-4[0-9a-f]\{3\}-[89ab][0-9a-f]\{3\}-[0-9a-f]\{12\}'
is "$(grep -c "Z notice job=a run=$uuid status=succeeded exit=0 duration=[0-9]*ms\$" "$TMP/all.log")" \
    "$(sql "select count(*) from runs where job = 'a' and status = 'succeeded'")" \
    "one end line per run of a: job=… run=… status=… exit=… duration=…"
is "$(grep -c "Z notice job=even run=$uuid status=failed exit=3 duration=[0-9]*ms\$" "$TMP/all.log")" \
    "$(sql "select count(*) from runs where job = 'even' and status = 'failed'")" \
    "one end line per run of even, with its exit code"
is "$(grep -c "Z info job=a run=$uuid status=started pid=[0-9]*\$" "$TMP/all.log")" \
    "$(sql "select count(*) from runs r where job = 'a' and exists
    (select 1 from events where run = r.id and kind = 'started')")" \
    "one start line per run of a that started"
is "$(sql "select count(*) from runs where job in ('a', 'b', 'even') and status not in ('succeeded', 'failed', 'skipped')")" "0" \
    "every run succeeded, failed (even) or, late, found the lock busy"
id=$(sql "select id from runs where job = 'b' order by scheduled_at limit 1")
is "$(grep -c "job=b run=$id " "$TMP/all.log")" "2" "a run's id is in its two lines"
ok_clean_stderr
