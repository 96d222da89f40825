#!/bin/sh
# lockcrond tells systemd READY=1, RELOADING=1 then READY=1 on SIGHUP, and
# STOPPING=1, as datagrams on $NOTIFY_SOCKET (a path, or "@name" in the
# abstract namespace), when built for Type=notify units.
. "$TOP_SRCDIR/tests/lib.sh"
unset LOCKCRON_CONFIG
plan 2

if ! grep -q '^Type=notify' "$TOP_BUILDDIR/etc/lockcron.service" 2>/dev/null
then
	echo "ok 1 # SKIP built without systemd notification (Type=simple)"
	echo "ok 2 # SKIP built without systemd notification (Type=simple)"
	exit 0
fi
cat >"$TMP/c.conf" <<CONF
state_dir = "$TMP/state";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
timezone = "UTC";
log = "$TMP/log";
jobs = ( { name = "a"; schedule = "@yearly"; command = "true"; } );
CONF
chmod 0644 "$TMP/c.conf"

# listen ADDRESS: starts the daemon with NOTIFY_SOCKET=ADDRESS, sends
# SIGHUP after READY=1 and SIGTERM after the second READY=1; prints what
# arrived, one datagram a line.
listen() {
	python3 - "$1" "$LOCKCROND" "$TMP/c.conf" <<'PY'
import os, signal, socket, subprocess, sys
addr, daemon, conf = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(20)
p = subprocess.Popen([daemon, "-c", conf],
                     env=dict(os.environ, NOTIFY_SOCKET=addr))
got, ready = [], 0
try:
    while True:
        msg = s.recv(4096).decode()
        got.append(msg)
        if msg == "READY=1":
            ready += 1
            p.send_signal(signal.SIGHUP if ready == 1 else signal.SIGTERM)
        if msg == "STOPPING=1":
            break
except socket.timeout:
    got.append("(timeout)")
p.wait(20)
print(" ".join(got))
PY
}
expect="READY=1 RELOADING=1 READY=1 STOPPING=1"
is "$(listen "$TMP/notify.sock")" "$expect" "a socket path"
is "$(listen "@lockcron-test-$$")" "$expect" "an abstract socket"
exit $_failed
