#!/bin/sh
# make install DESTDIR=...: both programs, both man pages, the system and
# user units, the example config (never over an existing one); the units
# say what issue 5 asks and pass systemd-analyze verify where it works.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/daemon-lib.sh"
plan 27

: "${TOP_BUILDDIR:?the build directory}"
D=$TMP/root
mk() {	# make in the build directory, not part of the make running us
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make -s --no-print-directory -C "$TOP_BUILDDIR" "$@"
}
printf '_lc_vars:\n\t@echo "$(bindir)|$(sbindir)|$(mandir)|$(sysconfdir)|$(systemdsystemunitdir)|$(systemduserunitdir)|$(SERVICE_TYPE)|$(PACKAGE_VERSION)"\n' \
    >"$TMP/vars.mk"
IFS='|' read -r bindir sbindir mandir sysconfdir sysunitdir userunitdir stype version <<EOF
$(mk -f Makefile -f "$TMP/vars.mk" _lc_vars)
EOF
ok "$([ -n "$bindir" ] && [ -n "$sysunitdir" ]; echo $?)" "the install directories ($bindir, $sysunitdir, ...)"

run mk install DESTDIR="$D"
is "$rc" "0" "make install DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || printf '%s\n' "$err" | sed 's/^/#   /'
ok "$([ -x "$D$bindir/lockcron" ]; echo $?)" "bin: lockcron"
ok "$([ -x "$D$sbindir/lockcrond" ]; echo $?)" "sbin: lockcrond"
is "$("$D$sbindir/lockcrond" --version)" "lockcrond $version" "the installed daemon runs"
ok "$([ -f "$D$mandir/man1/lockcron.1" ]; echo $?)" "man1/lockcron.1"
ok "$([ -f "$D$mandir/man5/lockcron.conf.5" ]; echo $?)" "man5/lockcron.conf.5"
ok "$([ -f "$D$mandir/man8/lockcrond.8" ]; echo $?)" "man8/lockcrond.8"
ok "$([ -f "$D$sysunitdir/lockcron.service" ]; echo $?)" "the system unit"
ok "$([ -f "$D$userunitdir/lockcron.service" ]; echo $?)" "the user unit"
is "$(stat -c %a "$D$sysconfdir/lockcron.conf" 2>&1)" "644" "the example config, mode 0644"
ok "$([ -d "$D$sysconfdir/lockcron.d" ]; echo $?)" "the drop-in directory"
is "$(find "$D" -type f | wc -l)" "8" "nothing else"

# The system unit.
u=$D$sysunitdir/lockcron.service
key() { sed -n "s/^$1=//p" "$2"; }
is "$(key Type "$u")" "$stype" "Type=$stype (notify when built with libsystemd)"
is "$(key ExecStart "$u")" "$sbindir/lockcrond -c $sysconfdir/lockcron.conf" "ExecStart"
is "$(key ExecReload "$u")" "$bindir/lockcron reload -c $sysconfdir/lockcron.conf" \
    "ExecReload through lockcron reload"
is "$(key KillMode "$u")" "process" "KillMode=process: runs outlive a restart"
is "$(key StateDirectory "$u")" "lockcron" "StateDirectory=lockcron"
is "$(grep -cE '^(PrivateTmp|ProtectHome|ProtectSystem|NoNewPrivileges|RuntimeDirectory)=' "$u")" "0" \
    "no PrivateTmp, ProtectHome, ProtectSystem, NoNewPrivileges, RuntimeDirectory"
# Every page the units name is installed.
missing=
for page in $(sed -n 's/^Documentation=//p' "$u" "$D$userunitdir/lockcron.service" | tr ' ' '\n' | sed -n 's/^man:\(.*\)(\(.*\))$/\1.\2/p' | sort -u); do
	[ -f "$D$mandir/man${page##*.}/$page" ] || missing="$missing $page"
done
is "$missing" "" "the man pages the units name are installed"

# A second install keeps a config the admin changed.
echo "# changed by the admin" >>"$D$sysconfdir/lockcron.conf"
run mk install DESTDIR="$D"
is "$rc" "0" "make install again"
is "$(tail -1 "$D$sysconfdir/lockcron.conf")" "# changed by the admin" "the existing config is kept"

# systemd-analyze verify, on copies whose commands point into DESTDIR (it
# checks that they exist), if it works at all here.
mkdir -p "$TMP/units/user" "$TMP/xdg"
chmod 0700 "$TMP/xdg"
printf '[Service]\nExecStart=/bin/true\n' >"$TMP/units/probe.service"
intodest() { sed "s|=$sbindir/|=$D$sbindir/|; s|=$bindir/|=$D$bindir/|" "$1" >"$2"; }
intodest "$u" "$TMP/units/lockcron.service"
intodest "$D$userunitdir/lockcron.service" "$TMP/units/user/lockcron.service"
if ! command -v systemd-analyze >/dev/null 2>&1 ||
    ! systemd-analyze verify --man=no "$TMP/units/probe.service" >/dev/null 2>&1; then
	for i in 1 2 3; do ok 0 "# SKIP systemd-analyze verify does not work here"; done
else
	run systemd-analyze verify --man=no "$TMP/units/lockcron.service"
	is "$rc:$out$err" "0:" "systemd-analyze verify: the system unit"
	run env XDG_RUNTIME_DIR="$TMP/xdg" systemd-analyze --user verify --man=no "$TMP/units/probe.service"
	if [ "$rc" -ne 0 ]; then
		ok 0 "# SKIP systemd-analyze --user verify does not work here"
	else
		run env XDG_RUNTIME_DIR="$TMP/xdg" systemd-analyze --user verify --man=no \
		    "$TMP/units/user/lockcron.service"
		is "$rc:$out$err" "0:" "systemd-analyze --user verify: the user unit"
	fi
	printf '[Service]\nExecStart=%s\nKillMode=sometimes\n' "$D$sbindir/lockcrond" \
	    >"$TMP/units/broken.service"
	run systemd-analyze verify --man=no "$TMP/units/broken.service"
	ok "$([ -n "$out$err" ]; echo $?)" "(and it does complain about a broken unit)"
fi

# make uninstall: everything goes but the config the admin changed; an
# untouched one goes too.
run mk uninstall DESTDIR="$D"
is "$rc:$(cd "$D" && find . -type f | sort)" "0:.$sysconfdir/lockcron.conf" \
    "make uninstall leaves only the changed config"
run mk install DESTDIR="$TMP/root2"
run mk uninstall DESTDIR="$TMP/root2"
is "$rc:$(find "$TMP/root2" -type f | wc -l)" "0:0" "an untouched config is uninstalled too"
