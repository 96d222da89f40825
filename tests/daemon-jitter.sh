#!/bin/sh
# jitter through the real daemon: each run of a jittered job starts its
# job's own stable delay after the nominal fire (recorded as scheduled_at),
# never more than the jitter, the same delay after a restart; a job
# without jitter starts on the fire.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 7

{ for n in alpha bravo charlie delta echo foxtrot; do
	echo "{ name = \"$n\"; schedule = \"*/4 * * * * *\"; jitter = \"3s\"; command = \"true\"; },"
  done
  echo '{ name = "plain"; schedule = "*/4 * * * * *"; command = "true"; }'
} | daemon_config
daemon_start_or_bail
t0=$(now_ms)
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'foxtrot' and status = 'succeeded'\") -ge 3 ]" 30
daemon_stop
daemon_start_or_bail
t_restart=$(now_ms)
wait_for "[ \$(sqlv \"select count(*) from runs where job = 'foxtrot' and status = 'succeeded' and scheduled_at > $t_restart\") -ge 2 ]" 30
daemon_stop

# (Each job's delay, in whole seconds: started_at - scheduled_at, less the
# launch itself.)
delays() {	# JOB [CONDITION]: the distinct delays of its runs
	sql "select distinct (started_at - scheduled_at) / 1000 from runs
	    where job = '$1' and status = 'succeeded' and ${2:-1} order by 1" |
	    tr '\n' ' '
}
is "$(sql "select count(*) from runs where scheduled_at % 4000 != 0")" "0" \
    "every run is recorded at its nominal fire instant"
bad=
for n in alpha bravo charlie delta echo foxtrot; do
	d=$(delays "$n")
	case $d in
	[0-3]" ") ;;
	*) bad="$bad $n:$d" ;;
	esac
done
is "$bad" "" "each jittered job starts the same delay after every fire, 0 to 3 s"
spread=$(for n in alpha bravo charlie delta echo foxtrot; do delays "$n"; done |
    tr ' ' '\n' | sort -u | grep -c .)
ok "$([ "$spread" -ge 2 ]; echo $?)" "the jobs' delays differ ($spread distinct)"
is "$(delays plain)" "0 " "the job without jitter starts on its fire"
same=0
for n in alpha bravo charlie delta echo foxtrot; do
	[ "$(delays "$n" "scheduled_at < $t_restart")" = \
	    "$(delays "$n" "scheduled_at > $t_restart")" ] && same=$((same + 1))
done
is "$same" "6" "each job keeps its delay across a restart"
is "$(sql "select count(*) from runs where status != 'succeeded' and scheduled_at > $t0")" "0" \
    "no run missed or skipped"
ok_clean_stderr
