# Shared by the notification tests (source it after lib.sh): a recording
# HTTP server on 127.0.0.1 (tests/notify_server.py), a fake sendmail,
# polling with a deadline, and queries of the history.

_server_pids=""
# start_server NAME [ARGS...]: sets $NAME_port; requests go to $TMP/NAME.log.
start_server() {
	_name=$1
	shift
	: >"$TMP/$_name.log"
	python3 "$TOP_SRCDIR/tests/notify_server.py" --port-file \
	    "$TMP/$_name.port" --log "$TMP/$_name.log" "$@" \
	    </dev/null >/dev/null 2>"$TMP/$_name.err" &
	_server_pids="$_server_pids $!"
	if ! wait_for 10 test -s "$TMP/$_name.port"; then
		echo "Bail out! server $_name did not start: $(cat "$TMP/$_name.err")"
		exit 1
	fi
	eval "${_name}_port=$(cat "$TMP/$_name.port")"
}
stop_servers() {
	for _p in $_server_pids; do kill "$_p" 2>/dev/null; done
	_server_pids=""
}
at_exit stop_servers

# A port nothing listens on (bound, then closed).
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fake_sendmail DIR: a sendmail that keeps its arguments and the message.
fake_sendmail() {
	cat >"$1/sendmail" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$1/mail.args"
cat >"$1/mail.msg.tmp" && mv "$1/mail.msg.tmp" "$1/mail.msg"
EOS
	chmod 755 "$1/sendmail"
}

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds.
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
}

# started_pid RUN: waits up to 10 s for the run's started event, then
# prints its job's pid (its process group); fails if it never came.
started_pid() {
	_started() {
		[ "$(sql "SELECT count(*) FROM events WHERE run = '$1' AND
		    kind = 'started'")" -eq 1 ]
	}
	wait_for 10 _started "$1" || return 1
	sql "SELECT substr(detail, 5) FROM events WHERE run = '$1' AND
	    kind = 'started'"
}

# sql QUERY: on $STATE/history.db.
sql() {
	sqlite3 -cmd ".timeout 5000" "$STATE/history.db" "$1"
}

# events RUN: "kind|detail" lines of a run's notify events, in order.
notify_events() {
	sql "SELECT kind || '|' || coalesce(detail, '') FROM events
	    WHERE run = '$1' AND kind LIKE 'notify_%' ORDER BY at, rowid"
}

# has_events RUN N: at least N notify events on RUN.
has_events() {
	[ "$(sql "SELECT count(*) FROM events WHERE run = '$1' AND
	    kind LIKE 'notify_%'")" -ge "$2" ]
}

# requests SERVER PATH-PREFIX: "METHOD PATH STATUS" of matching requests.
requests() {
	python3 - "$TMP/$1.log" "$2" <<'EOS'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"].startswith(sys.argv[2]):
        print(r["method"], r["path"], r["status"])
EOS
}
