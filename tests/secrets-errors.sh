#!/bin/sh
# Secrets end to end, the failures: each one ends the run as secret_error
# before the job starts, with an error naming the keystore and the key or
# HTTP status; 5xx and connection errors are retried, 4xx and TLS trust
# failures are not; the daemon carries on and the next scheduled run tries
# again; no value leaks into the history, the log or an error.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/secrets-lib.sh"
plan 49

ks_start || { echo "Bail out! cannot start the test keystore"; exit 1; }
cp "$TMP/token" "$TMP/token.bad"
chmod 0644 "$TMP/token.bad"
cp "$TMP/token" "$TMP/token.rot"
chmod 0640 "$TMP/token.rot"
cp "$TMP/secrets.json" "$TMP/secrets-open.json"
chmod 0644 "$TMP/secrets-open.json"

write_conf <<'EOF'
keystores = (
  { name = "v0"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; retries = 0; timeout = 1; },
  { name = "v1"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; retries = 1; },
  { name = "v2"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token"; retries = 2; },
  { name = "refused"; type = "vault-kv2"; url = "http://127.0.0.1:1";
    token_file = "@TMP@/token"; retries = 1; },
  { name = "badtok"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token.bad"; },
  { name = "rot"; type = "vault-kv2"; url = "http://127.0.0.1:@PLAIN@";
    token_file = "@TMP@/token.rot"; },
  { name = "noca"; type = "vault-kv2"; url = "https://127.0.0.1:@TLS@";
    token_file = "@TMP@/token"; retries = 2; },
  { name = "hj"; type = "http-json"; retries = 0;
    url = "http://127.0.0.1:@PLAIN@/scenario/500/hj/keys/{keys}"; },
  { name = "hjs"; type = "http-json"; retries = 0;
    url = "http://127.0.0.1:@PLAIN@/scenario/500/s/keys/{keys}"; },
  { name = "fopen"; type = "file"; file = "@TMP@/secrets-open.json"; },
  { name = "flocal"; type = "file"; file = "@TMP@/secrets.json"; },
  { name = "hj403"; type = "http-json"; retries = 2;
    url = "http://127.0.0.1:@PLAIN@/scenario/wrapped-error/hj/keys/{keys}"; }
);
defaults = {
  user = "@USER@"; workdir = "@TMP@/out"; schedule = "@yearly";
  command = "touch @TMP@/out/ran.$LOCKCRON_JOB";
  secrets = { env = { DB_HOST = "db_host"; DB_PASSWORD = "db_password"; };
              files = ( { name = "pw"; key = "db_password"; } ); };
};
jobs = (
  { name = "e500"; secrets = { keystore = "v1"; path = "scenario/500/e"; }; },
  { name = "e503"; secrets = { keystore = "v2"; path = "scenario/503-then-200/e"; }; },
  { name = "e403"; secrets = { keystore = "v2"; path = "scenario/403/e"; }; },
  { name = "e404"; secrets = { keystore = "v2"; path = "scenario/404/e"; }; },
  { name = "emissing"; secrets = { keystore = "v0"; path = "scenario/missing-key/e"; }; },
  { name = "enonstr"; secrets = { keystore = "v0"; path = "scenario/non-string/e"; }; },
  { name = "emalformed"; secrets = { keystore = "v0"; path = "scenario/malformed/e"; }; },
  { name = "eoversized"; secrets = { keystore = "v0"; path = "scenario/oversized/e"; }; },
  { name = "eslow"; secrets = { keystore = "v0"; path = "scenario/slow/e"; }; },
  { name = "erefused"; secrets = { keystore = "refused"; path = "etl/warehouse"; }; },
  { name = "ebadtok"; secrets = { keystore = "badtok"; path = "etl/warehouse"; }; },
  { name = "enoca"; secrets = { keystore = "noca"; path = "etl/warehouse"; }; },
  { name = "ehj"; secrets = { keystore = "hj"; }; },
  { name = "ehj403"; secrets = { keystore = "hj403"; }; },
  { name = "efopen"; secrets = { keystore = "fopen"; }; },
  { name = "efkey"; secrets = { keystore = "flocal"; env = { X = "nope"; }; }; },
  { name = "eleaky"; secrets = { keystore = "v0"; path = "scenario/leaky/e"; }; },
  { name = "s500"; schedule = "* * * * * *"; secrets = { keystore = "hjs"; }; },
  { name = "rot"; schedule = "* * * * * *";
    secrets = { keystore = "rot"; path = "etl/warehouse"; }; }
);
EOF
run "$LOCKCRON" check -c "$CONF"
is "$rc" 0 "the config is valid${err:+: $err}"
daemon_start || { echo "Bail out! lockcrond did not start"; exit 1; }
JOBS="e500 e503 e403 e404 emissing enonstr emalformed eoversized eslow
    erefused ebadtok enoca ehj ehj403 eleaky efopen efkey"
for j in $JOBS; do
	eval "id_$j=\$(run_bg $j)"
done

V="GET http://127.0.0.1:$KS_PLAIN/v1/secret/data/scenario"
# check JOB EXPECTED-ERROR: secret_error with that error (a shell pattern),
# and the job never started: no started event, no trace of it, no files.
check() {
	eval "_id=\$id_$1"
	_got=$(run_wait "$_id")
	case $_got in
	secret_error\|$2)
		ok 0 "$1: secret_error: ${_got#*|}" ;;
	*)
		is "$_got" "secret_error|$2" "$1: secret_error" ;;
	esac
	is "$(events "$_id" started)$(events "$_id" secrets_fetched)$(ls "$OUT/ran.$1" 2>/dev/null)$(ls "$RUNDIR/secrets/$_id" 2>/dev/null)" "" \
	    "$1: the job did not start, no secrets were handed over"
}
check e500 "keystore \"v1\": $V/500/e: HTTP 500: internal error (2 attempts)"
is "$(ks_count 500 e)" 2 "500: retried once (retries = 1)"
is "$(run_wait "$id_e503")" "succeeded|" "503 then 200: the retry succeeds"
is "$(ks_count 503-then-200 e):$(events "$id_e503" secrets_fetched | sed 's/.*"attempts":\([0-9]*\).*/\1/')" \
    "2:2" "503 then 200: two requests, the event says 2 attempts"
ok "$(test -e "$OUT/ran.e503"; echo $?)" "503 then 200: the job ran"
check e403 "keystore \"v2\": $V/403/e: HTTP 403: permission denied"
is "$(ks_count 403 e)" 1 "403: not retried (retries = 2)"
check e404 "keystore \"v2\": $V/404/e: HTTP 404: secret not found or deleted: scenario/404/e"
is "$(ks_count 404 e)" 1 "404: not retried"
check emissing "keystore \"v0\": $V/missing-key/e: key \"db_password\" not found in secret scenario/missing-key/e"
check enonstr "keystore \"v0\": $V/non-string/e: key \"db_password\" in secret scenario/non-string/e is a number, not a string"
check emalformed "keystore \"v0\": $V/malformed/e: not valid JSON (line 1, column [0-9]*)"
check eoversized "keystore \"v0\": $V/oversized/e: reply larger than 1048576 bytes"
check eslow "keystore \"v0\": $V/slow/e: Operation timed out after [0-9]* milliseconds with 0 bytes received"
check erefused "keystore \"refused\": GET http://127.0.0.1:1/v1/secret/data/etl/warehouse: Failed to connect to 127.0.0.1 port 1 after * ms: *(2 attempts)"
check ebadtok "keystore \"badtok\": token_file $TMP/token.bad is readable by group or others (mode 0644); chmod 0600 it"
check enoca "keystore \"noca\": GET https://127.0.0.1:$KS_TLS/v1/secret/data/etl/warehouse: SSL certificate problem: unable to get local issuer certificate"
check ehj "keystore \"hj\": GET http://127.0.0.1:$KS_PLAIN/scenario/500/hj/keys/db_host,db_password: HTTP 500: internal error"
check ehj403 "keystore \"hj403\": GET http://127.0.0.1:$KS_PLAIN/scenario/wrapped-error/hj/keys/db_host,db_password: status_code 403: access denied"
check eleaky "keystore \"v0\": $V/leaky/e: HTTP 400: token **** is not valid here"
check efopen "keystore \"fopen\": file $TMP/secrets-open.json is readable by group or others (mode 0644); chmod 0600 it"
check efkey "keystore \"flocal\": key \"nope\" not found in file $TMP/secrets.json"

# A failing scheduled job: the next fire tries again, and once the token
# file is fixed, succeeds. The daemon never noticed anything. (A daemon
# busy for over a second records the fires it jumped over as missed, and a
# fire that finds the one before it still running is skipped.)
wait_until 200 has_row "SELECT id FROM runs WHERE job = 'rot' AND status = 'secret_error'"
is "$(q "SELECT error FROM runs WHERE job = 'rot' AND status = 'secret_error' ORDER BY rowid LIMIT 1")" \
    "keystore \"rot\": token_file $TMP/token.rot is readable by group or others (mode 0640); chmod 0600 it" \
    "scheduled: a token file readable by its group is refused"
chmod 0600 "$TMP/token.rot"
wait_until 200 test -e "$OUT/ran.rot"
rid=$(q "SELECT id FROM runs WHERE job = 'rot' AND status NOT IN ('secret_error', 'missed', 'skipped') ORDER BY rowid LIMIT 1")
is "$(run_wait "$rid") $(q "SELECT trigger FROM runs WHERE id = '$rid'")" \
    "succeeded| schedule" "scheduled: a later fire fetches again and succeeds"
# And a keystore answering 500 at every fire: asked again at every fire.
two_errors() {
	[ "$(q "SELECT count(*) FROM runs WHERE job = 's500' AND status = 'secret_error'")" -ge 2 ]
}
wait_until 200 two_errors
n=$(q "SELECT count(*) FROM runs WHERE job = 's500' AND status = 'secret_error'")
ok "$(test "$n" -ge 2 && test "$(ks_count 500 s)" -ge "$n"; echo $?)" \
    "scheduled: each fire asks the keystore again ($n secret_error runs, $(ks_count 500 s) requests)"
ok "$(kill -0 "$DPID"; echo $?)" "the daemon is still running"

# lockcron run in the foreground says why.
run "$LOCKCRON" run -c "$CONF" e403 8>&-
is "$rc" 125 "foreground: secret_error exits 125"
case $err in
*"e403: secret_error: keystore \"v2\": $V/403/e: HTTP 403: permission denied")
	ok 0 "foreground: the error is shown" ;;
*)	is "$err" "... e403: secret_error: keystore ..." "foreground: the error is shown" ;;
esac
ok "$(test ! -e "$OUT/ran.e403"; echo $?)" "foreground: the job did not start"

# Nothing secret anywhere: the malformed reply quoted a value, the leaky
# one echoed the token.
daemon_stop
q "SELECT coalesce(error, '') || coalesce(output, '') || coalesce(detail, '') FROM runs LEFT JOIN events ON events.run = runs.id" >"$TMP/texts"
ok "$(no_leak "$DB" "$DB-wal" "$DB-shm"; echo $?)" "no value or token in the database's bytes"
ok "$(no_leak "$DLOG" "$TMP/texts"; echo $?)" "no value or token in the log, the errors or the events"
daemon_clean
ok $? "lockcrond exited 0, no sanitizer report in its log${DRC:+: exit$DRC}"
