#!/bin/sh
# Reloads hammered while per-second jobs fire: no instant is skipped or
# fired twice, neither for an unchanged job nor for one whose schedule is
# rewritten (to the same times) on every reload.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 8

conf() {	# the toggling job's schedule text
	daemon_config <<EOF
  { name = "tick"; schedule = "* * * * * *"; command = "true"; },
  { name = "toggle"; schedule = "$1"; command = "true"; }
EOF
}
conf "* * * * * *"
daemon_start_or_bail
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'tick'\") -ge 1 ]" 15
t0=$(now_ms)
n=0 bad=0
while [ "$(now_ms)" -lt $((t0 + 4500)) ]; do
	if [ $((n % 2)) -eq 0 ]; then conf "*/1 * * * * *"; else conf "* * * * * *"; fi
	"$LOCKCRON" reload -c "$D_CONF" >/dev/null || bad=$((bad + 1))
	n=$((n + 1))
done
is "$bad" "0" "every reload succeeded"
ok "$([ "$n" -ge 20 ]; echo $?)" "many reloads ($n in 4.5 s)"
kill -HUP "$D_PID"
wait_for "[ \$(grep -c 'reloaded ' '$D_LOG') -ge $((n + 1)) ]" 10
sleep 1.2
daemon_stop
is "$D_RC" "0" "the daemon stops cleanly"
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") -eq 0 ]" 10
check() {	# JOB: distinct, contiguous
	sql "select count(*) = count(distinct scheduled_at),
	    count(*) = (max(scheduled_at) - min(scheduled_at)) / 1000 + 1,
	    count(*) >= 5
	    from runs where job = '$1'"
}
is "$(check tick)" "1|1|1" "tick: one run per second, none skipped, none twice"
is "$(check toggle)" "1|1|1" "toggle: one run per second, none skipped, none twice"
# (Or found its lock busy: a daemon held up for over a second, under a
# sanitizer on a loaded machine, runs two fires of a job at once.)
is "$(sql "select group_concat(job || ' ' || status || ' ' || ifnull(error, ''), '; ')
    from runs where not (status = 'succeeded' or (status = 'skipped' and error like 'lock % is busy%'))")" "" "every run succeeded (or found its lock busy)"
is "$(grep -c 'reloaded ' "$D_LOG")" "$((n + 1))" "every reload was logged"
ok_clean_stderr
