#!/bin/sh
# Retries through a real daemon: attempts of one fire share its fire_id and
# instant and come after growing delays; a later fire cancels a pending
# retry; a pending retry survives a restart of the daemon.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 26

# flaky and survivor fire once, 3 s from now; cancelme every 2 s, failing
# each time, with a retry due later than its next fire.
s=$(( ($(date +%s) + 3) % 60 ))
daemon_config <<EOF
  { name = "flaky"; schedule = "$s * * * * *"; command = "exit 3";
    retries = { count = 2; delay = 1; backoff = 2.0; }; },
  { name = "survivor"; schedule = "$s * * * * *";
    command = "test \$LOCKCRON_ATTEMPT -ge 2";
    retries = { count = 2; delay = 4; }; },
  { name = "cancelme"; schedule = "*/2 * * * * *"; command = "exit 1";
    retries = { count = 3; delay = 5; }; },
  { name = "pauseme"; schedule = "$s * * * * *"; command = "exit 3";
    retries = { count = 1; delay = 4; }; }
EOF
daemon_start_or_bail

# survivor's first attempt fails: its retry is stored, then the daemon stops.
wait_for "[ \"\$(sqlv \"select retry_attempt from job_state where job = 'survivor'\")\" = 2 ]" 15
ok $? "survivor: a failed attempt stores a pending retry"
daemon_stop
ok $? "the daemon stops with a retry pending"
is "$(sql "select s.retry_fire_id = r.fire_id, s.retry_scheduled_at = r.scheduled_at,
    s.retry_due_at >= r.finished_at + 4000
    from job_state s join runs r on r.job = s.job where s.job = 'survivor'")" "1|1|1" \
    "job_state holds its fire, instant and due time"
daemon_start_or_bail
# pauseme's retry, due 4 s after its first attempt, comes while it is paused.
run "$LOCKCRON" pause -c "$D_CONF" pauseme
is "$rc:$(sql "select count(*) from runs where job = 'pauseme'")" "0:1" "pauseme: paused after its first attempt"
wait_for "[ \"\$(sqlv \"select count(*) from runs where job = 'survivor' and attempt = 2 and status = 'succeeded'\")\" = 1 ]" 15
ok $? "survivor: attempt 2 ran after the restart and succeeded"
wait_for "[ \"\$(sqlv \"select count(*) from runs where job = 'flaky' and status = 'failed'\")\" = 3 ]" 15
ok $? "flaky: three attempts"
wait_for "[ \"\$(sqlv \"select count(*) from runs where job = 'cancelme' and status = 'failed'\")\" -ge 4 ]" 15
ok $? "cancelme: four fires"
wait_for "[ \"\$(sqlv \"select count(*) from runs where job = 'pauseme' and attempt = 2\")\" = 1 ]" 15
ok $? "pauseme: its retry came due"
t_stop=$(now_ms)
daemon_stop
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") -eq 0 ]" 10

# flaky: attempts 1, 2, 3 of one fire, then no more.
is "$(sql "select group_concat(attempt || ':' || trigger || ':' || status, ' ') from
    (select * from runs where job = 'flaky' order by attempt)")" \
    "1:schedule:failed 2:retry:failed 3:retry:failed" "flaky: attempts and triggers"
is "$(sql "select count(distinct fire_id), count(distinct scheduled_at),
    min(scheduled_at) / 1000 % 60 from runs where job = 'flaky'")" "1|1|$s" \
    "flaky: one fire_id and one scheduled_at for all attempts"
is "$(sql "select fire_id = id from runs where job = 'flaky' and attempt = 1")" "1" \
    "the fire_id is the first attempt's id"
# The delays: from an attempt's end to the due time its retry_scheduled
# event names ("attempt N at TIME"), and to the next attempt's start
# (later still: a restart of the daemon came in between).
delays=$(sql "select cast(round((julianday(substr(e.detail, instr(e.detail, ' at ') + 4))
    - 2440587.5) * 86400000) as integer) - r.finished_at
    from runs r join events e on e.run = r.id and e.kind = 'retry_scheduled'
    where r.job = 'flaky' order by r.attempt")
d1=$(echo "$delays" | sed -n 1p) d2=$(echo "$delays" | sed -n 2p)
ok "$([ "$d1" -ge 1000 ] && [ "$d2" -ge 2000 ] && [ $((d2 - d1)) -ge 500 ]; echo $?)" \
    "flaky: delays grow, 1 s then 2 s (backoff 2: $d1 ms, $d2 ms)"
gaps=$(sql "select b.started_at - a.finished_at from runs a join runs b
    on b.job = a.job and b.attempt = a.attempt + 1 where a.job = 'flaky' order by a.attempt")
g1=$(echo "$gaps" | sed -n 1p) g2=$(echo "$gaps" | sed -n 2p)
ok "$([ "$g1" -ge 1000 ] && [ "$g2" -ge 2000 ]; echo $?)" \
    "flaky: each retry started no earlier than due ($g1 ms, $g2 ms)"
is "$(sql "select attempt, count(*) from runs r join events e on e.run = r.id
    where r.job = 'flaky' and e.kind = 'retry_scheduled' group by attempt")" "1|1
2|1" "flaky: retry_scheduled after attempts 1 and 2, not after the last"
is "$(sql "select count(*) from job_state where job = 'flaky' and retry_attempt is not null")" "0" \
    "flaky: no retry left pending"

# survivor: the retry that outlived the restart.
is "$(sql "select group_concat(attempt || ':' || trigger || ':' || status, ' ') from
    (select * from runs where job = 'survivor' order by attempt)")" \
    "1:schedule:failed 2:retry:succeeded" "survivor: attempts"
is "$(sql "select count(distinct fire_id), count(distinct scheduled_at) from runs where job = 'survivor'")" "1|1" \
    "survivor: one fire for both attempts"
is "$(sql "select count(*) from job_state where job = 'survivor' and retry_attempt is null")" "1" \
    "survivor: the pending retry is cleared"
is "$(grep -c 'lockcrond .* started' "$D_LOG")" "2" "the daemon did restart in between"

# cancelme: each fire cancels the previous one's retry; no retry ever runs.
is "$(sql "select count(*) from runs where job = 'cancelme' and attempt > 1")" "0" \
    "cancelme: no retry ran"
# Each fire queued after the previous one's retry was scheduled cancels it.
is "$(sql "select count(*) from runs r join runs p on p.job = r.job and p.scheduled_at =
    (select max(scheduled_at) from runs where job = r.job and scheduled_at < r.scheduled_at)
    where r.job = 'cancelme'
    and (select at from events where run = p.id and kind = 'retry_scheduled') <
        (select at from events where run = r.id and kind = 'queued')
    and not exists (select 1 from events where run = r.id and kind = 'retry_cancelled')")" "0" \
    "cancelme: every fire after a failed one cancelled its pending retry"
n=$(sql "select count(*) from events e join runs r on e.run = r.id
    where r.job = 'cancelme' and e.kind = 'retry_cancelled'")
ok "$([ "$n" -ge 2 ]; echo $?)" "cancelme: retry_cancelled events ($n)"
# (A run that ended after the daemon stopped was not reaped by it: it has
# no retry_scheduled. So: the failed runs that ended a second before.)
is "$(sql "select count(*) from runs r where job = 'cancelme' and status = 'failed'
    and finished_at < $t_stop - 1000 and not exists
    (select 1 from events where run = r.id and kind = 'retry_scheduled')")" "0" \
    "cancelme: every failed attempt scheduled one"
# pauseme: the retry was skipped (paused), and so it is done with: a
# restart must not bring it back.
is "$(sql "select group_concat(attempt || ':' || trigger || ':' || status || ':' || ifnull(error, ''), ' ') from
    (select * from runs where job = 'pauseme' order by attempt)")" \
    "1:schedule:failed:exited with status 3 2:retry:skipped:paused" "pauseme: the retry was skipped, paused"
is "$(sql "select count(*) from job_state where job = 'pauseme' and retry_attempt is null")" "1" \
    "pauseme: and no retry is left pending for a restart to bring back"
ok_clean_stderr
