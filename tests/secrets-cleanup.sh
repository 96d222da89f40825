#!/bin/sh
# Secret files are removed whatever the run's end: success, a timeout, a
# cancel while the job runs or while the secrets are being fetched, a
# supervisor killed outright; by the time the row says the run is over;
# and, at the daemon's start, the directories left behind by runs that are
# no longer queued or running (never those of live runs, never a name that
# is not a run id, never through a symlink).
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/secrets-lib.sh"
plan 31

ks_start || { echo "Bail out! cannot start the test keystore"; exit 1; }

write_conf <<'EOF'
keystores = (
  { name = "vault"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; },
  { name = "slow"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; timeout = 30; retries = 0; }
);
defaults = {
  user = "@USER@"; workdir = "@TMP@/out"; schedule = "@yearly"; timeout = 30;
  # Says it holds its secrets, then waits for its go file.
  command = "touch @TMP@/out/held.$LOCKCRON_RUN_ID; while [ ! -e @TMP@/out/go.$LOCKCRON_JOB ]; do sleep 0.05; done";
  secrets = { keystore = "vault"; path = "etl/warehouse";
    env = { DB_PASSWORD = "db_password"; };
    files = ( { name = "pgpass"; key = "pgpass"; } ); };
};
jobs = (
  { name = "slowjob"; timeout = 1; kill_grace = 1; command = "sleep 30"; },
  { name = "failjob"; command = "exit 3"; },
  { name = "nocmd"; command = [ "/nonexistent/command" ]; },
  { name = "badout"; output = { file = "@TMP@/no/such/dir/out.log"; }; },
  { name = "cancelme"; },
  { name = "victim"; },
  { name = "keeper"; },
  { name = "fgkeeper"; },
  { name = "fetchcancel"; secrets = { keystore = "slow"; path = "scenario/stall/c"; }; },
  # Once watched, fills its secrets directory: removing it takes a while.
  { name = "many"; command = "while [ ! -e @TMP@/out/go.many ]; do sleep 0.05; done; cd \"$LOCKCRON_SECRETS_DIR\" && mkdir sub && seq 1 4000 | xargs touch && ln -s @TMP@/outside link"; }
);
EOF
run "$LOCKCRON" check -c "$CONF"
is "$rc" 0 "the config is valid${err:+: $err}"
echo "keep me" >"$TMP/outside"
daemon_start || { echo "Bail out! lockcrond did not start"; exit 1; }
sdir() { echo "$RUNDIR/secrets/$1"; }
gone() { test ! -e "$(sdir "$1")" && test ! -L "$(sdir "$1")"; }

# When the row says "over", the directory must already be gone: watch the
# row closely from another process.
id_many=$(run_bg many)
python3 - "$DB" "$id_many" "$(sdir "$id_many")" "$OUT/go.many" \
    >"$TMP/many.result" <<'PY' &
import os, sqlite3, sys, time
db, rid, d, go = sys.argv[1:5]
c = sqlite3.connect(db, timeout=5)
seen_dir = False
end = time.time() + 20
while time.time() < end:
    if not seen_dir and os.path.isdir(d):
        seen_dir = True
        open(go, "w").close()       # the job goes on
    row = c.execute("SELECT status FROM runs WHERE id = ?", (rid,)).fetchone()
    if row and row[0] not in ("queued", "running"):
        print(row[0], "dir-seen" if seen_dir else "dir-never-seen",
              "present" if os.path.lexists(d) else "gone")
        break
    time.sleep(0.0005)
PY
poller=$!

id_slow=$(run_bg slowjob)
id_cancel=$(run_bg cancelme)
id_fc=$(run_bg fetchcancel)
id_victim=$(run_bg victim)
id_keeper=$(run_bg keeper)
"$LOCKCRON" run -c "$CONF" fgkeeper 8>&- >"$TMP/fg.out" 2>&1 &
fgpid=$!

wait "$poller"
is "$(cat "$TMP/many.result")" "succeeded dir-seen gone" \
    "the secrets dir is gone before the row says the run is over"
ok "$(test -e "$TMP/outside"; echo $?)" "a symlink the job left was not followed"

# The job fails, cannot be started, or its output file cannot be opened:
# the secrets had been fetched and written, and are gone.
for j in failjob nocmd badout; do
	eval "id_$j=\$(run_bg $j)"
done
is "$(run_wait "$id_failjob")" "failed|exited with status 3" "failure: failed"
is "$(run_wait "$id_nocmd" | cut -d'|' -f1):$(run_wait "$id_badout" | cut -d'|' -f1)" \
    "launch_error:launch_error" "no such command, no output file: launch_error"
fetched_and_gone() {
	for _id; do
		test -n "$(events "$_id" secrets_fetched)" && gone "$_id" || return 1
	done
}
fetched_and_gone "$id_failjob" "$id_nocmd" "$id_badout"
ok $? "failure, launch errors: the secrets were fetched, and are gone"

# A job killed by its timeout.
is "$(run_wait "$id_slow")" "timed_out|timed out after 1s" "timeout: timed_out"
ok "$(gone "$id_slow"; echo $?)" "timeout: secrets dir removed"

# A run cancelled while its job holds the secrets.
wait_until 200 test -e "$OUT/held.$id_cancel"
ok "$(test -f "$(sdir "$id_cancel")/pgpass"; echo $?)" "cancel: the job holds its secret file"
# Meanwhile another run of it finds the lock busy: it fetches nothing.
id_skip=$(run_bg cancelme)
is "$(run_wait "$id_skip" | cut -d'|' -f1):$(events "$id_skip" secrets_fetched)" "skipped:" \
    "a run skipped on a busy lock fetches no secrets"
run "$LOCKCRON" cancel -c "$CONF" "$id_cancel"
is "$rc" 0 "cancel: accepted${err:+: $err}"
is "$(run_wait "$id_cancel")" "cancelled|cancelled by Terminated" "cancel: cancelled"
ok "$(gone "$id_cancel"; echo $?)" "cancel: secrets dir removed"

# A run cancelled while the keystore is still answering (20 s): the fetch
# is abandoned, nothing is handed over, the job never starts.
wait_until 200 ks_seen stall c
run "$LOCKCRON" cancel -c "$CONF" "$id_fc"
is "$(run_wait "$id_fc")" "cancelled|cancelled by Terminated while fetching secrets" \
    "cancel during the fetch: cancelled at once"
is "$(events "$id_fc" secrets_fetched)$(events "$id_fc" started)" "" \
    "cancel during the fetch: no secrets fetched, the job never started"
ok "$(gone "$id_fc"; echo $?)" "cancel during the fetch: no secrets dir"

# A supervisor killed outright: the daemon marks the run lost and removes
# what it left.
wait_until 200 test -e "$OUT/held.$id_victim"
spid=$(q "SELECT supervisor_pid FROM runs WHERE id = '$id_victim'")
jpid=$(events "$id_victim" started | sed 's/^pid //')
kill -KILL "$spid"
is "$(run_wait "$id_victim" | cut -d'|' -f1)" "lost" "SIGKILL: the run is lost"
wait_until 200 gone "$id_victim"
ok "$(gone "$id_victim"; echo $?)" "SIGKILL: the daemon removed its secrets dir"
kill -TERM -- "-$jpid" 2>/dev/null

# Leftovers of runs that are over, found by a new daemon; live runs (one
# of the old daemon, one in the foreground) keep theirs.
wait_until 200 test -e "$OUT/held.$id_keeper"
wait_until 200 has_row "SELECT id FROM runs WHERE job = 'fgkeeper'"
id_fg=$(q "SELECT id FROM runs WHERE job = 'fgkeeper' ORDER BY rowid DESC LIMIT 1")
wait_until 200 test -e "$OUT/held.$id_fg"
daemon_stop
stale=$(sdir "$id_slow")
mkdir -p "$stale/sub"
echo x >"$stale/pgpass"
chmod 0400 "$stale/pgpass"
ln -s "$TMP/outside" "$stale/link"
ln -s "$TMP/outside" "$stale/sub/link"
unknown=$(sdir 0b8e6d7a-1c2f-4e3a-9b5d-7f6e5d4c3b2a)
mkdir "$unknown"
mkdir "$(sdir not-a-run-id)"
ln -s "$TMP" "$(sdir 11111111-2222-4333-8444-555555555555)"
daemon_start
wait_until 200 grep -q 'not-a-run-id' "$DLOG"
ok "$(gone "$id_slow"; echo $?)" "start: the dir of a finished run is removed"
ok "$(test ! -e "$unknown"; echo $?)" "start: the dir of a run the history does not know is removed"
ok "$(test -e "$TMP/outside"; echo $?)" "start: symlinks inside were not followed"
ok "$(test -d "$(sdir not-a-run-id)"; echo $?)" "start: a name that is not a run id is left alone"
is "$(grep -c "not-a-run-id" "$DLOG")" 1 "start: ... with a warning"
ok "$(test -L "$(sdir 11111111-2222-4333-8444-555555555555)" && test -d "$TMP/out"; echo $?)" \
    "start: a symlink in the secrets dir is left alone (and not followed)"
ok "$(test -f "$(sdir "$id_keeper")/pgpass"; echo $?)" "start: a running run of the old daemon keeps its secrets"
ok "$(test -f "$(sdir "$id_fg")/pgpass"; echo $?)" "start: a foreground run keeps its secrets"

touch "$OUT/go.keeper" "$OUT/go.fgkeeper"
is "$(run_wait "$id_keeper")" "succeeded|" "the adopted run succeeds"
wait "$fgpid"
is "$?:$(run_wait "$id_fg")" "0:succeeded|" "the foreground run succeeds"
ok "$(gone "$id_keeper" && gone "$id_fg"; echo $?)" "and their secrets dirs are removed"
daemon_stop
ok "$(no_leak "$DB" "$DB-wal" "$DB-shm" "$DLOG" "$TMP/fg.out"; echo $?)" \
    "no value in the database, the log or the terminal"
daemon_clean
ok $? "lockcrond exited 0, no sanitizer report in its log${DRC:+: exit$DRC}"
