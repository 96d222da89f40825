/*
 * Benchmark: the history CLI's main queries through the history API, on a
 * generated database of 1,000,000 runs over 1,000 jobs with their events
 * (bench/history_gen.c). Every sample opens a read-only handle, queries
 * and closes, as one `lockcron history|status|show|metrics` process does,
 * so the figures include opening the file and reading the schema.
 * Prints min / median / max per query.
 *
 * BENCH_HISTORY_DB=PATH reuses (or creates and keeps) a database there;
 * BENCH_HISTORY_RUNS and BENCH_HISTORY_JOBS change the size.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "history_gen.h"

#define NIDS	200

static const char out_tail[] = "loaded 1843 rows into warehouse.sales\n";

static char		 path[4096];
static char		 ids[NIDS][LC_UUID_BUFSZ];
static int		 njobs;
static uint64_t		 x = 88172645463325252ULL;
static volatile size_t	 sink;

static double
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 p = *(const double *)a, q = *(const double *)b;

	return ((p > q) - (p < q));
}

static unsigned
rnd(unsigned n)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return ((unsigned)(x % n));
}

static struct lc_history *
open_ro(void)
{
	struct lc_history	*h;
	char			*cause = NULL;

	if ((h = lc_history_open(path, LC_HISTORY_READONLY, NULL,
	    &cause)) == NULL) {
		fprintf(stderr, "bench_history: %s\n", cause);
		exit(1);
	}
	return (h);
}

static void
check(int rc, const char *what, char *cause)
{
	if (rc != 0) {
		fprintf(stderr, "bench_history: %s: %s\n", what, cause);
		exit(1);
	}
}

/* Opening and closing alone. */
static void
q_open(void)
{
	lc_history_close(open_ro());
}

/* lockcron history JOB --limit 20 */
static void
q_history_job(void)
{
	struct lc_history		*h = open_ro();
	struct lc_history_filter	 f;
	struct lc_run			*runs;
	char				 job[32], *cause = NULL;
	const char			*jobs[1] = { job };
	size_t				 n;

	snprintf(job, sizeof job, "job-%04u", rnd((unsigned)njobs));
	lc_history_filter_init(&f);
	f.jobs = jobs;
	f.njobs = 1;
	f.limit = 20;
	check(lc_history_list(h, &f, &runs, &n, &cause), "list", cause);
	sink += n;
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

/* lockcron history --limit 20 (every job) */
static void
q_history_all(void)
{
	struct lc_history		*h = open_ro();
	struct lc_history_filter	 f;
	struct lc_run			*runs;
	char				*cause = NULL;
	size_t				 n;

	lc_history_filter_init(&f);
	f.limit = 20;
	check(lc_history_list(h, &f, &runs, &n, &cause), "list", cause);
	sink += n;
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

/* lockcron history --status failed --limit 20 */
static void
q_history_failed(void)
{
	struct lc_history		*h = open_ro();
	struct lc_history_filter	 f;
	struct lc_run			*runs;
	char				*cause = NULL;
	size_t				 n;

	lc_history_filter_init(&f);
	f.statuses = LC_RUN_MASK(LC_RUN_FAILED);
	f.limit = 20;
	check(lc_history_list(h, &f, &runs, &n, &cause), "list", cause);
	sink += n;
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

/* lockcron status: every job's summary. */
static void
q_status(void)
{
	struct lc_history	*h = open_ro();
	struct lc_job_summary	 s;
	char			**jobs, *cause = NULL;
	size_t			  n, i;

	check(lc_history_jobs(h, &jobs, &n, &cause), "jobs", cause);
	for (i = 0; i < n; i++) {
		check(lc_history_summary(h, jobs[i], &s, &cause), "summary",
		    cause);
		sink += (size_t)s.consecutive_failures;
		lc_history_summary_clear(&s);
	}
	lc_history_jobs_free(jobs, n);
	lc_history_close(h);
}

/* lockcron show RUN, by an 8-character prefix. */
static void
q_show(void)
{
	struct lc_history	*h = open_ro();
	struct lc_run		 r;
	struct lc_event		*ev;
	char			 prefix[9], *cause = NULL;
	size_t			 n;

	snprintf(prefix, sizeof prefix, "%s", ids[rnd(NIDS)]);
	check(lc_history_run_get(h, prefix, &r, NULL, NULL, &cause), "get",
	    cause);
	check(lc_history_events(h, r.id, &ev, &n, &cause), "events", cause);
	sink += n + r.output_len;
	lc_history_events_free(ev, n);
	lc_history_run_clear(&r);
	lc_history_close(h);
}

/* lockcron metrics: counts by job and status, and each job's last run. */
static void
q_metrics(void)
{
	struct lc_history	*h = open_ro();
	struct lc_history_count	*c;
	struct lc_job_summary	 s;
	char			**jobs, *cause = NULL;
	size_t			  n, nj, i;

	check(lc_history_counts(h, &c, &n, &cause), "counts", cause);
	sink += n;
	lc_history_counts_free(c, n);
	check(lc_history_jobs(h, &jobs, &nj, &cause), "jobs", cause);
	for (i = 0; i < nj; i++) {
		check(lc_history_summary(h, jobs[i], &s, &cause), "summary",
		    cause);
		lc_history_summary_clear(&s);
	}
	lc_history_jobs_free(jobs, nj);
	lc_history_close(h);
}

/* Counts alone. */
static void
q_counts(void)
{
	struct lc_history	*h = open_ro();
	struct lc_history_count	*c;
	char			*cause = NULL;
	size_t			 n;

	check(lc_history_counts(h, &c, &n, &cause), "counts", cause);
	sink += n;
	lc_history_counts_free(c, n);
	lc_history_close(h);
}

static struct lc_history	*wh;		/* the write benchmarks' handle */
static char			 wpath[4200];

static void
wcheck(int rc, char *cause)
{
	check(rc, "write", cause);
}

/* A writer's open + close (the daemon does one per wake-up). */
static void
w_open(void)
{
	char	*cause = NULL;

	lc_history_close(wh);
	if ((wh = lc_history_open(wpath, 0, NULL, &cause)) == NULL)
		wcheck(-1, cause);
}

/* One run as a supervisor writes it: queued, running, 4 events, end;
 * each write its own transaction. */
static void
w_run(void)
{
	struct lc_run		 r;
	struct lc_run_end	 e;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	lc_history_run_init(&r);
	r.job = "job-0001";
	r.scheduled_at = lc_now_ms();
	wcheck(lc_history_run_insert(wh, &r, id, &cause), cause);
	wcheck(lc_history_run_running(wh, id, 0, LC_HISTORY_NONE, &cause),
	    cause);
	wcheck(lc_history_event_add(wh, id, LC_EVENT_LOCK_ACQUIRED,
	    LC_HISTORY_NONE, NULL, &cause), cause);
	wcheck(lc_history_event_add(wh, id, LC_EVENT_STARTED, LC_HISTORY_NONE,
	    "pid 1", &cause), cause);
	lc_history_end_init(&e, LC_RUN_SUCCEEDED);
	e.exit_code = 0;
	e.output = out_tail;
	e.output_len = sizeof out_tail - 1;
	wcheck(lc_history_begin(wh, &cause), cause);
	wcheck(lc_history_run_finish(wh, id, &e, &cause), cause);
	wcheck(lc_history_event_add(wh, id, LC_EVENT_EXITED, LC_HISTORY_NONE,
	    "exit 0", &cause), cause);
	wcheck(lc_history_commit(wh, &cause), cause);
}

/* A daemon wake-up with 1,000 jobs due: every queued row and job_state
 * update in one transaction. */
static void
w_wakeup(void)
{
	struct lc_run		 r;
	struct lc_job_state	 js;
	char			 id[LC_UUID_BUFSZ], job[32], *cause = NULL;
	int			 i;

	lc_history_run_init(&r);
	lc_history_state_init(&js);
	r.job = js.job = job;
	r.scheduled_at = js.last_fire_at = lc_now_ms();
	wcheck(lc_history_begin(wh, &cause), cause);
	for (i = 0; i < 1000; i++) {
		snprintf(job, sizeof job, "job-%04d", i);
		wcheck(lc_history_run_insert(wh, &r, id, &cause), cause);
		wcheck(lc_history_event_add(wh, id, LC_EVENT_QUEUED,
		    LC_HISTORY_NONE, NULL, &cause), cause);
		wcheck(lc_history_state_put(wh, &js, &cause), cause);
	}
	wcheck(lc_history_commit(wh, &cause), cause);
}

/*
 * Wall-clock min / median / max, and the median CPU time, which a busy
 * machine inflates less than the wall clock.
 */
static void
bench(const char *name, void (*fn)(void), int reps, double target)
{
	double	*t, *cpu, t0, c0;
	int	 i;

	t = xcalloc((size_t)reps, sizeof *t);
	cpu = xcalloc((size_t)reps, sizeof *cpu);
	fn();	/* warm the page cache */
	for (i = 0; i < reps; i++) {
		t0 = clock_ms(CLOCK_MONOTONIC);
		c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
		fn();
		cpu[i] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		t[i] = clock_ms(CLOCK_MONOTONIC) - t0;
	}
	qsort(t, (size_t)reps, sizeof *t, cmp_double);
	qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
	printf("%-28s %8.2f %8.2f %8.2f %8.2f %6d", name, t[0], t[reps / 2],
	    t[reps - 1], cpu[reps / 2], reps);
	free(cpu);
	if (target > 0)
		printf("   < %.0f ms", target);
	printf("\n");
	free(t);
}

/* Run ids spread over the file, for show. */
static void
sample_ids(void)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 n = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT id FROM runs WHERE "
	    "rowid % (SELECT max(rowid) / 200 + 1 FROM runs) = 1", -1, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_history: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	while (n < NIDS && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(ids[n], sizeof ids[n], "%s",
		    (const char *)sqlite3_column_text(st, 0));
		n++;
	}
	for (; n > 0 && n < NIDS; n++)
		memcpy(ids[n], ids[n % 7], sizeof ids[n]);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Makes the database unless BENCH_HISTORY_DB names an existing one. */
static int
prepare(int *keep)
{
	struct gen_history_opts		 o;
	struct gen_history_stats	 s;
	struct stat			 sb;
	const char			*env, *tmp;
	char				*cause = NULL;

	gen_history_init(&o);
	if ((env = getenv("BENCH_HISTORY_RUNS")) != NULL)
		o.runs = atoll(env);
	if ((env = getenv("BENCH_HISTORY_JOBS")) != NULL)
		o.jobs = atoi(env);
	njobs = o.jobs;
	*keep = (env = getenv("BENCH_HISTORY_DB")) != NULL;
	if (*keep)
		snprintf(path, sizeof path, "%s", env);
	else {
		tmp = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/lockcron-bench.XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(path) == NULL)
			return (-1);
		strncat(path, "/history.db", sizeof path - strlen(path) - 1);
	}
	if (*keep && stat(path, &sb) == 0) {
		printf("reusing %s (%.0f MB)\n", path, sb.st_size / 1e6);
		return (0);
	}
	if (gen_history_fill(path, &o, &s, &cause) != 0) {
		fprintf(stderr, "bench_history: %s\n", cause);
		return (-1);
	}
	stat(path, &sb);
	printf("generated %lld runs, %lld events over %d jobs in %.1f s "
	    "(%.0f MB)\n", (long long)s.runs, (long long)s.events, o.jobs,
	    s.seconds, sb.st_size / 1e6);
	return (0);
}

/* Removes a database and its -wal and -shm. */
static void
cleanup_db(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char	 p[4300];
	size_t	 i;

	for (i = 0; i < LC_NELEM(suffixes); i++) {
		snprintf(p, sizeof p, "%s%s", db, suffixes[i]);
		unlink(p);
	}
}

/* Removes the generated files and their directory. */
static void
cleanup(void)
{
	cleanup_db(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

int
main(void)
{
	int	 keep;

	if (prepare(&keep) != 0)
		return (1);
	sample_ids();
	printf("%-28s %8s %8s %8s %8s %6s   %s\n", "query (open+query+close)",
	    "min ms", "median", "max", "cpu med", "runs", "target");
	bench("open + close", q_open, 200, 0);
	bench("history JOB --limit 20", q_history_job, 200, 20);
	bench("history --limit 20", q_history_all, 200, 0);
	bench("history --status failed", q_history_failed, 200, 0);
	bench("show RUN (prefix) + events", q_show, 200, 20);
	bench("status (every job)", q_status, 21, 150);
	bench("counts by job and status", q_counts, 21, 0);
	bench("metrics (counts + status)", q_metrics, 21, 200);

	/* Writes, on a new file beside the generated one. */
	snprintf(wpath, sizeof wpath, "%s.writes", path);
	w_open();
	printf("%-28s %8s %8s %8s %8s %6s\n", "writes (new file)", "min ms",
	    "median", "max", "cpu med", "runs");
	bench("writer open + close", w_open, 200, 0);
	bench("one run: 6 writes, 5 txns", w_run, 500, 0);
	bench("wake-up: 1,000 fires, 1 txn", w_wakeup, 11, 0);
	lc_history_close(wh);
	cleanup_db(wpath);
	if (!keep)
		cleanup();
	return (0);
}
