#!/bin/sh
# Notifications of `lockcron run`, end to end: a real HTTP server on
# 127.0.0.1 records the webhook and the pings, a fake sendmail keeps the
# mail; the body is parsed, retries, `on`, pings, masking, a dead endpoint.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/notify-lib.sh"
plan 33

STATE=$TMP/state
start_server web --script /hook/fail=503,503
P=$web_port
CLOSED=$(closed_port)
fake_sendmail "$TMP"
printf '{"token": "s3cr3t-value-123"}\n' >"$TMP/secrets.json"
cat >"$TMP/long.sh" <<'EOF'
#!/bin/sh
head -c 2000 /dev/zero | tr '\0' x
printf '\ncaf\303\251 = 1\n'
EOF
chmod 755 "$TMP/long.sh"
chmod 600 "$TMP/secrets.json"
cat >"$TMP/lc.conf" <<EOF
state_dir = "$STATE";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "stderr";
keystores = ( { name = "f"; type = "file"; file = "$TMP/secrets.json"; } );
jobs = (
  { name = "fail"; schedule = "@yearly";
    command = "echo out-line; echo token=\$TOKEN; echo err-line >&2; exit 3";
    secrets = { keystore = "f"; env = { TOKEN = "token"; }; };
    notify = { webhook = "http://127.0.0.1:$P/hook/fail";
      mail = "ops@example.com"; ping = "http://127.0.0.1:$P/ping/f1"; }; },
  { name = "ok"; schedule = "@yearly"; command = "echo fine";
    notify = { on = ["failed"]; webhook = "http://127.0.0.1:$P/hook/ok";
      ping = "http://127.0.0.1:$P/ping/ok1/"; }; },
  { name = "long"; schedule = "@yearly";
    command = "$TMP/long.sh";
    notify = { on = ["succeeded"]; webhook = "http://127.0.0.1:$P/hook/long";
      mail = "a@example.com,b.c@example.org"; }; },
  { name = "dead"; schedule = "@yearly"; command = "true";
    notify = { on = ["succeeded"];
      webhook = "http://127.0.0.1:$CLOSED/hook"; }; },
  { name = "nomail"; schedule = "@yearly"; command = "exit 1";
    notify = { mail = "root"; }; }
);
EOF
run "$LOCKCRON" check -c "$TMP/lc.conf"
is "$rc" 0 "the config is valid${err:+: $err}"
export LOCKCRON_SENDMAIL="$TMP/sendmail"

# --- a failed run: webhook (503 twice, then 200), mail, pings --------------
run "$LOCKCRON" run -c "$TMP/lc.conf" fail
is "$rc" 3 "lockcron run reports the job's exit status"
ID=$(sql "SELECT id FROM runs WHERE job = 'fail'")
wait_for 15 has_events "$ID" 4
is "$(notify_events "$ID")" "notify_sent|ping /start: HTTP 200
notify_sent|webhook: HTTP 200 after 3 attempts
notify_sent|mail: ops@example.com
notify_sent|ping /fail: HTTP 200" "four deliveries recorded as events, in order"
is "$(sql "SELECT status FROM runs WHERE id = '$ID'")" failed \
    "the run stays failed"
is "$(requests web /)" "GET /ping/f1/start?rid=$ID 200
POST /hook/fail 503
POST /hook/fail 503
POST /hook/fail 200
GET /ping/f1/fail?rid=$ID 200" "the server saw /start, three POSTs, /fail"

# The body, parsed: the run as show --format json prints it.
body_check() {
	python3 - "$TMP/web.log" "$1" "$2" <<'EOS'
import json, re, socket, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
reqs = [r for r in reqs if r["path"] == sys.argv[2]]
r = reqs[-1]
b = json.loads(r["body"])
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
keys = ["run_id", "fire_id", "job", "trigger", "attempt", "status",
        "exit_code", "signal", "scheduled_at", "started_at", "finished_at",
        "duration_ms", "host", "error", "events", "output"]
out = []
out.append("keys " + str(sorted(b) == sorted(keys)))
out.append("ctype " + r["headers"].get("Content-Type", ""))
out.append("ids " + str(b["run_id"] == sys.argv[3] and b["fire_id"] == b["run_id"]))
for k in ["job", "trigger", "attempt", "status", "exit_code", "signal", "error"]:
    out.append("%s %s" % (k, json.dumps(b[k])))
out.append("instants " + str(all(iso.match(b[k]) for k in
           ["scheduled_at", "started_at", "finished_at"])))
out.append("duration " + str(isinstance(b["duration_ms"], int) and b["duration_ms"] >= 0))
out.append("host " + str(b["host"] == socket.gethostname()))
kinds = [e["kind"] for e in b["events"]]
out.append("events " + " ".join(k for k in kinds if k in
           ("lock_acquired", "secrets_fetched", "started", "exited")))
out.append("event at " + str(all(iso.match(e["at"]) for e in b["events"])))
out.append("output " + json.dumps(b["output"]))
out.append("secret " + str("s3cr3t" in r["body"]))
print("\n".join(out))
EOS
}
body_check /hook/fail "$ID" >"$TMP/body"
is "$(sed -n 1p "$TMP/body")" "keys True" "the body has exactly show's keys"
is "$(sed -n 2p "$TMP/body")" "ctype application/json" "Content-Type"
is "$(sed -n 3p "$TMP/body")" "ids True" "run_id and fire_id are the run's"
is "$(sed -n 4,10p "$TMP/body")" 'job "fail"
trigger "manual"
attempt 1
status "failed"
exit_code 3
signal null
error "exited with status 3"' "job, trigger, attempt, status, exit, signal, error"
is "$(sed -n 11,13p "$TMP/body")" "instants True
duration True
host True" "instants are ISO-8601 UTC with ms; duration; host"
is "$(sed -n 14,15p "$TMP/body")" "events lock_acquired secrets_fetched started exited
event at True" "the events of the run's timeline"
is "$(sed -n 16p "$TMP/body")" 'output "out-line\ntoken=****\nerr-line\n"' \
    "the output tail, with the secret masked"
is "$(sed -n 17p "$TMP/body")" "secret False" "the secret is nowhere in the body"

# Retries back off: at least 375 ms (500 ms - 25%) between attempts.
gaps=$(python3 - "$TMP/web.log" <<'EOS'
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])
     if json.loads(l)["path"] == "/hook/fail"]
print(all(b - a >= 0.375 for a, b in zip(t, t[1:])))
EOS
)
is "$gaps" True "attempts are spaced by the backoff"

# --- the mail ---------------------------------------------------------------
is "$(cat "$TMP/mail.args")" "-t
-oi" "sendmail -t -oi: no address in argv"
mail_check() {
	python3 - "$TMP/mail.msg" "$1" <<'EOS'
import email, json, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw)
text = m.get_payload(decode=True).decode("utf-8")
js = json.JSONDecoder().raw_decode(text[text.index("\n{") + 1:])[0]
print("To: " + m["To"])
print("Subject: " + m["Subject"])
print("Auto-Submitted: " + m["Auto-Submitted"])
print("X-Lockcron-Run-Id " + str(m["X-Lockcron-Run-Id"] == sys.argv[2]))
print("Encoding: " + m["Content-Transfer-Encoding"])
print("json " + str(js["run_id"] == sys.argv[2]) + " " + js["status"])
print("longest raw line %d" % max(len(l) for l in raw.split(b"\n")))
for needle in ["Status     failed, exit code 3", "exited with status 3",
               "out-line", "token=****", "started", "x" * 2000, "caf\u00e9 = 1"]:
    print("text has %r: %s" % (needle[:20], needle in text))
print("secret " + str(b"s3cr3t" in raw))
EOS
}
mail_check "$ID" >"$TMP/mail"
host=$(python3 -c 'import socket; print(socket.gethostname())')
is "$(sed -n 1,3p "$TMP/mail")" "To: ops@example.com
Subject: lockcron: fail failed on $host
Auto-Submitted: auto-generated" "To, Subject (job, status, host), Auto-Submitted"
is "$(sed -n 4,6p "$TMP/mail")" "X-Lockcron-Run-Id True
Encoding: 8bit
json True failed" "the run id header, 8bit, the JSON part parses"
is "$(sed -n 8,11p "$TMP/mail")" "text has 'Status     failed, e': True
text has 'exited with status 3': True
text has 'out-line': True
text has 'token=****': True" "the readable part: status, error, output"
is "$(sed -n 15p "$TMP/mail")" "secret False" "no secret in the mail"

# --- a success: `on` leaves the webhook out, the ping goes ------------------
run "$LOCKCRON" run -c "$TMP/lc.conf" ok
is "$rc" 0 "the ok job succeeds"
ID=$(sql "SELECT id FROM runs WHERE job = 'ok'")
wait_for 10 has_events "$ID" 2
is "$(notify_events "$ID")" "notify_sent|ping /start: HTTP 200
notify_sent|ping: HTTP 200" "only the pings: succeeded is not in on"
is "$(requests web /hook/ok)" "" "no webhook for a status not in on"
is "$(requests web /ping/ok1)" "GET /ping/ok1/start?rid=$ID 200
GET /ping/ok1?rid=$ID 200" "/start, then the success ping (trailing / dropped)"

# --- a long line: quoted-printable, two recipients ---------------------------
rm -f "$TMP/mail.msg"
run "$LOCKCRON" run -c "$TMP/lc.conf" long
ID=$(sql "SELECT id FROM runs WHERE job = 'long'")
wait_for 10 has_events "$ID" 2
mail_check "$ID" >"$TMP/mail"
is "$(sed -n 1p "$TMP/mail")" "To: a@example.com,b.c@example.org" \
    "both recipients in To:"
is "$(sed -n 5,7p "$TMP/mail")" "Encoding: quoted-printable
json True succeeded
longest raw line 76" "a 2000-byte line makes it quoted-printable, lines <= 76"
is "$(sed -n 13,14p "$TMP/mail")" "text has 'xxxxxxxxxxxxxxxxxxxx': True
text has 'café = 1': True" "the long line and UTF-8 decode intact"

# --- a dead endpoint: the run does not wait, the lock is free ----------------
# Its output read through a pipe: the notifier must not hold the pipe open.
t0=$(date +%s%N)
out=$("$LOCKCRON" run -c "$TMP/lc.conf" dead 2>&1)
rc=$?
t1=$(date +%s%N)
is "$rc" 0 "the run with a dead webhook succeeds"
ok "$([ $(((t1 - t0) / 1000000)) -lt 1500 ] && echo 0 || echo 1)" \
    "\$(lockcron run) returns before the retries end ($(((t1 - t0) / 1000000)) ms)"
flock -n "$TMP/locks/dead.lock" true
ok $? "the lock is free while the notifier retries"
ID=$(sql "SELECT id FROM runs WHERE job = 'dead'")
has_events "$ID" 1
ok "$((! $?))" "no notify event yet: the notifier is still retrying"
wait_for 15 has_events "$ID" 1
notify_events "$ID" |
    grep -q "^notify_failed|webhook: Failed to connect to 127.0.0.1 port $CLOSED .*(4 attempts)$"
ok $? "then notify_failed: cannot connect, 4 attempts"
is "$(sql "SELECT status FROM runs WHERE id = '$ID'")" succeeded \
    "a failed notification is not a failed run"

# --- no sendmail ---------------------------------------------------------------
LOCKCRON_SENDMAIL=$TMP/no-such-sendmail run "$LOCKCRON" run -c "$TMP/lc.conf" nomail
ID=$(sql "SELECT id FROM runs WHERE job = 'nomail'")
wait_for 10 has_events "$ID" 1
is "$(notify_events "$ID")" "notify_failed|mail: $TMP/no-such-sendmail: No such file or directory" \
    "a missing sendmail is a notify_failed event"
