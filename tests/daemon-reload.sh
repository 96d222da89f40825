#!/bin/sh
# Reload through `lockcron reload` and SIGHUP: a good config applies at once
# (new jobs fire, removed ones stop, changed schedules apply, unchanged jobs
# go on without a gap); a bad one is refused with every error as FILE:LINE
# and the old config keeps running.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 25

runs() {	# JOB [SQL CONDITION]: how many runs
	sqlv "select count(*) from runs where job = '$1' and ${2:-1}"
}

daemon_config <<EOF
  { name = "keep"; schedule = "* * * * * *"; command = "true"; },
  { name = "gone"; schedule = "* * * * * *"; command = "true"; },
  { name = "change"; schedule = "0 0 0 1 1 *"; command = "true"; }
EOF
daemon_start_or_bail
wait_for "[ \$(runs keep) -ge 2 ] && [ \$(runs gone) -ge 2 ]" 15

# A good reload: gone removed, change now every second, new added.
daemon_config <<EOF
  { name = "keep"; schedule = "* * * * * *"; command = "true"; },
  { name = "change"; schedule = "* * * * * *"; command = "true"; },
  { name = "new"; schedule = "* * * * * *"; command = "true"; }
EOF
t_reload=$(now_ms)
run "$LOCKCRON" reload -c "$D_CONF"
t_done=$(now_ms)
is "$rc:$out:$err" "0:reloaded: 3 jobs:" "lockcron reload: the new config is applied"
wait_for "[ \$(runs new) -ge 2 ] && [ \$(runs change) -ge 2 ]" 15
ok $? "the new job and the changed one fire every second"
is "$(runs gone "scheduled_at > $t_done")" "0" "the removed job fires no more"
is "$(runs new "scheduled_at < $t_reload / 1000 * 1000")" "0" "the new job starts from the reload"
is "$(runs change "scheduled_at < $t_reload / 1000 * 1000")" "0" \
    "the changed job follows its new schedule from the reload on"

# A bad config: refused, with every error as FILE:LINE; the old one stays.
cp "$D_CONF" "$TMP/good.conf"
run "$LOCKCROND" --check -c "$D_CONF"
is "$rc:$out:$err" "0:3 jobs OK in 1 file:" "lockcrond --check of a good config: exit 0"
daemon_config <<EOF
  { name = "keep"; schedule = "* * * * * *"; command = "true"; },
  { name = "change"; schedule = "* * * * * *"; command = "true"; },
  { name = "new"; schedule = "* * * * * *"; command = "true"; },
  { name = "added"; schedule = "* * * * * *"; command = "true"; },
  { name = "bad1"; schedule = "61 * * * * *"; command = "true"; },
  { name = "bad2"; schedule = "* * * * * *"; command = "true"; timeout = "soon"; }
EOF
l1=$(grep -n '"bad1"' "$D_CONF" | cut -d: -f1)
l2=$(grep -n '"bad2"' "$D_CONF" | cut -d: -f1)
run "$LOCKCROND" --check -c "$D_CONF"
is "$rc:$(echo "$err" | grep -c "^$D_CONF:$l1: ")$(echo "$err" | grep -c "^$D_CONF:$l2: ")" "2:11" \
    "lockcrond --check: exit 2, the errors as FILE:LINE"
t_bad=$(now_ms)
run "$LOCKCRON" reload -c "$D_CONF"
is "$rc" "2" "lockcron reload of a bad config: exit 2"
is "$(echo "$err" | grep -c "^$D_CONF:$l1: ")$(echo "$err" | grep -c "^$D_CONF:$l2: ")" "11" \
    "it prints each error as FILE:LINE: message"
# The daemon's own answer, asked by a CLI whose config is fine.
sed "s|$D_STATE|$TMP/cli-state|" "$TMP/good.conf" >"$TMP/cli.conf"
run "$LOCKCRON" reload -c "$TMP/cli.conf"
is "$rc" "2" "the daemon refuses the bad config: exit 2"
is "$(echo "$err" | grep -c "^$D_CONF:$l1: ")$(echo "$err" | grep -c "^$D_CONF:$l2: ")" "11" \
    "and the CLI prints the daemon's FILE:LINE errors"
ok "$(grep -q 'error reload refused: the configuration has errors; keeping the old one' "$D_LOG"; echo $?)" \
    "the daemon logs the refusal"
ok "$(grep -q "error $D_CONF:$l1: " "$D_LOG"; echo $?)" "and the errors"
n_keep=$(runs keep "scheduled_at > $t_bad")
wait_for "[ \$(runs keep \"scheduled_at > $t_bad\") -ge $((n_keep + 2)) ]" 10
ok $? "the old config keeps running"
is "$(runs added)" "0" "the job only the bad config has never runs"

# SIGHUP: a good config.
daemon_config <<EOF
  { name = "keep"; schedule = "* * * * * *"; command = "true"; },
  { name = "hup"; schedule = "* * * * * *"; command = "true"; }
EOF
t_hup=$(now_ms)
kill -HUP "$D_PID"
wait_for "[ \$(runs hup) -ge 2 ]" 15
ok $? "SIGHUP applies a new config"
wait_for "grep -q 'notice reloaded $D_CONF: 2 jobs' '$D_LOG'" 5
t_hup_done=$(now_ms)
is "$(runs new "scheduled_at > $t_hup_done")$(runs change "scheduled_at > $t_hup_done")" "00" \
    "jobs it removed stop"
# SIGHUP: a bad config.
daemon_config <<EOF
  { name = "keep"; schedule = "* * * * * *"; command = "true"; },
  { name = "hup"; schedule = "* * * * * *"; command = "true"; }
  { name = "added"; schedule = "* * * * * *"; command = "true"; },
EOF
nref=$(grep -c 'reload refused' "$D_LOG")
kill -HUP "$D_PID"
wait_for "[ \$(grep -c 'reload refused' '$D_LOG') -gt $nref ]" 10
ok $? "SIGHUP with a bad config: refused"
ok "$(grep -q "error $D_CONF:[0-9]*: syntax error" "$D_LOG"; echo $?)" "the log says where"
t_bad2=$(now_ms)
wait_for "[ \$(runs hup \"scheduled_at > $t_bad2\") -ge 2 ]" 10
ok $? "the old config keeps running"
is "$(runs added)" "0" "the job only the bad config has never runs"

daemon_stop
is "$D_RC" "0" "the daemon stops cleanly"
wait_for "[ \$(sqlv \"select count(*) from runs where status in ('queued', 'running')\") -eq 0 ]" 10
# keep was never touched: one run per second from start to end.
is "$(sql "select count(*) = count(distinct scheduled_at),
    count(*) = (max(scheduled_at) - min(scheduled_at)) / 1000 + 1
    from runs where job = 'keep'")" "1|1" "the unchanged job: no fire skipped or repeated across 4 reloads"
is "$(sql "select count(*) from runs where not (status = 'succeeded' or (status = 'skipped' and error like 'lock % is busy%'))")" "0" \
    "every run succeeded (or, run late at once with the next, found its lock busy)"
ok_clean_stderr
