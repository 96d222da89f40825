#!/bin/sh
# lockcron import-crontab on each fixture in tests/crontab/: the exact
# config (FIXTURE.conf) and warnings (FIXTURE.err), the exit status, and the
# next three fire times of every job, written by hand in FIXTURE.times and
# checked with `lockcron next` on the schedule and zone the config holds.
. "$TOP_SRCDIR/tests/lib.sh"
D=$TOP_SRCDIR/tests/crontab

# fixture, expected exit status, import-crontab's options
fixtures() {
	cat <<'LIST'
debian-etc-crontab 0 --system
seed-002.crontab 0 --system
user-varied.crontab 1 --user alice
system-cron.d-app 1 --system
LIST
}

# The value of KEY in the job named NAME of a generated config.
job_key() {	# job_key CONF NAME KEY
	awk -v name="$2" -v key="$3" '
		$0 == "    name = \"" name "\";" { inside = 1; next }
		inside && /^  }/ { exit }
		inside && index($0, "    " key " = \"") == 1 {
			v = substr($0, length(key) + 9); sub(/";$/, "", v)
			print v; exit
		}' "$1"
}

n=0
while read -r fx rc0 opts; do
	base=${fx%.crontab}
	n=$((n + 4 + $(grep -cv '^#' "$D/$base.times")))
done <<EOF2
$(fixtures)
EOF2
plan $((n + 6))

while read -r fx rc0 opts; do
	base=${fx%.crontab}
	# shellcheck disable=SC2086
	(cd "$D" && "$LOCKCRON" import-crontab $opts "$fx") \
	    >"$TMP/$base.conf" 2>"$TMP/$base.err"
	is "$?" "$rc0" "$fx: exit status"
	cmp -s "$TMP/$base.conf" "$D/$base.conf"
	st=$?
	ok $st "$fx: the config is $base.conf byte for byte"
	[ $st -eq 0 ] || diff -u "$D/$base.conf" "$TMP/$base.conf" | sed 's/^/# /'
	cmp -s "$TMP/$base.err" "$D/$base.err"
	st=$?
	ok $st "$fx: the warnings are $base.err"
	[ $st -eq 0 ] || diff -u "$D/$base.err" "$TMP/$base.err" | sed 's/^/# /'
	is "$(grep -c '^    name = ' "$TMP/$base.conf")" \
	    "$(grep -cv '^#' "$D/$base.times")" "$fx: every job has fire times"
	grep -v '^#' "$D/$base.times" >"$TMP/times"
	while read -r job zone from t1 t2 t3; do
		sched=$(job_key "$TMP/$base.conf" "$job" schedule)
		tz=$(job_key "$TMP/$base.conf" "$job" timezone)
		if [ -n "$tz" ] && [ "$tz" != "$zone" ]; then
			ok 1 "$fx: $job: timezone $tz, times written for $zone"
			continue
		fi
		run "$LOCKCRON" next --tz "$zone" --from "$from" -n 3 "$sched"
		if [ "$t1" = never ]; then
			is "$rc:$out" "1:" "$fx: $job ($sched) has no fire time"
		else
			is "$out" "$t1
$t2
$t3" "$fx: $job ($sched) in $zone"
		fi
	done <"$TMP/times"
done <<EOF2
$(fixtures)
EOF2

# Standard input, and what is a usage error.
printf '0 1 * * * /opt/x.sh\n' | "$LOCKCRON" import-crontab - >"$TMP/in.conf"
is "$?" 0 "a crontab on standard input"
grep -q '^# lockcron jobs converted .* from standard input$' "$TMP/in.conf"
ok $? "the header names standard input"
run "$LOCKCRON" import-crontab "$TMP/no-such-crontab"
is "$rc" 2 "an unreadable file is exit status 2"
run "$LOCKCRON" import-crontab --system --user alice "$D/seed-002.crontab"
is "$rc" 2 "--user with --system is exit status 2"
run "$LOCKCRON" import-crontab "$D/seed-002.crontab" "$D/seed-002.crontab"
is "$rc" 2 "two crontabs at once is exit status 2"
run "$LOCKCRON" import-crontab --bogus
is "$rc" 2 "an unknown option is exit status 2"
exit $((_failed > 0))
