#!/bin/sh
# lockcron edit with scripted editors: a valid edit is installed by rename()
# with the file's owner and mode; an invalid one is offered again, refused
# without a terminal, never installed; an editor that fails changes nothing;
# JOB picks its drop-in; the daemon is reloaded when it runs.
. "$TOP_SRCDIR/tests/lib.sh"
plan 39

mkdir -p "$TMP/d" "$TMP/bin"
write_configs() {
	cat >"$TMP/lc.conf" <<EOF
state_dir = "$TMP/state";
lock_dir = "$TMP/locks";
runtime_dir = "$TMP/run";
include_dir = "$TMP/d";
timezone = "UTC";
log = "stderr";
jobs = ( { name = "a"; schedule = "@daily"; command = "true"; } );
EOF
	cat >"$TMP/d/b.conf" <<EOF
jobs = ( { name = "b"; schedule = "@hourly"; command = "true"; } );
EOF
	chmod 640 "$TMP/lc.conf"
	chmod 600 "$TMP/d/b.conf"
}
write_configs
C=$TMP/lc.conf
meta() { stat -c '%u:%g:%a' "$1"; }
inode() { stat -c '%i' "$1"; }
leftovers() { find "$TMP" "$TMP/d" -maxdepth 1 -name '.*.conf.*' | wc -l; }

# An editor that applies a sed script given in $SED and logs its argument.
cat >"$TMP/bin/sed-editor" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$TMP/editor.log"
sed -i "\$SED" "\$1"
EOF
# An editor that breaks the schedule on its first call and fixes it after.
cat >"$TMP/bin/twice" <<EOF
#!/bin/sh
n=\$((\$(cat "$TMP/count" 2>/dev/null || echo 0) + 1))
echo \$n >"$TMP/count"
if [ \$n -eq 1 ]; then sed -i 's/@hourly/@bogus/' "\$1"
else sed -i 's/@bogus/@weekly/' "\$1"; fi
EOF
chmod 755 "$TMP/bin/sed-editor" "$TMP/bin/twice"
unset VISUAL
export EDITOR="$TMP/bin/sed-editor"

# --- a valid edit of the main file -------------------------------------------
m0=$(meta "$C")
i0=$(inode "$C")
SED='s/@daily/@weekly/' run "$LOCKCRON" edit -c "$C"
is "$rc" 0 "a valid edit succeeds"
is "$out" "installed $C" "it says where it was installed"
grep -q '@weekly' "$C"
ok $? "the change is in the file"
is "$(meta "$C")" "$m0" "owner, group and mode are kept ($m0)"
ok "$([ "$(inode "$C")" != "$i0" ] && echo 0 || echo 1)" \
    "the file was replaced by rename() (a new inode)"
case $err in
*"warning: not reloaded"*"lockcrond is not running"*) r=0 ;;
*) r=1 ;;
esac
ok $r "no daemon: a warning, not an error"
is "$(leftovers)" 0 "no copy is left behind"
ed_dir=$(dirname "$(tail -n 1 "$TMP/editor.log")")
ed_base=$(basename "$(tail -n 1 "$TMP/editor.log")")
is "$ed_dir" "$TMP" "the copy was edited in the file's directory"
case $ed_base in .lc.conf.??????) r=0 ;; *) r=1 ;; esac
ok $r "under a hidden name ($ed_base)"

# --- JOB picks the drop-in that holds it -----------------------------------------
cp "$C" "$TMP/main.before"
m0=$(meta "$TMP/d/b.conf")
SED='s/@hourly/@weekly/' run "$LOCKCRON" edit -c "$C" b
is "$rc" 0 "edit JOB"
is "$out" "installed $TMP/d/b.conf" "the drop-in was installed"
is "$(dirname "$(tail -n 1 "$TMP/editor.log")")" "$TMP/d" \
    "its copy lived in the drop-in directory (and was not read as one)"
grep -q '@weekly' "$TMP/d/b.conf"
ok $? "the drop-in has the change"
cmp -s "$C" "$TMP/main.before"
ok $? "the main file is untouched"
is "$(meta "$TMP/d/b.conf")" "$m0" "the drop-in keeps its owner and mode ($m0)"
run "$LOCKCRON" edit -c "$C" nosuchjob
is "$rc" 2 "an unknown job is an error"
is "$err" "lockcron: no job \"nosuchjob\" in $C" "which says so"

# --- invalid, then fixed after "edit again? y" --------------------------------------
write_configs
printf 'y\n' >"$TMP/answers"
EDITOR=$TMP/bin/twice run "$LOCKCRON" edit -c "$C" b <"$TMP/answers"
is "$rc" 0 "invalid, then fixed: installed"
case $err in
*'b.conf:1: job `b`: invalid schedule "@bogus"'*"1 error: not installed"*"edit again? [Y/n]"*)
	r=0 ;;
*) r=1 ;;
esac
ok $r "the errors were shown, with the prompt"
is "$(cat "$TMP/count")" 2 "the editor ran twice"
grep -q '@weekly' "$TMP/d/b.conf"
ok $? "the fixed version is installed"

# --- invalid, and the answer is no; or nobody to ask -------------------------------
write_configs
cp "$TMP/d/b.conf" "$TMP/b.before"
printf 'n\n' >"$TMP/answers"
SED='s/@hourly/@bogus/' run "$LOCKCRON" edit -c "$C" b <"$TMP/answers"
is "$rc" 2 "answering n: exit 2"
cmp -s "$TMP/d/b.conf" "$TMP/b.before"
ok $? "the original is untouched"
is "$(leftovers)" 0 "the copy is removed"
SED='s/@hourly/@bogus/' run "$LOCKCRON" edit -c "$C" b </dev/null
is "$rc" 2 "no one to ask (stdin at end of file): exit 2"
cmp -s "$TMP/d/b.conf" "$TMP/b.before"
ok $? "the original is untouched"
is "$(leftovers)" 0 "the copy is removed"

# --- the editor fails; nothing changed -------------------------------------------
EDITOR="sed -i s/@hourly/@weekly/ \"\$1\"; false" run "$LOCKCRON" edit -c "$C" b
is "$rc" 1 "an editor exiting non-zero aborts"
cmp -s "$TMP/d/b.conf" "$TMP/b.before"
ok $? "its changes are not installed"
is "$(leftovers)" 0 "the copy is removed"
i0=$(inode "$C")
EDITOR=true run "$LOCKCRON" edit -c "$C"
is "$rc.$out" "0.no changes made to $C" "an unchanged file: no changes"
is "$(inode "$C")" "$i0" "and it is left alone"

# --- a first config, in a directory that does not exist yet ------------------
printf 'timezone = "UTC";\nstate_dir = "%s/new/state";\n' "$TMP" \
    >"$TMP/template"
EDITOR="cp $TMP/template" run "$LOCKCRON" edit -c "$TMP/new/dir/lc.conf"
is "$rc" 0 "a new config file is created"
cmp -s "$TMP/template" "$TMP/new/dir/lc.conf"
ok $? "with what the editor wrote, its directory created"
EDITOR=true run "$LOCKCRON" edit -c "$TMP/new/other.conf"
ok "$([ "$rc" -eq 0 ] && [ ! -e "$TMP/new/other.conf" ] && echo 0 || echo 1)" \
    "saving a new file empty creates nothing"

# --- $VISUAL first; a file name the shell must not parse ------------------------
cd "$TMP" || exit 1
odd="$TMP/odd \$(touch pwned);x.conf"
cp "$C" "$odd"
VISUAL="sed -i s/@daily/@monthly/" EDITOR=false run "$LOCKCRON" edit -c "$odd"
is "$rc" 0 "VISUAL wins over EDITOR; an odd file name is edited"
ok "$([ ! -e "$TMP/pwned" ] && grep -q @monthly "$odd" && echo 0 || echo 1)" \
    "the name reached the editor as one word, never through the shell"

# --- a running daemon is reloaded ------------------------------------------------
write_configs
"$LOCKCROND" -c "$C" 2>"$TMP/daemon.log" &
dpid=$!
stop_daemon() { kill "$dpid" 2>/dev/null && wait "$dpid"; }
at_exit stop_daemon
i=0
while [ ! -S "$TMP/run/lockcrond.sock" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
SED='s/^jobs = ( /jobs = ( { name = "c"; schedule = "@daily"; command = "true"; }, /' \
    run "$LOCKCRON" edit -c "$C"
is "$out" "installed $C
lockcrond reloaded: 3 jobs" "the daemon reloaded the new configuration"
is "$rc" 0 "and edit succeeded"
