#!/bin/sh
# libcurl is loaded only where it is needed (src/curl-load.c): not by
# `lockcron run` of a job without secrets, not by a daemon whose jobs have
# none; a daemon with a job that has secrets loads it once, so that its
# supervisors inherit it. Read from the processes' own memory maps.
. "$TOP_SRCDIR/tests/lib.sh"
unset LOCKCRON_CONFIG
plan 5

conf() {	# conf FILE EXTRA-JOBS
	cat >"$1" <<CONF
state_dir = "$TMP/state";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "$TMP/log";
keystores = ( { name = "f"; type = "file"; file = "$TMP/secrets.json"; } );
jobs = (
  { name = "maps"; schedule = "@yearly";
    command = ["/bin/sh", "-c", "grep -c libcurl /proc/\$PPID/maps; true"]; }
  $2
);
CONF
	chmod 0644 "$1"
}
conf "$TMP/plain.conf" ""
conf "$TMP/secrets.conf" ', { name = "s"; schedule = "@yearly";
    command = ["/bin/sh", "-c", "echo $A; grep -c libcurl /proc/$PPID/maps"];
    secrets = { keystore = "f"; env = { A = "a"; }; }; }'
echo '{"a": "1"}' >"$TMP/secrets.json"
chmod 0600 "$TMP/secrets.json"

run "$LOCKCRON" run -c "$TMP/plain.conf" maps
is "$rc:$out" "0:0" "lockcron run, no secrets: libcurl not loaded"

# maps_of CONF: lines of libcurl in a started daemon's maps.
maps_of() {
	rm -rf "$TMP/run"
	"$LOCKCROND" -c "$1" 2>>"$TMP/daemon.err" &
	pid=$!
	i=0
	while [ $i -lt 200 ] && [ ! -S "$TMP/run/lockcrond.sock" ]; do
		sleep 0.05; i=$((i + 1))
	done
	n=$(grep -c libcurl "/proc/$pid/maps")
	kill -TERM $pid
	wait $pid
	echo "$n"
}
is "$(maps_of "$TMP/plain.conf")" "0" "daemon without secret jobs: not loaded"
n=$(maps_of "$TMP/secrets.conf")
ok "$([ "$n" -gt 0 ]; echo $?)" "daemon with a secret job: loaded ($n maps)"

# lockcron run of a job with secrets loads it, and the secret arrives.
run "$LOCKCRON" run -c "$TMP/secrets.conf" s
is "$rc:$(echo "$out" | head -1)" "0:1" "lockcron run with secrets: exit 0, the secret"
n=$(echo "$out" | tail -1)
ok "$([ "$n" -gt 0 ]; echo $?)" "lockcron run with secrets: loaded ($n maps)"
exit $_failed
