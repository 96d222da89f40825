# Helpers for black-box tests of a real lockcrond. Source after tests/lib.sh.
#
#   daemon_config [GLOBALS] <<EOF ... EOF   the config; the jobs list on stdin
#   daemon_start [ARGS]     start lockcrond in the background, wait until ready
#   daemon_stop             SIGTERM, wait (bounded); D_RC is its exit status
#   daemon_kill9            kill -9, wait
#   sql QUERY               the history, through sqlite3
#   wait_for 'COND' SECS    poll a shell condition every 0.1 s, bounded
#   tagged CMD...           run CMD so that the cleanup will find it (in
#                           the background, write `env "$D_TAG" CMD &`
#                           instead, so that $! is CMD's pid)
#
# Every process a test starts (the daemon, its supervisors, their jobs and
# whatever the test runs through `tagged`) carries LCTEST_TAG=$TMP in its
# environment (jobs get it from the config's defaults); on exit, pass or
# fail, every such process is killed, so no test leaves one behind.

D_CONF=$TMP/lockcron.conf
D_STATE=$TMP/state
D_DB=$D_STATE/history.db
D_LOCKS=$TMP/locks
D_RUNDIR=$TMP/run
D_SOCK=$D_RUNDIR/lockcrond.sock
D_LOG=$TMP/lockcrond.log
D_ERR=$TMP/lockcrond.stderr
D_TAG="LCTEST_TAG=$TMP"
D_PID=
D_RC=
D_DEFAULTS=	# more settings for the config's `defaults` group
D_WRAP=		# a command lockcrond is started through (e.g. setsid)
: >"$D_ERR"

now_ms() { date +%s%3N; }

tagged() { env "$D_TAG" "$@"; }

# Pids of the live processes carrying our tag (zombies have no environ).
d_tagged_pids() {
	grep -lzxF "$D_TAG" /proc/[0-9]*/environ 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/environ$|\1|' | grep -vx "$$"
}

# Kills every tagged process until none is left (bounded).
d_cleanup() {
	_d_i=0
	while _d_p=$(d_tagged_pids) && [ -n "$_d_p" ]; do
		# shellcheck disable=SC2086
		kill -9 $_d_p 2>/dev/null
		_d_i=$((_d_i + 1))
		if [ $_d_i -ge 100 ]; then
			echo "# cleanup: still alive: $_d_p"
			break
		fi
		sleep 0.05
	done
	[ -n "$D_PID" ] && wait "$D_PID" 2>/dev/null
	:
}
at_exit d_cleanup

# d_alive PID: the process exists and is not a zombie.
d_alive() {
	_d_s=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$_d_s" ] && [ "$_d_s" != Z ]
}

# wait_for 'SHELL CONDITION' SECONDS: 0 as soon as it holds, 1 on timeout.
wait_for() {
	_d_end=$(( $(now_ms) + $2 * 1000 ))
	while ! eval "$1"; do
		if [ "$(now_ms)" -ge "$_d_end" ]; then
			echo "# wait_for timed out after $2 s: $1"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# daemon_config [GLOBAL SETTINGS]: writes $D_CONF; the jobs come on stdin.
daemon_config() {
	{
		cat <<EOF
state_dir = "$D_STATE";
lock_dir = "$D_LOCKS";
runtime_dir = "$D_RUNDIR";
timezone = "UTC";
log = "$D_LOG";
defaults = { env = { LCTEST_TAG = "$TMP"; }; $D_DEFAULTS };
${1:-}
jobs = (
EOF
		cat
		echo ");"
	} >"$D_CONF.new"
	chmod 0644 "$D_CONF.new"
	mv "$D_CONF.new" "$D_CONF"
}

d_started_count() {
	nlines ' notice lockcrond .* started: ' "$D_LOG"
}

# daemon_start [ARGS]: starts lockcrond on $D_CONF, logging to $D_LOG, and
# waits until it says it started (its control socket is then listening).
daemon_start() {
	_d_before=$(d_started_count)
	# shellcheck disable=SC2086
	env "$D_TAG" $D_WRAP "$LOCKCROND" -c "$D_CONF" --log "$D_LOG" "$@" \
	    2>>"$D_ERR" &
	D_PID=$!
	wait_for "[ \$(d_started_count) -gt $_d_before ] || ! d_alive $D_PID" 30
	if ! d_alive "$D_PID"; then
		echo "# lockcrond did not start:"
		sed 's/^/#   /' "$D_ERR"
		return 1
	fi
	return 0
}

# daemon_start_or_bail [ARGS]: as daemon_start; if it fails, the test
# stops here (TAP "Bail out!").
daemon_start_or_bail() {
	daemon_start "$@" && return 0
	echo "Bail out! lockcrond did not start"
	exit 1
}

# daemon_stop: SIGTERM and a bounded wait; D_RC is the daemon's status.
daemon_stop() {
	D_RC=
	[ -n "$D_PID" ] || return 1
	kill -TERM "$D_PID" 2>/dev/null
	if ! wait_for "! d_alive $D_PID" 10; then
		kill -9 "$D_PID"
		wait "$D_PID" 2>/dev/null
		D_PID=
		return 1
	fi
	wait "$D_PID"
	D_RC=$?
	D_PID=
	return 0
}

daemon_kill9() {
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	D_PID=
}

# sql QUERY...: runs SQL on the history (which must exist already: sqlite3
# would otherwise create an empty file in the daemon's place).
sql() {
	[ -f "$D_DB" ] || return 1
	sqlite3 -batch -cmd '.timeout 10000' "$D_DB" "$@"
}

# sqlv QUERY: one value, or 0 when the history does not exist yet.
sqlv() {
	sql "$1" 2>/dev/null || echo 0
}

# ok_clean_stderr: the daemon and its supervisors reported nothing on
# stderr (no sanitizer report, no crash message).
ok_clean_stderr() {
	if [ -s "$D_ERR" ]; then
		sed 's/^/#   /' "$D_ERR" | head -40
		ok 1 "lockcrond's stderr is empty"
	else
		ok 0 "lockcrond's stderr is empty"
	fi
}

# nlines REGEX FILE: how many lines of FILE match (0 when it is missing).
nlines() {
	if [ -f "$2" ]; then grep -c -- "$1" "$2"; else echo 0; fi
	:
}
