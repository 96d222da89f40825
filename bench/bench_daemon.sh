#!/bin/sh
# Benchmark: the daemon. Prints launch delay p50/p99 (one per-second job for
# DURATION s), 1,000 jobs due in the same second (all started / all
# recorded), RSS idle with 100 and 100,000 jobs, voluntary wake-ups in
# WAKE_SECS s with 1,000 jobs not due, and start-up time with 100,000 jobs.
# Usage: bench_daemon.sh [DURATION] [WAKE_SECS]  (defaults 60 60)
set -eu
BUILD=${TOP_BUILDDIR:-$(pwd)}
LOCKCROND=${LOCKCROND:-$BUILD/lockcrond}
DURATION=${1:-60}
WAKE_SECS=${2:-60}
T=$(mktemp -d /tmp/lockcron-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# conf NAME JOBS_SCRIPT: writes $T/NAME/lockcron.conf with jobs from python
conf() {
	mkdir -p "$T/$1"
	python3 - "$T/$1" "$2" "$3" "$4" <<'PY'
import sys
d, n, sched, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(d + "/lockcron.conf", "w") as f:
    f.write('state_dir = "%s/state";\nruntime_dir = "%s/run";\n' % (d, d))
    f.write('timezone = "UTC";\nlog = "%s/daemon.log";\n%s\njobs = (\n' % (d, extra))
    f.write(",\n".join('{ name = "job%d"; schedule = "%s"; command = ["/bin/true"]; }'
                       % (i, sched) for i in range(n)))
    f.write("\n);\n")
PY
}

start() {	# start DIR: starts the daemon, waits for its socket
	"$LOCKCROND" -c "$1/lockcron.conf" --log "$1/daemon.log" &
	pid=$!
	i=0
	while [ ! -S "$1/run/lockcrond.sock" ]; do
		i=$((i + 1)); [ $i -lt 6000 ] || { echo "daemon did not start"; exit 1; }
		sleep 0.01
	done
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || :; pid=""; }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
vol() { awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$1"/status; }
q() { sqlite3 "$1/state/history.db" "$2"; }
now_ms() { date +%s%3N; }

echo "== launch delay: one job firing every second for ${DURATION}s"
conf delay 1 "* * * * * *" ""
start "$T/delay"
sleep "$DURATION"
stop
q "$T/delay" "select e.at - r.scheduled_at from runs r join events e on e.run = r.id
    where e.kind = 'started' and r.trigger = 'schedule' order by 1" >"$T/delays"
python3 - "$T/delays" <<'PY'
import sys, statistics
v = sorted(int(x) for x in open(sys.argv[1]) if x.strip())
p = lambda q: v[min(len(v) - 1, int(q * len(v)))]
print("runs %d  p50 %d ms  p99 %d ms  max %d ms (scheduled instant to execve)"
      % (len(v), p(0.5), p(0.99), v[-1]))
PY

echo "== 1,000 jobs due in the same second"
conf burst 1000 "0 * * * * *" ""
start "$T/burst"
# wait for the next minute boundary plus the runs
due=$(( ( $(date +%s) / 60 + 1 ) * 60 ))
while [ "$(date +%s)" -le $((due + 1)) ]; do sleep 0.5; done
i=0
while [ "$(q "$T/burst" "select count(*) from runs where status in ('queued','running')")" != 0 ] ||
      [ "$(q "$T/burst" "select count(*) from runs")" -lt 1000 ]; do
	i=$((i + 1)); [ $i -lt 600 ] || break
	sleep 0.2
done
stop
q "$T/burst" "select count(*), max(e.at) - min(r.scheduled_at) from runs r join events e
    on e.run = r.id where e.kind = 'started' and r.scheduled_at = $due * 1000" |
    awk -F'|' '{printf "started: %d runs, the last %d ms after the instant\n", $1, $2}'
q "$T/burst" "select count(*), max(finished_at) - min(scheduled_at),
    sum(status = 'lost') from runs where scheduled_at = $due * 1000" |
    awk -F'|' '{printf "recorded: %d runs, the last %d ms after the instant, %d lost\n", $1, $2, $3}'

for n in 100 100000; do
	echo "== idle daemon with $n jobs (none due for a year)"
	conf "idle$n" "$n" "0 0 1 1 *" ""
	t0=$(now_ms)
	start "$T/idle$n"
	t1=$(now_ms)
	sleep 1
	echo "start-up (exec to socket): $((t1 - t0)) ms; RSS $(rss_kb "$pid") kB"
	stop
done

echo "== wake-ups: 1,000 jobs not due, ${WAKE_SECS}s"
conf wake 1000 "0 0 1 1 *" ""
start "$T/wake"
sleep 1
v0=$(vol "$pid")
sleep "$WAKE_SECS"
v1=$(vol "$pid")
echo "voluntary context switches in ${WAKE_SECS}s: $((v1 - v0))"
stop
