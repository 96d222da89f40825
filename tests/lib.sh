# Helpers for black-box tests: TAP output and a private temporary directory.
# Each test script sources this file, calls `plan N` and then `ok`/`is`.
set -u
: "${LOCKCRON:=lockcron}"
: "${LOCKCROND:=lockcrond}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lockcron-$TEST_NAME.$$.XXXXXX")
_n=0
_failed=0
_cleanup_hooks=""
cleanup() {
	for h in $_cleanup_hooks; do "$h" || :; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
at_exit() { _cleanup_hooks="$_cleanup_hooks $1"; }

plan() { echo "1..$1"; }
ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"
	else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
is() {	# is GOT EXPECTED DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		printf '#   got:      %s\n' "$1" | sed '2,$s/^/#             /'
		printf '#   expected: %s\n' "$2" | sed '2,$s/^/#             /'
		_failed=$((_failed + 1))
	fi
}
# run CMD...: sets $out, $err and $rc
run() {
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	out=$(cat "$TMP/.out")
	err=$(cat "$TMP/.err")
}
