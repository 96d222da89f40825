#!/bin/sh
# max_parallel: never more supervisors at once than it allows, the other
# runs queued and started in order as slots free; a run adopted from a
# daemon killed with SIGKILL still takes its slot after the restart.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 12

mark='echo \"$LOCKCRON_RUN_ID $(date +%s%3N)\"'
job() {	# NAME SCHEDULE SLEEP
	echo "{ name = \"$1\"; schedule = \"$2\";
	    command = \"$mark start >>$TMP/marks; sleep $3; $mark end >>$TMP/marks\"; },"
}
# Lengths so that slots free one at a time: p1 and p2 start, p3 when p1
# ends (2 s), p4 when p3 ends (3 s), p5 when p2 and p4 end (4 s).
{ job p1 "0 0 0 1 1 *" 2; job p2 "0 0 0 1 1 *" 4
  for i in 3 4 5; do job "p$i" "0 0 0 1 1 *" 1; done; } |
    sed '$s/,$//' | daemon_config "max_parallel = 2;"
daemon_start_or_bail
for i in 1 2 3 4 5; do
	"$LOCKCRON" run -c "$D_CONF" --no-wait "p$i" >>"$TMP/ids" || echo "# run p$i failed"
done
# The two supervisors mark their runs running a moment after the daemon
# forks them: poll for the state (p1 runs 2 s, so it lasts).
states() {
	sqlv "select group_concat(status, ' ') from (select status from runs order by rowid)" |
	    sed 's/running/R/g; s/queued/Q/g'
}
wait_for "[ \"\$(states)\" = 'R R Q Q Q' ]" 10
rc=$?
[ $rc -eq 0 ] || echo "# states: $(states)"
ok $rc "2 running, 3 queued"
wait_for "[ \$(sqlv \"select count(*) from runs where status = 'succeeded'\") = 5 ]" 20
ok $? "all five ran and succeeded"
# At no instant were more than 2 runs between started_at and finished_at
# (a supervisor lives a little longer than that: it is counted until reaped).
is "$(sql "select max(n) from (select (select count(*) from runs b
    where b.started_at <= a.started_at and b.finished_at > a.started_at) n from runs a)")" "2" \
    "at most 2 at once, and 2 indeed"
is "$(awk '$3 == "start" { print $2, 1 } $3 == "end" { print $2, -1 }' "$TMP/marks" |
    sort -k1,1n -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m }')" "2" \
    "the jobs themselves: at most 2 at once"
# (p1 and p2 start in the same instant: their order is the supervisors'.)
is "$(sql "select group_concat(job, ' ') from (select job from runs order by started_at)" |
    sed 's/^p2 p1/p1 p2/')" "p1 p2 p3 p4 p5" "started in the order they were queued"
is "$(sql "select count(*) from runs a where (select count(*) from runs b
    where b.finished_at <= a.started_at) < (select count(*) from runs c where c.rowid < a.rowid) - 1")" "0" \
    "each queued run started only once a slot was free"
daemon_stop

# A slot taken by a run the restarted daemon adopted.
: >"$TMP/marks"
{ job long "0 0 0 1 1 *" 4; job tick "* * * * * *" 0; } | sed '$s/,$//' |
    daemon_config "max_parallel = 1;"
daemon_start_or_bail
run "$LOCKCRON" run -c "$D_CONF" --no-wait long
long=$out
wait_for "[ \"\$(sqlv \"select count(*) from events where run = '$long' and kind = 'started'\")\" = 1 ]" 10
ok $? "long runs"
daemon_kill9
daemon_start_or_bail
t_restart=$(now_ms)
wait_for "[ \"\$(sqlv \"select status from runs where id = '$long'\")\" = succeeded ]" 10
ok $? "long, adopted, succeeds"
long_end=$(sql "select finished_at from runs where id = '$long'")
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'tick' and status = 'succeeded' and scheduled_at > $t_restart\") -ge 3 ]" 10
ok $? "ticks run afterwards"
daemon_stop
is "$(sql "select count(*) from runs where job = 'tick' and scheduled_at > $t_restart
    and started_at < $long_end")" "0" "no tick started while the adopted run held the only slot"
is "$(sql "select count(*) from (select started_at s, lag(started_at) over (order by scheduled_at) p
    from runs where job = 'tick' and scheduled_at > $t_restart and started_at is not null) where s < p")" "0" \
    "the queued ticks started in order"
ok_clean_stderr
