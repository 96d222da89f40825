#!/bin/sh
# The broken-config corpus: `lockcron check` on each tests/config/bad/*.conf
# must exit 2 and print exactly the lines of the matching .err file (@FILE@
# stands for the file checked); each tests/config/good/*.conf and the
# shipped examples must pass.
. "$TOP_SRCDIR/tests/lib.sh"
unset TZDIR LOCKCRON_CONFIG
bad=$(ls "$TOP_SRCDIR"/tests/config/bad/*.conf)
good=$(ls "$TOP_SRCDIR"/tests/config/good/*.conf "$TOP_SRCDIR"/etc/lockcron.conf \
    "$TOP_SRCDIR"/etc/examples/*.conf 2>/dev/null)
plan $(( $(echo "$bad" | wc -l) + $(echo "$good" | wc -l) ))

# Checks a copy in $TMP: root refuses files writable by group or others,
# and the checkout's modes depend on the umask it was made with.
check() {
	cp "$1" "$TMP/$2"
	chmod 0644 "$TMP/$2"
	run "$LOCKCRON" check -c "$TMP/$2"
}

for f in $bad; do
	name=$(basename "$f")
	check "$f" "$name"
	expected=$(sed "s|@FILE@|$TMP/$name|g" "${f%.conf}.err")
	is "$rc
$err" "2
$expected" "bad: $name"
done
for f in $good; do
	name=$(basename "$f")
	check "$f" "$name"
	is "$rc $(echo "$err" | grep -v ': warning: ')" "0 " "good: $name"
done
