# Helpers for the secrets tests (tests/secrets-*.sh), sourced after
# tests/lib.sh: a test keystore (tests/keystore_server.py over plain HTTP
# and TLS, with a CA made at test time by tests/gen-certs.sh), a lockcrond
# on a config under $TMP, history queries and leak checks.
#
# Secret values never go into a command's argv here (the argv scan would
# find the test itself): they are made by Python, kept in files, read into
# shell variables, and matched with grep -F -f FILE.

# The run's directories and files.
ST=$TMP/state
RUNDIR=$TMP/run
OUT=$TMP/out
CONF=$TMP/lockcron.conf
DLOG=$TMP/daemon.log
DB=$ST/history.db
DPID=
KSPID=

# The job's user: as root, nobody (so ownership is really handed over);
# otherwise ourselves.
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	JOB_USER=nobody
	JOB_UID=$(id -u nobody)
	JOB_GID=$(id -g nobody)
	# nobody must reach its secrets under $TMP and write its reports.
	chmod 0711 "$TMP"
else
	JOB_USER=$(id -un)
	JOB_UID=$(id -u)
	JOB_GID=$(id -g)
fi
mkdir -p "$OUT"
chmod 0777 "$OUT"

# Values: db_host, db_password, api_key (spaces, quotes, $), pgpass, and
# the token. $TMP/values holds them all, one per line, for grep -F -f.
make_values() {
	python3 - "$TMP" <<'PY'
import json, os, sys
tmp = sys.argv[1]
r = os.urandom(8).hex()
v = {
    "db_host": "dbhost-%s.internal" % r[:6],
    "db_password": "Pw-%s-secret" % r,
    "api_key": "ak %s $HOME \"q\" 'x' \\ end" % r[6:],
    "pgpass": "127.0.0.1:5432:*:etl:PgPw-%s" % r[::-1],
}
tok = "tok-%s" % os.urandom(12).hex()
for k, s in v.items():
    with open(os.path.join(tmp, "v." + k), "w") as f:
        f.write(s)
with open(os.path.join(tmp, "token"), "w") as f:
    f.write(tok + "\n")
os.chmod(os.path.join(tmp, "token"), 0o600)
with open(os.path.join(tmp, "values"), "w") as f:
    f.write("\n".join(list(v.values()) + [tok]) + "\n")
with open(os.path.join(tmp, "data.json"), "w") as f:
    json.dump({"path": "etl/warehouse", "values": v}, f)
# For the file keystore: a private JSON object of strings.
fd = os.open(os.path.join(tmp, "secrets.json"),
             os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(v, f)
PY
	V_HOST=$(cat "$TMP/v.db_host")
	V_PW=$(cat "$TMP/v.db_password")
	V_API=$(cat "$TMP/v.api_key")
	V_PGPASS=$(cat "$TMP/v.pgpass")
}

# Starts the keystore on 127.0.0.1: $KS_PLAIN (HTTP) and $KS_TLS (TLS,
# a certificate for 127.0.0.1 signed by $TMP/pki/ca.pem). It stops when
# fd 8 (its stdin) closes, when we die, or at cleanup.
ks_start() {
	make_values
	sh "$TOP_SRCDIR/tests/gen-certs.sh" "$TMP/pki" || return 1
	mkfifo "$TMP/ks.in"
	python3 "$TOP_SRCDIR/tests/keystore_server.py" \
	    --port-file "$TMP/ports.json" --token-file "$TMP/token" \
	    --data "$TMP/data.json" --plain plain \
	    --tls "tls:$TMP/pki/server.pem:$TMP/pki/server.key" \
	    --parent-pid $$ <"$TMP/ks.in" &
	KSPID=$!
	exec 8>"$TMP/ks.in"
	at_exit ks_stop
	wait_until 100 test -s "$TMP/ports.json" || return 1
	KS_PLAIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plain"])' "$TMP/ports.json")
	KS_TLS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"])' "$TMP/ports.json")
}

ks_stop() {
	exec 8>&-
	[ -n "$KSPID" ] && kill "$KSPID" 2>/dev/null && wait "$KSPID" 2>/dev/null
	KSPID=
	return 0
}

# Requests the keystore saw for scenario NAME/TAG.
ks_count() {
	python3 - "$KS_PLAIN" "$1" "$2" <<'PY'
import json, sys, urllib.request
url = "http://127.0.0.1:%s/_control/count/%s/%s" % tuple(sys.argv[1:4])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(json.load(opener.open(url))["count"])
PY
}

# True once the keystore has seen a request for scenario NAME/TAG.
ks_seen() {
	[ "$(ks_count "$1" "$2")" -ge 1 ]
}

# wait_until TENTHS CMD...: polls CMD every 0.1 s for up to TENTHS tries.
# CMD is run each time: give it a function, not a "$(...)" (expanded once).
wait_until() {
	_tries=$1
	shift
	while [ "$_tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_tries=$((_tries - 1))
	done
	return 1
}

# The config: directories under $TMP, then the caller's text (keystores,
# jobs) from stdin. @PLAIN@, @TLS@, @TMP@, @USER@ are filled in.
write_conf() {
	{
		cat <<EOF
state_dir = "$ST";
lock_dir = "$ST/locks";
runtime_dir = "$RUNDIR";
timezone = "UTC";
log = "stderr";
log_level = "debug";
EOF
		sed -e "s|@PLAIN@|${KS_PLAIN:-0}|g" -e "s|@TLS@|${KS_TLS:-0}|g" \
		    -e "s|@TMP@|$TMP|g" -e "s|@USER@|$JOB_USER|g"
	} >"$CONF"
	chmod 0644 "$CONF"
}

# Starts lockcrond on $CONF, its log (stderr) appended to $DLOG.
daemon_start() {
	"$LOCKCROND" -c "$CONF" 2>>"$DLOG" 8>&- &
	DPID=$!
	at_exit daemon_stop
	wait_until 100 test -S "$RUNDIR/lockcrond.sock"
}

# Stops it; DRC collects every exit status that was not 0.
DRC=
daemon_stop() {
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null
		wait "$DPID"
		_rc=$?
		[ "$_rc" = 0 ] || DRC="$DRC $_rc"
	fi
	DPID=
	return 0
}

# True when every lockcrond exited 0 and no sanitizer spoke in the log.
daemon_clean() {
	[ -z "$DRC" ] && ! grep -q -E 'Sanitizer|runtime error' "$DLOG"
}

# q SQL: one query on the history.
q() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# has_row SQL: true when the query returns something.
has_row() {
	[ -n "$(q "$1")" ]
}

# lockcron run --no-wait JOB: prints the run id.
run_bg() {
	"$LOCKCRON" run -c "$CONF" --no-wait "$1" 8>&-
}

# True when run $1 is finished (neither queued nor running).
run_done() {
	[ "$(q "SELECT count(*) FROM runs WHERE id = '$1' AND status NOT IN ('queued', 'running')")" = 1 ]
}

# Waits up to 20 s for run $1 to finish; prints "status|error".
run_wait() {
	wait_until 200 run_done "$1"
	q "SELECT status || '|' || coalesce(error, '') FROM runs WHERE id = '$1'"
}

# The events of run $1 that are of kind $2, one detail per line.
events() {
	q "SELECT coalesce(detail, '') FROM events WHERE run = '$1' AND kind = '$2' ORDER BY rowid"
}

# True (0) when no secret value occurs in any of the files given.
no_leak() {
	for _f in "$@"; do
		[ -e "$_f" ] || continue
		if grep -a -q -F -f "$TMP/values" "$_f"; then
			echo "# a secret value is in $_f"
			return 1
		fi
	done
	return 0
}

# True when no process's argv holds a secret value; $1 > 0 processes must
# have been read.
argv_clean() {
	python3 - "$TMP/values" <<'PY'
import os, sys
vals = [v.encode() for v in open(sys.argv[1]).read().split("\n") if v]
seen = 0
bad = []
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            cmd = f.read()
    except OSError:
        continue
    seen += 1
    if any(v in cmd for v in vals):
        bad.append(pid)
print("# %d processes read" % seen)
if bad or seen < 3:
    print("# secret values in the argv of pids %s" % bad)
    sys.exit(1)
PY
}
