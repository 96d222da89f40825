#!/bin/sh
# Secrets end to end, the good paths: the real lockcrond and the real test
# keystore over HTTP and TLS (a CA made now), Vault, http-json and file
# keystores; environment values, secret files (modes, owner,
# LOCKCRON_SECRETS_DIR) gone after the run; the secrets_fetched event; and
# no value in the database's bytes, the daemon log, the captured output
# (row, live file, output.file, a foreground run's terminal) or any argv.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/secrets-lib.sh"
plan 43

ks_start || { echo "Bail out! cannot start the test keystore"; exit 1; }

write_conf <<'EOF'
keystores = (
  { name = "vault"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; },
  { name = "vault-tls"; type = "vault-kv2"; url = "https://127.0.0.1:@TLS@";
    token_file = "@TMP@/token"; ca_file = "@TMP@/pki/ca.pem"; },
  { name = "keys"; type = "http-json";
    url = "http://localhost:@PLAIN@/keys/{keys}"; token_file = "@TMP@/token"; },
  { name = "keys-tls"; type = "http-json";
    url = "https://127.0.0.1:@TLS@/wrapped/keys/{keys}";
    token_file = "@TMP@/token"; ca_file = "@TMP@/pki/ca.pem"; },
  { name = "local"; type = "file"; file = "@TMP@/secrets.json"; }
);
defaults = { user = "@USER@"; workdir = "@TMP@/out"; timeout = 30; };
jobs = (
  # Every second: the environment and the files, as the job sees them.
  { name = "tick"; schedule = "* * * * * *";
    command = "env > @TMP@/out/$LOCKCRON_RUN_ID.env; d=$LOCKCRON_SECRETS_DIR; stat -c '%a %u %g' \"$d\" \"$d\"/pgpass \"$d\"/api > @TMP@/out/$LOCKCRON_RUN_ID.stat; cat \"$d\"/pgpass > @TMP@/out/$LOCKCRON_RUN_ID.pgpass; cat \"$d\"/api > @TMP@/out/$LOCKCRON_RUN_ID.api";
    secrets = { keystore = "vault"; path = "etl/warehouse";
      env = { DB_HOST = "db_host"; DB_PASSWORD = "db_password"; API_KEY = "api_key"; };
      files = ( { name = "pgpass"; key = "pgpass"; },
                { name = "api"; key = "api_key"; mode = "0440"; } ); }; },
  { name = "tls"; schedule = "@yearly";
    command = "env > @TMP@/out/$LOCKCRON_RUN_ID.env";
    secrets = { keystore = "vault-tls"; path = "etl/warehouse";
      env = { DB_PASSWORD = "db_password"; API_KEY = "api_key"; }; }; },
  { name = "json"; schedule = "@yearly";
    command = "env > @TMP@/out/$LOCKCRON_RUN_ID.env";
    secrets = { keystore = "keys";
      env = { DB_HOST = "db_host"; DB_PASSWORD = "db_password"; }; }; },
  { name = "json-tls"; schedule = "@yearly";
    command = "env > @TMP@/out/$LOCKCRON_RUN_ID.env";
    secrets = { keystore = "keys-tls"; env = { DB_PASSWORD = "db_password"; }; }; },
  { name = "file"; schedule = "@yearly";
    command = "env > @TMP@/out/$LOCKCRON_RUN_ID.env; cat \"$LOCKCRON_SECRETS_DIR\"/pg > @TMP@/out/$LOCKCRON_RUN_ID.pgpass";
    secrets = { keystore = "local"; env = { API_KEY = "api_key"; };
      files = ( { name = "pg"; key = "pgpass"; } ); }; },
  { name = "fresh"; schedule = "@yearly";
    command = "cat \"$LOCKCRON_SECRETS_DIR\"/pg > @TMP@/out/$LOCKCRON_RUN_ID.pgpass";
    secrets = { keystore = "vault"; path = "etl/warehouse";
      files = ( { name = "pg"; key = "pgpass"; } ); }; },
  # Prints its secrets, then holds them until told to go on.
  { name = "printer"; schedule = "@yearly";
    command = "echo \"err $DB_PASSWORD\" >&2; sleep 0.2; echo \"pw=$DB_PASSWORD host=$DB_HOST\"; cat \"$LOCKCRON_SECRETS_DIR\"/pgpass; echo; printf 'split %s' \"${DB_PASSWORD%????????}\"; sleep 0.3; printf '%s end\\n' \"${DB_PASSWORD#${DB_PASSWORD%????????}}\"; touch @TMP@/out/printed.$LOCKCRON_RUN_ID; while [ ! -e @TMP@/out/go ]; do sleep 0.05; done; echo done";
    output = { file = "@TMP@/out/printer.log"; };
    secrets = { keystore = "vault-tls"; path = "etl/warehouse";
      env = { DB_HOST = "db_host"; DB_PASSWORD = "db_password"; };
      files = ( { name = "pgpass"; key = "pgpass"; } ); }; }
);
EOF
run "$LOCKCRON" check -c "$CONF"
is "$rc" 0 "the config is valid${err:+: $err}"
daemon_start || { echo "Bail out! lockcrond did not start"; exit 1; }

# Runs through the daemon: on demand, and the per-second schedule.
id_tls=$(run_bg tls)
id_json=$(run_bg json)
id_jtls=$(run_bg json-tls)
id_file=$(run_bg file)
id_print=$(run_bg printer)
wait_until 200 has_row "SELECT id FROM runs WHERE job = 'tick' AND status = 'succeeded'"
id_tick=$(q "SELECT id FROM runs WHERE job = 'tick' AND status = 'succeeded' ORDER BY finished_at LIMIT 1")
is "$(q "SELECT trigger FROM runs WHERE id = '$id_tick'")" "schedule" \
    "vault over http: a scheduled run succeeded"

# The environment: every value exactly, the secrets dir named.
envof() { sed -n "s/^$2=//p" "$OUT/$1.env"; }
is "$(envof "$id_tick" DB_PASSWORD)" "$V_PW" "vault/http: DB_PASSWORD in the job's env"
is "$(envof "$id_tick" DB_HOST)" "$V_HOST" "vault/http: DB_HOST in the job's env"
is "$(envof "$id_tick" API_KEY)" "$V_API" "vault/http: a value with spaces, quotes and \$ unchanged"
is "$(envof "$id_tick" LOCKCRON_SECRETS_DIR)" "$RUNDIR/secrets/$id_tick" \
    "LOCKCRON_SECRETS_DIR is runtime_dir/secrets/RUN_ID"
# The files: contents, modes, owner; the directory 0700, its parent 0711.
is "$(cat "$OUT/$id_tick.pgpass")" "$V_PGPASS" "secret file holds the value"
is "$(cat "$OUT/$id_tick.api")" "$V_API" "second secret file holds its value"
is "$(cat "$OUT/$id_tick.stat")" "700 $JOB_UID $JOB_GID
400 $JOB_UID $JOB_GID
440 $JOB_UID $JOB_GID" "dir 0700, files 0400 and the configured 0440, owned by the job's user"
is "$(stat -c '%a %u' "$RUNDIR/secrets")" "711 $(id -u)" \
    "runtime_dir/secrets is 0711 and the daemon's"
ok "$(test ! -e "$RUNDIR/secrets/$id_tick"; echo $?)" "the run's secrets dir is gone after the run"
is "$(events "$id_tick" secrets_fetched | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
print(d["keystore"], sorted(d["keys"]), d["attempts"],
      isinstance(d["duration_ms"], int) and 0 <= d["duration_ms"] < 10000,
      sorted(d))')" \
    "vault ['api_key', 'db_host', 'db_password', 'pgpass'] 1 True ['attempts', 'duration_ms', 'keys', 'keystore']" \
    "secrets_fetched: keystore, key names, duration, attempts, nothing else"
is "$(q "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE run = '$id_tick' ORDER BY rowid)")" \
    "scheduled queued lock_acquired secrets_fetched started exited" \
    "fetched after the lock, before the start"

# TLS with the generated CA, http-json flat and wrapped, the file keystore.
is "$(run_wait "$id_tls")" "succeeded|" "vault over TLS with ca_file: succeeded"
is "$(envof "$id_tls" DB_PASSWORD):$(envof "$id_tls" API_KEY)" "$V_PW:$V_API" \
    "vault/TLS: values in the env"
is "$(envof "$id_tls" LOCKCRON_SECRETS_DIR)" "" "no files: no LOCKCRON_SECRETS_DIR"
is "$(run_wait "$id_json")" "succeeded|" "http-json over http: succeeded"
is "$(envof "$id_json" DB_HOST):$(envof "$id_json" DB_PASSWORD)" "$V_HOST:$V_PW" \
    "http-json: values in the env"
is "$(run_wait "$id_jtls")" "succeeded|" "http-json wrapped, over TLS: succeeded"
is "$(envof "$id_jtls" DB_PASSWORD)" "$V_PW" "http-json wrapped: value in the env"
is "$(run_wait "$id_file")" "succeeded|" "file keystore: succeeded"
is "$(envof "$id_file" API_KEY):$(cat "$OUT/$id_file.pgpass")" "$V_API:$V_PGPASS" \
    "file keystore: env and file values"
is "$(events "$id_file" secrets_fetched)" \
    '{"keystore":"local","keys":["api_key","pgpass"],"duration_ms":'"$(events "$id_file" secrets_fetched | sed 's/.*"duration_ms":\([0-9]*\).*/\1/')"',"attempts":1}' \
    "file keystore: secrets_fetched event"

# While the printer holds its secrets: the live file is masked, the
# secrets dir exists, and no process has a value in its argv.
wait_until 200 test -e "$OUT/printed.$id_print"
live=$ST/live/$id_print.log
wait_until 200 grep -q 'split \*\*\*\* end' "$live"
is "$(grep -c -F '****' "$live")" "4" "live output file: the values are masked, one written in two parts too"
ok "$(no_leak "$live"; echo $?)" "live output file: no value"
ok "$(test -d "$RUNDIR/secrets/$id_print"; echo $?)" "secrets dir exists while the job runs"
argv_clean
ok $? "no value in any process's argv while a job holds them"
# The job's environment holds them (docs/security.md says so); no other
# process's may: not the supervisor's, not the daemon's. (A job is its
# process group; tick runs every second with the same values, so any run's
# job counts, as read after the scan.)
python3 - "$TMP/values" "$(events "$id_print" started | sed 's/^pid //')" "$DB" <<'PY'
import os, sqlite3, sys, time
vals = [v.encode() for v in open(sys.argv[1]).read().split("\n") if v]
printer = int(sys.argv[2])
holders, found = 0, []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        env = open("/proc/%s/environ" % pid, "rb").read()
        pgid = int(open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        continue
    if any(v in env for v in vals):
        found.append((pid, pgid))
db = sqlite3.connect(sys.argv[3], timeout=5)
for _ in range(10):	# a run's started event follows its exec closely
    jobs = {int(d[4:]) for (d,) in db.execute(
        "SELECT detail FROM events WHERE kind = 'started'")}
    bad = [p for p, g in found if g not in jobs]
    if not bad:
        break
    time.sleep(0.5)
holders = sum(1 for _, g in found if g == printer)
if bad or holders == 0:
    print("# values in the environment of pids %s; %d in the job" % (bad, holders))
    sys.exit(1)
PY
ok $? "only the job's processes have the values in their environment"
# The scan does find a value that is there (a canary of its own).
printf 'canary-%s\n' "$$" >"$TMP/canary"
sh -c 'sleep 5' "canary-$$" &
canary=$!
wait_until 20 grep -q "canary-$$" "/proc/$canary/cmdline"
python3 - "$TMP/canary" <<'PY' >/dev/null
import os, sys
v = open(sys.argv[1]).read().strip().encode()
def cmdline(pid):	# a process may end between listdir and open
    try:
        return open("/proc/%s/cmdline" % pid, "rb").read()
    except OSError:
        return b""
sys.exit(0 if any(v in cmdline(p) for p in os.listdir("/proc")
    if p.isdigit()) else 1)
PY
ok $? "the argv scan sees a canary in an argv"
kill "$canary" 2>/dev/null; wait "$canary" 2>/dev/null
touch "$OUT/go"
is "$(run_wait "$id_print")" "succeeded|" "printer: succeeded"
# stdout and stderr are two pipes: their order in the row is only likely.
is "$(q "SELECT output FROM runs WHERE id = '$id_print'" | grep -v '^$' | sort)" "$(sort <<'EOF'
err ****
pw=**** host=****
****
split **** end
done
EOF
)" "the row's output: every value masked"
ok "$(test ! -e "$live" && test ! -e "$RUNDIR/secrets/$id_print"; echo $?)" \
    "live file and secrets dir gone after the run"
is "$(sort "$OUT/printer.log")" "$(q "SELECT output FROM runs WHERE id = '$id_print'" | grep -v '^$' | sort)" \
    "output.file: masked, as the row"

# lockcron run in the foreground: the same supervisor, masked terminal.
run "$LOCKCRON" run -c "$CONF" printer 8>&-
is "$rc" 0 "foreground run: exit 0"
is "$out" "pw=**** host=****
****
split **** end
done" "foreground run: stdout masked"
is "$err" "err ****" "foreground run: stderr masked"
fg=$(q "SELECT id FROM runs WHERE job = 'printer' AND trigger = 'manual' ORDER BY rowid DESC LIMIT 1")
is "$(q "SELECT status FROM runs WHERE id = '$fg'"):$(events "$fg" secrets_fetched | grep -c vault-tls)" \
    "succeeded:1" "foreground run: recorded, with its secrets_fetched event"
ok "$(test ! -e "$RUNDIR/secrets/$fg"; echo $?)" "foreground run: secrets dir gone"

# lockcron run may come before any daemon made runtime_dir.
sed "s|^runtime_dir = .*|runtime_dir = \"$TMP/fresh/run\";|" "$CONF" >"$TMP/fresh.conf"
run "$LOCKCRON" run -c "$TMP/fresh.conf" fresh 8>&-
fid=$(q "SELECT id FROM runs WHERE job = 'fresh' ORDER BY rowid DESC LIMIT 1")
ok "$(test "$rc" = 0 && cmp -s "$OUT/$fid.pgpass" "$TMP/v.pgpass"; echo $?)" \
    "foreground run before any daemon: the secret file is handed over${err:+ ($err)}"

# Leaks: the database's bytes (main file, WAL, shared memory), the log,
# every stored output.
daemon_stop
# Runs outlive the daemon (by design): let the last ones finish first.
i=0
while [ "$(q "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')")" != 0 ] &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
q "SELECT coalesce(output, '') || coalesce(error, '') FROM runs" >"$TMP/outputs"
ok "$(no_leak "$DB" "$DB-wal" "$DB-shm"; echo $?)" "no value in the database's bytes"
ok "$(no_leak "$DLOG" "$TMP/outputs" "$OUT/printer.log"; echo $?)" \
    "no value in the daemon log or any stored output"
n=$(q "SELECT count(*) FROM runs WHERE status = 'succeeded'")
# (Under load a per-second run may still hold its lock at the next fire.)
bad=$(q "SELECT group_concat(job || '=' || status) FROM runs WHERE status NOT IN ('succeeded', 'missed', 'skipped')")
ok "$(test "$n" -ge 7 && test -z "$bad"; echo $?)" "$n runs succeeded, none failed${bad:+: $bad}"
daemon_clean
ok $? "lockcrond exited 0, no sanitizer report in its log${DRC:+: exit$DRC}"
