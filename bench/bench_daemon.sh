#!/bin/sh
# Benchmark of the daemon (issue 5), on real lockcrond processes in a
# temporary directory:
#  1. launch delay: one job "* * * * * *" for BENCH_DAEMON_SECONDS (60 s);
#     the job is /bin/date, whose output (kept in the run's row) is the
#     time the job itself started; p50/p99/max of that minus the fire
#     instant, and of the "started" event (the supervisor's fork);
#  2. 1,000 jobs due in the same second, twice: their first runs ever
#     (the daemon made their lock files when it loaded them; the history
#     holds no row of theirs) and 5 s later, as every later day: until all
#     have started (their own clocks, and their started events), until
#     all are recorded, none lost (target: all started within 1 s); the
#     same again with 1,000 jobs running /bin/true;
#  3. idle memory with 100 and with 100,000 jobs (targets: RSS under 4 MB
#     and under 64 MB), with RssAnon/RssFile and Pss/private beside it:
#     a large site's mix (varied schedules, zones, users, env, locks,
#     retries; every command and name its own), and 100,000 identical jobs
#     (one schedule, ["/bin/true"]) as the first version of this benchmark
#     measured;
#  4. voluntary wake-ups (context switches) of an idle daemon with 1,000
#     jobs, none due, over two windows of BENCH_DAEMON_SECONDS: the first
#     from start-up (it holds the first history pruning, 60 s after
#     start), the second after it (target: 0);
#  5. start-up time with 100,000 jobs: exec to the control socket listening,
#     3 runs.
# Environment: TOP_BUILDDIR (where lockcrond is, default .),
# BENCH_DAEMON_SECONDS (default 60), BENCH_DAEMON_BIG (default 100000),
# BENCH_DAEMON_ONLY (a list of the parts to run, e.g. "1 3").
set -e
: "${TOP_BUILDDIR:=.}"
LOCKCROND=$(cd "$TOP_BUILDDIR" && pwd)/lockcrond
export LOCKCROND
: "${BENCH_DAEMON_SECONDS:=60}"
: "${BENCH_DAEMON_BIG:=100000}"
: "${BENCH_DAEMON_ONLY:=1 2 3 4 5}"
export BENCH_DAEMON_SECONDS BENCH_DAEMON_BIG BENCH_DAEMON_ONLY
[ -x "$LOCKCROND" ] || { echo "bench_daemon: no $LOCKCROND" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_daemon.XXXXXX")
export TMP
trap 'rm -rf "$TMP"' EXIT INT TERM
echo "machine: $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - <<'PY'
import datetime, os, signal, sqlite3, subprocess, sys, time

LOCKCROND = os.environ["LOCKCROND"]
TMP = os.environ["TMP"]
SECONDS = int(os.environ["BENCH_DAEMON_SECONDS"])
BIG = int(os.environ["BENCH_DAEMON_BIG"])
ONLY = os.environ["BENCH_DAEMON_ONLY"].split()
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


def ms(x):
    return "%.1f ms" % (x * 1000)


def header(d, extra=""):
    return ('state_dir = "%s/state";\nlock_dir = "%s/locks";\n'
            'runtime_dir = "%s/run";\ntimezone = "UTC";\nlog = "%s/log";\n'
            '%s' % (d, d, d, d, extra))


def write_conf(d, text):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "lockcron.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def idle_jobs(n):
    """n jobs of a large site's mix, none due for hours: every schedule
    falls in the hour 12 hours from now (in each job's zone)."""
    hours = {}
    for z in ZONES:
        t = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(hours=12)
        try:
            from zoneinfo import ZoneInfo
            hours[z] = t.astimezone(ZoneInfo(z)).hour
        except Exception:
            hours[z] = t.hour if z == "UTC" else None
    out = []
    for i in range(n):
        z = ZONES[i % 4] if i % 3 == 0 and hours[ZONES[i % 4]] is not None \
            else "UTC"
        h = hours[z]
        scheds = ["%d %d * * *" % (i % 60, h), "*/5 %d * * *" % h,
                  "30 %d * * 1-5" % h, "0 %d 1 * *" % h, "15 %d * * 0" % h,
                  "0 %d * * *" % h, "*/15 %d * * 1-5" % h, "45 %d * * 6" % h]
        s = scheds[i % len(scheds)]
        j = '  { name = "job-%06d"; schedule = "%s";\n' % (i, s)
        j += '    command = "/opt/batch/bin/task-%d --shard %d";\n' % (i % 97, i)
        if i % 3 == 0:
            j += '    timezone = "%s"; user = "root";\n' % z
        if i % 10 == 0:
            j += ('    env = { SHARD = "%d"; LANG = "C.UTF-8"; };\n'
                  '    lock = "shard-%d"; overlap = "wait"; lock_wait = "10m";'
                  ' timeout = "2h";\n'
                  '    retries = { count = 3; delay = "1m"; backoff = 2.0; };\n'
                  % (i, i % 100))
        j += "  }"
        out.append(j)
    return "jobs = (\n" + ",\n".join(out) + "\n);\n"


def uniform_jobs(n):
    """n jobs alike but for their names, due once a year."""
    return "jobs = (\n" + ",\n".join(
        '  { name = "job%d"; schedule = "0 0 1 1 *"; command = ["/bin/true"]; }'
        % i for i in range(n)) + "\n);\n"


def start(conf, d):
    sock = os.path.join(d, "run", "lockcrond.sock")
    t0 = time.monotonic()
    p = subprocess.Popen([LOCKCROND, "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(sock):
        if p.poll() is not None:
            sys.exit("bench_daemon: lockcrond exited with %d; see %s/log"
                     % (p.returncode, d))
        time.sleep(0.001)
    return p, time.monotonic() - t0


def stop(p):
    """SIGTERM; returns the seconds until the daemon exited."""
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait(120)
    return time.monotonic() - t0


def wait_runs_done(db, timeout):
    end = time.time() + timeout
    while time.time() < end:
        c = sqlite3.connect(db, timeout=10)
        n = c.execute("SELECT count(*) FROM runs WHERE status IN "
                      "('queued', 'running')").fetchone()[0]
        c.close()
        if n == 0:
            return True
        time.sleep(0.2)
    return False


def cpu_of(pid):
    """CPU seconds of pid and of its reaped children (supervisors and,
    through them, the jobs)."""
    with open("/proc/%d/stat" % pid) as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(f[11]) + int(f[12])) / tick, (int(f[13]) + int(f[14])) / tick


def status_of(pid):
    f = {}
    for name in ("status", "smaps_rollup"):
        with open("/proc/%d/%s" % (pid, name)) as fh:
            for line in fh:
                k, _, v = line.partition(":")
                v = v.split()
                if v and v[0].isdigit():
                    f[k] = int(v[0])
    return f


def date_rows(db):
    c = sqlite3.connect(db, timeout=10)
    rows = c.execute(
        "SELECT r.scheduled_at, r.status, r.output, r.finished_at,"
        " (SELECT min(at) FROM events e WHERE e.run = r.id AND"
        "  e.kind = 'started') FROM runs r").fetchall()
    c.close()
    return rows


def part1():
    d = os.path.join(TMP, "p1")
    conf = write_conf(d, header(d) + 'jobs = ( { name = "tick"; '
                      'schedule = "* * * * * *"; command = ["/bin/date", '
                      '"+%s.%N"]; } );\n')
    p, _ = start(conf, d)
    # The second the daemon starts in is due at once, however late in
    # that second: it is no launch delay.
    first = time.time() + 1
    time.sleep(SECONDS)
    stop(p)
    db = os.path.join(d, "state", "history.db")
    wait_runs_done(db, 30)
    own, fork, bad = [], [], 0
    for sched, st, out, fin, started in date_rows(db):
        if sched / 1000.0 < first:
            continue
        if st != "succeeded" or not out:
            bad += 1
            continue
        own.append(float(out) - sched / 1000.0)
        fork.append(started / 1000.0 - sched / 1000.0)
    print("1. launch delay, one job every second for %d s: %d runs, "
          "%d not succeeded" % (SECONDS, len(own) + bad, bad))
    for name, v in (("job's own clock (date)", own),
                    ("supervisor's started event", fork)):
        print("   %-28s p50 %s  p99 %s  max %s" %
              (name, ms(pct(v, 50)), ms(pct(v, 99)), ms(max(v))))


def burst_report(db, instant, label):
    rows = [r for r in date_rows(db) if r[0] == instant * 1000]
    st = {}
    for r in rows:
        st[r[1]] = st.get(r[1], 0) + 1
    own = [float(r[2]) - instant for r in rows
           if r[1] == "succeeded" and r[2]]
    fork = [r[4] / 1000.0 - instant for r in rows if r[4] is not None]
    fin = [r[3] / 1000.0 - instant for r in rows if r[3] is not None]
    print("   %s: %d rows %s" % (label, len(rows), st))
    if own:
        print("     all started (job's own clock): %s (p50 %s)" %
              (ms(max(own)), ms(pct(own, 50))))
    print("     all exec'd (started events):   %s (p50 %s)" %
          (ms(max(fork)), ms(pct(fork, 50))))
    print("     all recorded (finished_at):    %s" % ms(max(fin)))


def part2():
    """1,000 jobs due in the same second, twice: their first run ever
    (their lock files made by the daemon as it loaded them, 8 s before),
    then 5 s later as every later day (the history holding their first
    rows). Then the same with
    another 1,000 jobs running /bin/true, the cheapest job there is (in
    this VM /bin/date costs 1.2 ms of CPU, /bin/true 0.8, most of both the
    dynamic loader's CPU probing), their start read from their started
    events."""
    d = os.path.join(TMP, "p2")
    # A second at least 8 s away, so that start-up is over before it.
    now = time.time()
    instant = int(now) + 8
    sec = instant % 60
    jobs = ",\n".join('  { name = "burst-%04d"; schedule = "%d,%d * * * * *"; '
                      'command = ["/bin/date", "+%%s.%%N"]; }'
                      % (i, sec, (sec + 5) % 60) for i in range(1000))
    jobs += ",\n" + ",\n".join(
        '  { name = "true-%04d"; schedule = "%d,%d * * * * *"; '
        'command = ["/bin/true"]; }'
        % (i, (sec + 10) % 60, (sec + 15) % 60) for i in range(1000))
    conf = write_conf(d, header(d) + "jobs = (\n" + jobs + "\n);\n")
    p, _ = start(conf, d)
    db = os.path.join(d, "state", "history.db")
    while time.time() < instant + 17:
        time.sleep(0.2)
    ok = wait_runs_done(db, 50)
    time.sleep(1)
    dcpu, kids = cpu_of(p.pid)
    quit = stop(p)
    n = len([r for r in date_rows(db) if r[0] in
             [(instant + k) * 1000 for k in (0, 5, 10, 15)]])
    print("2. 1,000 jobs due at the same second%s"
          % ("" if ok else " (timed out waiting)"))
    burst_report(db, instant, "/bin/date, first run of each")
    burst_report(db, instant + 5, "/bin/date, 5 s later, as every later day")
    burst_report(db, instant + 10, "/bin/true, first run of each")
    burst_report(db, instant + 15, "/bin/true, 5 s later")
    print("   SIGTERM to exit, once all rows were finished: %s" % ms(quit))
    print("   CPU for the four: daemon %.2f s, supervisors and jobs %.2f s "
          "(%.2f ms a run)" % (dcpu, kids, kids * 1000.0 / max(1, n)))


def memory(n, label, jobs=idle_jobs):
    d = os.path.join(TMP, "p3-%d-%s" % (n, jobs.__name__))
    conf = write_conf(d, header(d) + jobs(n))
    # A daemon restarting on its history, as in production (the first
    # start creates the file and looks its group up, which loads NSS
    # modules: about 0.35 MB more).
    p, t = start(conf, d)
    time.sleep(0.5)
    stop(p)
    p, t = start(conf, d)
    time.sleep(1)
    f = status_of(p.pid)
    stop(p)
    print("   %-14s VmRSS %6.1f MB (RssAnon %.1f, RssFile %.1f)  Pss %.1f MB"
          "  private %.1f MB  VmHWM %.1f MB" %
          (label, f["VmRSS"] / 1024.0, f["RssAnon"] / 1024.0,
           f["RssFile"] / 1024.0, f["Pss"] / 1024.0,
           (f["Private_Clean"] + f["Private_Dirty"]) / 1024.0,
           f["VmHWM"] / 1024.0))
    return t


def part3():
    print("3. idle daemon memory (restarted on an existing history)")
    memory(100, "100 jobs:")
    memory(BIG, "%d jobs:" % BIG)
    memory(BIG, "%d alike:" % BIG, uniform_jobs)


def part4():
    d = os.path.join(TMP, "p4")
    conf = write_conf(d, header(d) + idle_jobs(1000))
    p, _ = start(conf, d)
    time.sleep(1)
    marks = []
    for _ in range(3):
        f = status_of(p.pid)
        marks.append((f["voluntary_ctxt_switches"],
                      f["nonvoluntary_ctxt_switches"]))
        if len(marks) < 3:
            time.sleep(SECONDS)
    stop(p)
    print("4. wake-ups, 1,000 jobs none due: voluntary context switches")
    print("   first %d s after start-up (holds the first pruning): %d "
          "(involuntary %d)" % (SECONDS, marks[1][0] - marks[0][0],
                                marks[1][1] - marks[0][1]))
    print("   next %d s:                                        %d "
          "(involuntary %d)" % (SECONDS, marks[2][0] - marks[1][0],
                                marks[2][1] - marks[1][1]))


def part5():
    d = os.path.join(TMP, "p5")
    conf = write_conf(d, header(d) + idle_jobs(BIG))
    ts = []
    for _ in range(3):
        p, t = start(conf, d)
        stop(p)
        ts.append(t)
    ts.sort()
    print("5. start-up with %d jobs (exec to socket): min %s  median %s  "
          "max %s" % (BIG, ms(ts[0]), ms(ts[1]), ms(ts[2])))


for n, fn in (("1", part1), ("2", part2), ("3", part3), ("4", part4),
              ("5", part5)):
    if n in ONLY:
        fn()
        sys.stdout.flush()
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
