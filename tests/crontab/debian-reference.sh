#!/bin/sh
# A maintainer's tool, not part of `make check`: compares import-crontab
# with Debian's own cron, the reference its rules were taken from. Needs
# root (unshare, mount) and apt; touches nothing outside a private mount
# namespace and a temporary directory.
#
#   debian-reference.sh refusals FILE   every line of FILE, alone before a
#                                       good job line: does Debian's
#                                       crontab -n refuse it exactly when
#                                       import-crontab says cron refused it?
#   debian-reference.sh run CRONTAB     runs Debian's cron(8) on CRONTAB (a
#                                       system crontab) for the next minute
#                                       with a SHELL that records, per job,
#                                       argv, stdin, environment and cwd
#                                       (JSON in $WORK/out/, named after the
#                                       command's first word)
set -eu
LOCKCRON=${LOCKCRON:-lockcron}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/lc-debref.XXXXXX")}
cd "$WORK"
if [ ! -x deb/usr/sbin/cron ]; then
	apt-get download cron >/dev/null 2>&1
	dpkg-deb -x cron_*.deb deb
fi
cp /etc/group group
grep -q '^crontab:' group || echo 'crontab:x:998:' >>group

# crontab -n FILE in a namespace with a private spool and a crontab group.
check() {
	unshare --mount sh -c "mount -t tmpfs none /var/spool &&
	    mount --bind '$WORK/group' /etc/group &&
	    mkdir -p /var/spool/cron/crontabs &&
	    chgrp crontab /var/spool/cron/crontabs &&
	    '$WORK/deb/usr/bin/crontab' -n '$1'" 2>&1 |
	    grep -q 'successfully checked'
}

refusals() {
	n=0 bad=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n* * * * * echo end\n' "$line" >t
		deb=0 ours=0
		check "$WORK/t" && deb=1
		"$LOCKCRON" import-crontab t >/dev/null 2>err || :
		grep -q 'refused' err || ours=1
		[ "$deb" = "$ours" ] && continue
		bad=$((bad + 1))
		echo "differs: [$line] debian accepts=$deb lockcron accepts=$ours"
	done <"$1"
	echo "$n lines, $bad differ"
	[ "$bad" -eq 0 ]
}

run() {
	mkdir -p out dev
	cat >rec.py <<'EOF'
#!/usr/bin/python3
import os, sys, json
tag = sys.argv[2].strip().split(" ")[0] or "empty"
json.dump({"argv": sys.argv[1:], "stdin": sys.stdin.read(),
           "cwd": os.getcwd(),
           "env": open("/proc/self/environ", "rb").read()
                  .decode("latin-1").split("\0")},
          open(os.path.join(os.environ["LC_OUT"], tag + ".json"), "w"))
EOF
	chmod 755 rec.py
	{ echo "SHELL=$WORK/rec.py"; echo "LC_OUT=$WORK/out"; cat "$1"; } >lab
	# cron logs to /dev/log: a private /dev with the usual nodes.
	for d in null zero random urandom tty full; do : >"dev/$d"; done
	s=$(date +%S)
	unshare --mount --pid --fork sh -c "
	    for d in null zero random urandom tty full; do
		mount --bind /dev/\$d '$WORK/dev/'\$d; done
	    mount --rbind '$WORK/dev' /dev
	    mount -t tmpfs none /etc/cron.d
	    cp '$WORK/lab' /etc/cron.d/lab; chmod 644 /etc/cron.d/lab
	    mount -t tmpfs none /var/spool; mkdir -p /var/spool/cron/crontabs
	    mount -t tmpfs none /run
	    timeout $((63 - ${s#0})) '$WORK/deb/usr/sbin/cron' -f || :"
	ls out
}

case "${1:-}" in
refusals) refusals "$2" ;;
run) run "$2" ;;
*) echo "usage: $0 refusals FILE | run CRONTAB" >&2; exit 2 ;;
esac
