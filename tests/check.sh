#!/bin/sh
# lockcron check: the summary line, exit statuses, -c and LOCKCRON_CONFIG,
# drop-in directories, and (as root) the refusal of files others can write.
. "$TOP_SRCDIR/tests/lib.sh"
unset TZDIR LOCKCRON_CONFIG
plan 16

job() {	# job NAME: one valid job
	printf '  { name = "%s"; schedule = "@daily"; command = "true"; }' "$1"
}
mkdir "$TMP/d"
chmod 0755 "$TMP" "$TMP/d"
{
	echo "include_dir = \"$TMP/d\";"
	echo "jobs = ("; job a; echo ","; job b; echo ");"
} >"$TMP/main.conf"
{ echo "jobs = ("; job c; echo ");"; } >"$TMP/d/10-c.conf"
{ echo "jobs = ("; job d; echo ","; job e; echo ");"; } >"$TMP/d/20-de.conf"
echo "not a config" >"$TMP/d/README"
chmod 0644 "$TMP/main.conf" "$TMP/d/"*

run "$LOCKCRON" check -c "$TMP/main.conf"
is "$rc:$out:$err" "0:5 jobs OK in 3 files:" "valid config with drop-ins"

LOCKCRON_CONFIG="$TMP/main.conf" run "$LOCKCRON" check
is "$rc:$out" "0:5 jobs OK in 3 files" "LOCKCRON_CONFIG names the file"

LOCKCRON_CONFIG=/nonexistent run "$LOCKCRON" check -c "$TMP/main.conf"
is "$rc" "0" "-c wins over LOCKCRON_CONFIG"

# The default file, for a user: $XDG_CONFIG_HOME/lockcron/lockcron.conf.
if [ "$(id -u)" -ne 0 ]; then
	mkdir -p "$TMP/xdg/lockcron"
	cp "$TMP/main.conf" "$TMP/xdg/lockcron/lockcron.conf"
	XDG_CONFIG_HOME="$TMP/xdg" run "$LOCKCRON" check
	is "$rc:$out" "0:5 jobs OK in 3 files" "default path for a user"
else
	echo "ok 4 # SKIP the default path as root is /etc/lockcron.conf"
	_n=$((_n + 1))
fi

# A duplicate across files names both places; errors sorted by file.
{ echo "jobs = ("; job a; echo ");"; echo "bogus = 1;"; } >"$TMP/d/30-dup.conf"
chmod 0644 "$TMP/d/30-dup.conf"
run "$LOCKCRON" check -c "$TMP/main.conf"
is "$rc" "2" "errors: exit 2"
is "$out" "" "errors: nothing on stdout"
is "$err" "$TMP/d/30-dup.conf:2: duplicate job name \`a\` (first defined at $TMP/main.conf:3)
$TMP/d/30-dup.conf:3: \`bogus\` is not allowed in a drop-in file: it may hold only \`jobs\` (global settings belong in $TMP/main.conf)" \
    "errors: every one, at its file and line"
rm "$TMP/d/30-dup.conf"

run "$LOCKCRON" check -c "$TMP/missing.conf"
is "$rc:$err" "2:$TMP/missing.conf: cannot open: No such file or directory" \
    "missing file"

run "$LOCKCRON" check -c "$TMP/main.conf" extra
is "$rc" "2" "extra argument: usage error"
run "$LOCKCRON" check --help
is "$rc:$out" "0:usage: lockcron check [-c FILE]" "--help"

# Warnings go to stderr and do not fail the check.
printf 'jobs = ( { name = "w"; schedule = "@daily"; command = "x";\n  lock_wait = 5; } );\n' >"$TMP/warn.conf"
chmod 0644 "$TMP/warn.conf"
run "$LOCKCRON" check -c "$TMP/warn.conf"
is "$rc:$out:$err" "0:1 job OK in 1 file:$TMP/warn.conf:2: warning: job \`w\`: \`lock_wait\` has no effect unless \`overlap\` is \"wait\"" \
    "warnings: exit 0"

# As root, files others can write are refused, saying how to fix them.
if [ "$(id -u)" -eq 0 ]; then
	chmod g+w "$TMP/main.conf"
	run "$LOCKCRON" check -c "$TMP/main.conf"
	is "$rc:$err" "2:$TMP/main.conf: refusing config file $TMP/main.conf: it is writable by group (mode 0664) and lockcron runs as root; fix it with: chmod go-w $TMP/main.conf" \
	    "root: group-writable main file refused"
	chmod g-w "$TMP/main.conf"
	chmod o+w "$TMP/d/20-de.conf"
	run "$LOCKCRON" check -c "$TMP/main.conf"
	is "$rc:$err" "2:$TMP/d/20-de.conf: refusing config file $TMP/d/20-de.conf: it is writable by others (mode 0646) and lockcron runs as root; fix it with: chmod go-w $TMP/d/20-de.conf" \
	    "root: world-writable drop-in refused"
	chmod o-w "$TMP/d/20-de.conf"
	chown 65534 "$TMP/d/10-c.conf"
	run "$LOCKCRON" check -c "$TMP/main.conf"
	owner=$(getent passwd 65534 | cut -d: -f1)
	is "$rc:$err" "2:$TMP/d/10-c.conf: refusing config file $TMP/d/10-c.conf: it is owned by ${owner:+$owner }(uid 65534), not root, and lockcron runs as root; fix it with: chown root $TMP/d/10-c.conf" \
	    "root: drop-in owned by another user refused"
	chown 0 "$TMP/d/10-c.conf"
	printf 'jobs = ();\n@include "other.conf"\n' >"$TMP/inc.conf"
	chmod 0644 "$TMP/inc.conf"
	run "$LOCKCRON" check -c "$TMP/inc.conf"
	is "$rc:$err" "2:$TMP/inc.conf:2: @include is refused when running as root (libconfig cannot check the included file's owner and mode); put jobs in a drop-in file in \`include_dir\` instead" \
	    "root: @include refused"
	run "$LOCKCRON" check -c "$TMP/main.conf"
	is "$rc:$out" "0:5 jobs OK in 3 files" "root: fixed files pass"
else
	for t in 12 13 14 15 16; do
		echo "ok $t # SKIP not root"
		_n=$((_n + 1))
	done
fi
