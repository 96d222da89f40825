#!/bin/sh
# The files a daemon makes, and when: a job's lock file when the daemon
# loads the job (start-up, reload), not at its first run; a run's live
# output file only once the run has lasted a second or written 64 KiB,
# with every byte from the start. Neither is ever made where something
# already is.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 23

echo "an operator's notes" >"$TMP/kept.lock"
ln -s "$TMP/target" "$TMP/planted.lock"
{
	for i in 01 02 03 04 05 06 07 08 09 10 11; do
		echo "  { name = \"nodir$i\"; schedule = \"0 0 0 1 1 *\"; command = \"true\"; lock = \"$TMP/missing/$i.lock\"; },"
	done
	cat <<EOF
  { name = "a"; schedule = "0 0 0 1 1 *"; command = "true"; },
  { name = "shared1"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/shared.lock"; },
  { name = "shared2"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/shared.lock"; },
  { name = "off"; schedule = "0 0 0 1 1 *"; command = "true"; enabled = false; },
  { name = "nodir"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/missing/x.lock"; },
  { name = "kept"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/kept.lock"; },
  { name = "planted"; schedule = "0 0 0 1 1 *"; command = "true"; lock = "$TMP/planted.lock"; },
  { name = "quick"; schedule = "0 0 0 1 1 *"; command = "echo hi; echo there >&2"; },
  { name = "lasting"; schedule = "0 0 0 1 1 *";
    command = "echo first; sleep 2.5; echo second"; },
  { name = "big"; schedule = "0 0 0 1 1 *";
    command = "head -c 100000 /dev/zero | tr -c x x; sleep 2.5"; }
EOF
} | daemon_config
daemon_start_or_bail

# --- lock files, made when the jobs load ------------------------------------
wait_for "[ -f $D_LOCKS/a.lock ] && [ -f $TMP/shared.lock ]" 10
ok $? "start-up: a job that never ran has its lock file"
is "$(stat -c '%F %a %s' "$D_LOCKS/a.lock")" "regular empty file 644 0" \
    "a regular, empty file, mode 0644, as a run makes it"
ok "$(test ! -e "$D_LOCKS/off.lock"; echo $?)" "a disabled job has none"
wait_for "grep -q '2 more lock files could not be made; their runs will say why' $D_LOG" 10
ok $? "lock files that cannot be made are said in the log at start-up"
is "$(grep -c "job=nodir[0-9]*: lock file $TMP/missing/.*: No such file or directory" "$D_LOG")" 10 \
    "ten of twelve by name, then a count: one line a job would flood the log"
ok "$(test ! -e "$TMP/missing"; echo $?)" "a directory outside lock_dir is not created"
is "$(cat "$TMP/kept.lock")" "an operator's notes" "a file already there is left as it is"
ok "$(test ! -e "$TMP/target" && test -L "$TMP/planted.lock"; echo $?)" \
    "a symbolic link is not followed nor replaced"
# The runs still judge their lock files: the link is refused.
run "$LOCKCRON" run -c "$D_CONF" planted
is "$rc:$(sql "select status || ': ' || error from runs where job = 'planted'")" \
    "126:launch_error: lock file $TMP/planted.lock: is a symbolic link" \
    "the run refuses the planted link, as before"
# The lock file is the one flock(1) users share: held by one, a run skips.
flock -n "$D_LOCKS/a.lock" true
ok $? "flock(1) takes the lock file the daemon made"

# A reload: the new job's lock file comes with it.
sed 's|^  { name = "a";|  { name = "b"; schedule = "0 0 0 1 1 *"; command = "true"; },\n&|' \
    "$D_CONF" >"$D_CONF.new" && mv "$D_CONF.new" "$D_CONF"
run "$LOCKCRON" reload -c "$D_CONF"
is "$rc" "0" "reload with a new job"
wait_for "[ -f $D_LOCKS/b.lock ]" 10
ok $? "reload: the new job has its lock file before it ever runs"

# --- live output files, for runs that last ----------------------------------
run "$LOCKCRON" run -c "$D_CONF" quick
is "$rc:$(sql "select status || '|' || output from runs where job = 'quick'")" \
    "0:succeeded|hi
there" "a quick run's output is in its row"
ok "$(test ! -e "$D_STATE/live"; echo $?)" \
    "a run over within a second made no live file (nor the directory)"

run "$LOCKCRON" run -c "$D_CONF" --no-wait lasting
lasting=$out
live=$D_STATE/live/$lasting.log
wait_for "[ \"\$(cat $live 2>/dev/null)\" = first ]" 10
ok $? "a run that lasts: its live file has what it wrote before the second"
is "$(sql "select status from runs where id = '$lasting'")" "running" \
    "while it runs"
run "$LOCKCRON" logs -c "$D_CONF" "$lasting"
is "$rc:$out" "0:first" "lockcron logs reads it"

run "$LOCKCRON" run -c "$D_CONF" --no-wait big
big=$out
wait_for "[ \"\$(stat -c %s $D_STATE/live/$big.log 2>/dev/null)\" = 100000 ]" 10
ok $? "64 KiB and more: every byte from the start is in the live file"
is "$(tr -d x <"$D_STATE/live/$big.log" | wc -c)" "0" "and nothing else"
# Made by the size, not the second: born before the run's first second
# was over (where the file system keeps birth times).
born=$(stat -c %w "$D_STATE/live/$big.log")
started=$(sql "select started_at from runs where id = '$big'")
if [ "$born" != "-" ]; then
	born=$(date -d "$born" +%s%3N)
	ok "$([ "$born" -lt $((started + 1000)) ]; echo $?)" \
	    "the live file was made by the size (born $born, started $started ms)"
else
	ok 0 "# SKIP no birth time on this file system"
fi

wait_for "[ \"\$(sqlv \"select count(*) from runs where id in ('$lasting', '$big') and status = 'succeeded'\")\" = 2 ]" 15
is "$(sql "select output from runs where id = '$lasting'")" "first
second" "the run's row has all of its output"
ok "$(test ! -e "$live" && test ! -e "$D_STATE/live/$big.log"; echo $?)" \
    "the live files are gone with the runs"
daemon_stop
ok_clean_stderr
