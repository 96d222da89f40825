/*
 * Generated history databases for benchmarks. The schema is the history
 * module's own (the file is created by lc_history_open); rows are written
 * with two prepared statements in one transaction, journal off, in the
 * order a daemon would have written them (oldest fire first, all jobs
 * interleaved). Each fire's fate is a hash of (seed, job, hour), so the
 * generator can plan each job's first hour and still write in time order.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "histgen.h"

#define HOUR_MS		(3600LL * 1000)

enum fate { F_OK, F_FAIL_RETRY, F_FAIL, F_TIMEOUT, F_KILLED, F_SKIPPED,
    F_MISSED, F_LOST, F_LAUNCH, F_SECRET, F_CANCELLED, F_RUNNING };

struct gen {
	const struct histgen_opts	*o;
	sqlite3				*db;
	sqlite3_stmt			*run;
	sqlite3_stmt			*ev;
	uint64_t			 rng;
	int64_t				 nruns;
	int64_t				 nevents;
	char				*cause;
};

/* One run to write. */
struct row {
	char		 id[LC_UUID_BUFSZ];
	const char	*fire_id;
	int		 job;
	const char	*trigger;
	int		 attempt;
	int64_t		 scheduled_at;
	int64_t		 started_at;	/* LC_HISTORY_NONE: NULL */
	int64_t		 duration_ms;
	const char	*status;
	int		 exit_code;	/* -1: NULL */
	int		 signal;
	const char	*error;
};

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

static uint64_t
next_rand(struct gen *g)
{
	return (mix(g->rng++));
}

void
histgen_init(struct histgen_opts *o)
{
	o->runs = 1000000;
	o->jobs = 1000;
	o->now = 1795478400000LL;	/* 2026-11-24T00:00:00Z */
	o->seed = 1;
}

const char *
histgen_job(int i)
{
	static char	 name[32];

	snprintf(name, sizeof name, "job-%04d", i);
	return (name);
}

/* The last 7% of fates, evenly. */
static const enum fate rare[] = { F_FAIL, F_FAIL, F_FAIL, F_TIMEOUT,
    F_TIMEOUT, F_KILLED, F_SKIPPED, F_SKIPPED, F_SKIPPED, F_MISSED, F_MISSED,
    F_LOST, F_LAUNCH, F_SECRET, F_CANCELLED, F_OK };

/* A fire's fate: mostly success, streaks at the end of some jobs. */
static enum fate
fate(const struct gen *g, int j, int64_t hour, int64_t last_hour)
{
	unsigned	 p;

	if (j == g->o->jobs - 1)
		return (F_FAIL);		/* never succeeded */
	if (j % 97 == 0 && hour > last_hour - 3)
		return (F_FAIL);		/* a streak of 3 */
	if (j % 250 == 1 && hour == last_hour)
		return (F_RUNNING);
	p = (unsigned)(mix(g->o->seed ^ mix((uint64_t)j << 32 ^
	    (uint64_t)hour)) % 1000);
	if (p < 900)
		return (F_OK);
	if (p < 930)
		return (F_FAIL_RETRY);
	return (rare[(p - 930) * LC_NELEM(rare) / 70]);
}

static void
uuid(struct gen *g, char buf[LC_UUID_BUFSZ])
{
	uint64_t	 a = next_rand(g), b = next_rand(g);

	snprintf(buf, LC_UUID_BUFSZ, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
	    (unsigned long long)(b & 0xffffffffffffULL));
}

static int
step(struct gen *g, sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		lc_set_cause(&g->cause, "insert: %s", sqlite3_errmsg(g->db));
		return (-1);
	}
	return (0);
}

static int
event(struct gen *g, const char *run, int64_t at, const char *kind,
    const char *detail)
{
	sqlite3_bind_text(g->ev, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(g->ev, 2, at);
	sqlite3_bind_text(g->ev, 3, kind, -1, SQLITE_STATIC);
	if (detail != NULL)
		sqlite3_bind_text(g->ev, 4, detail, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(g->ev, 4);
	g->nevents++;
	return (step(g, g->ev));
}

static void
bind_opt_int(sqlite3_stmt *st, int i, int64_t v, int present)
{
	if (present)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* The output tail a run keeps: a few lines, longer for failures. */
static void
output(struct gen *g, const struct row *r, char *buf, size_t len)
{
	unsigned	 n = (unsigned)(next_rand(g) % 100000);

	if (strcmp(r->status, "succeeded") == 0)
		snprintf(buf, len, "starting %s\nprocessed %u rows in %lld ms\n"
		    "done\n", histgen_job(r->job), n,
		    (long long)r->duration_ms);
	else
		snprintf(buf, len, "starting %s\nprocessed %u rows\n"
		    "ERROR: connection to db-%u.example.com:5432 refused\n"
		    "Traceback (most recent call last):\n  File \"/opt/batch/"
		    "task.py\", line 42, in main\nConnectionRefusedError: "
		    "[Errno 111] Connection refused\n", histgen_job(r->job), n,
		    n % 8);
}

static int
insert_run(struct gen *g, const struct row *r)
{
	sqlite3_stmt	*st = g->run;
	char		 out[512];
	int		 started = r->started_at != LC_HISTORY_NONE;
	int		 finished = started && strcmp(r->status, "running") != 0;

	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->fire_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, histgen_job(r->job), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->trigger, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->attempt);
	sqlite3_bind_int64(st, 6, r->scheduled_at);
	bind_opt_int(st, 7, r->started_at, started);
	bind_opt_int(st, 8, r->started_at + r->duration_ms, finished);
	bind_opt_int(st, 9, r->duration_ms, finished);
	sqlite3_bind_text(st, 10, r->status, -1, SQLITE_STATIC);
	bind_opt_int(st, 11, r->exit_code, r->exit_code != -1);
	bind_opt_int(st, 12, r->signal, r->signal != 0);
	sqlite3_bind_text(st, 13, "bench-01", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, "6f1c1e0a-5b7e-4d6c-9a51-0d2b8c7e4f10", -1,
	    SQLITE_STATIC);
	bind_opt_int(st, 15, 1000 + (int64_t)(next_rand(g) % 30000), started);
	bind_opt_int(st, 16, (int64_t)(next_rand(g) % 100000000), started);
	if (r->error != NULL)
		sqlite3_bind_text(st, 17, r->error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 17);
	if (finished) {
		output(g, r, out, sizeof out);
		sqlite3_bind_text(st, 18, out, -1, SQLITE_TRANSIENT);
	} else
		sqlite3_bind_null(st, 18);
	g->nruns++;
	return (step(g, st));
}

/* The events of a run that went through the supervisor. */
static int
run_events(struct gen *g, const struct row *r, int retry_next)
{
	char	 d[64];
	int64_t	 t = r->scheduled_at;
	int	 rc = 0;

	rc |= event(g, r->id, t, "scheduled", r->trigger);
	rc |= event(g, r->id, t + 2, "queued", NULL);
	if (strcmp(r->status, "skipped") == 0)
		return (rc);
	snprintf(d, sizeof d, "/var/lib/lockcron/locks/%s.lock",
	    histgen_job(r->job));
	rc |= event(g, r->id, t + 4, "lock_acquired", d);
	if (r->started_at == LC_HISTORY_NONE)
		return (rc);
	snprintf(d, sizeof d, "pid %u", 2000 + (unsigned)(next_rand(g) % 60000));
	rc |= event(g, r->id, r->started_at, "started", d);
	if (strcmp(r->status, "running") == 0)
		return (rc);
	if (strcmp(r->status, "timed_out") == 0)
		rc |= event(g, r->id, r->started_at + r->duration_ms - 1,
		    "timeout", NULL);
	if (r->signal != 0)
		snprintf(d, sizeof d, "signal %d", r->signal);
	else
		snprintf(d, sizeof d, "exit %d", r->exit_code);
	rc |= event(g, r->id, r->started_at + r->duration_ms, "exited", d);
	if (retry_next)
		rc |= event(g, r->id, r->started_at + r->duration_ms + 1,
		    "retry_scheduled", "attempt 2 in 60s");
	return (rc);
}

/* Sets a row's outcome from its fate. */
static void
outcome(struct gen *g, struct row *r, enum fate f)
{
	static const struct {
		const char	*status;
		int		 exit_code, signal, started;
		const char	*error;
	} t[] = {
		[F_OK] = { "succeeded", 0, 0, 1, NULL },
		[F_FAIL_RETRY] = { "failed", 1, 0, 1, "exit status 1" },
		[F_FAIL] = { "failed", 2, 0, 1, "exit status 2" },
		[F_TIMEOUT] = { "timed_out", -1, 15, 1,
		    "timed out after 2h; killed with SIGTERM" },
		[F_KILLED] = { "killed", -1, 9, 1, "killed by signal 9" },
		[F_SKIPPED] = { "skipped", -1, 0, 0, "lock busy" },
		[F_MISSED] = { "missed", -1, 0, 0, "lockcrond was not running" },
		[F_LOST] = { "lost", -1, 0, 1, "supervisor died" },
		[F_LAUNCH] = { "launch_error", -1, 0, 0,
		    "/opt/batch/bin/task: no such file" },
		[F_SECRET] = { "secret_error", -1, 0, 0,
		    "keystore vault: HTTP 503" },
		[F_CANCELLED] = { "cancelled", -1, 15, 1, "cancelled by root" },
		[F_RUNNING] = { "running", -1, 0, 1, NULL },
	};
	uint64_t	 x = next_rand(g);

	r->status = t[f].status;
	r->exit_code = t[f].exit_code;
	r->signal = t[f].signal;
	r->error = t[f].error;
	r->started_at = t[f].started ? r->scheduled_at + 5 : LC_HISTORY_NONE;
	r->duration_ms = 200 + (int64_t)(x % 60000);
	if (x % 100 == 0)
		r->duration_ms += (int64_t)(x >> 8) % (3600LL * 1000);
	if (f == F_TIMEOUT)
		r->duration_ms = 2 * HOUR_MS;
}

/* One fire of job j at hour: one run, or a failure and its retry. */
static int
fire(struct gen *g, int j, int64_t hour, int64_t last_hour, int budget)
{
	struct row	 r, retry;
	enum fate	 f = fate(g, j, hour, last_hour);
	int		 retried = f == F_FAIL_RETRY && budget >= 2;

	memset(&r, 0, sizeof r);
	uuid(g, r.id);
	r.fire_id = r.id;
	r.job = j;
	r.trigger = "schedule";
	r.attempt = 1;
	r.scheduled_at = hour * HOUR_MS + (j % 60) * 60000LL;
	outcome(g, &r, f);
	if (f == F_MISSED) {
		r.started_at = LC_HISTORY_NONE;
		return (insert_run(g, &r));
	}
	if (insert_run(g, &r) != 0 || run_events(g, &r, retried) != 0)
		return (-1);
	if (!retried)
		return (0);
	retry = r;
	uuid(g, retry.id);
	retry.fire_id = r.id;
	retry.trigger = "retry";
	retry.attempt = 2;
	outcome(g, &retry, next_rand(g) % 10 < 7 ? F_OK : F_FAIL);
	retry.started_at = r.started_at + r.duration_ms + 60000;
	return (insert_run(g, &retry) != 0 || run_events(g, &retry, 0) != 0 ?
	    -1 : 0);
}

/* Rows fire f of job j writes. */
static int
rows_of(const struct gen *g, int j, int64_t hour, int64_t last_hour)
{
	return (fate(g, j, hour, last_hour) == F_FAIL_RETRY ? 2 : 1);
}

/* Each job's first hour, so that its rows end at last_hour. */
static int64_t *
plan(const struct gen *g, int64_t last_hour, int *budget)
{
	int64_t	*first, hour;
	int	 j, left, n;

	first = xcalloc((size_t)g->o->jobs, sizeof *first);
	for (j = 0; j < g->o->jobs; j++) {
		left = budget[j];
		for (hour = last_hour; left > 0; hour--) {
			n = rows_of(g, j, hour, last_hour);
			left -= n < left ? n : left;
		}
		first[j] = hour + 1;
	}
	return (first);
}

static const char sql_run[] =
	"INSERT INTO runs (id, fire_id, job, \"trigger\", attempt,"
	" scheduled_at, started_at, finished_at, duration_ms, status,"
	" exit_code, signal, host, boot_id, supervisor_pid, supervisor_start,"
	" error, output) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
static const char sql_event[] =
	"INSERT INTO events (run, at, kind, detail) VALUES (?1, ?2, ?3, ?4)";

/* Every fire, oldest hour first, jobs interleaved. */
static int
fill(struct gen *g)
{
	int64_t	 last_hour = g->o->now / HOUR_MS - 1, hour, min, *first;
	int	*budget, j, n;
	int	 rc = 0;

	budget = xcalloc((size_t)g->o->jobs, sizeof *budget);
	for (j = 0; j < g->o->jobs; j++)
		budget[j] = (int)(g->o->runs / g->o->jobs +
		    (j < g->o->runs % g->o->jobs));
	first = plan(g, last_hour, budget);
	min = last_hour;
	for (j = 0; j < g->o->jobs; j++)
		if (first[j] < min)
			min = first[j];
	for (hour = min; hour <= last_hour && rc == 0; hour++) {
		for (j = 0; j < g->o->jobs && rc == 0; j++) {
			if (hour < first[j] || budget[j] == 0)
				continue;
			n = rows_of(g, j, hour, last_hour);
			rc = fire(g, j, hour, last_hour, budget[j]);
			budget[j] -= n < budget[j] ? n : budget[j];
		}
	}
	free(first);
	free(budget);
	return (rc);
}

static int
exec(struct gen *g, const char *sql)
{
	if (sqlite3_exec(g->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		lc_set_cause(&g->cause, "%s: %s", sql, sqlite3_errmsg(g->db));
		return (-1);
	}
	return (0);
}

int
histgen_fill(const char *path, const struct histgen_opts *o,
    struct histgen_stats *s, char **cause)
{
	struct lc_history	*h;
	struct timespec		 t0, t1;
	struct gen		 g;
	int			 rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((h = lc_history_open(path, 0, NULL, cause)) == NULL)
		return (-1);
	lc_history_close(h);
	memset(&g, 0, sizeof g);
	g.o = o;
	g.rng = mix(o->seed);
	if (sqlite3_open(path, &g.db) != SQLITE_OK) {
		lc_set_cause(cause, "%s: %s", path, sqlite3_errmsg(g.db));
		sqlite3_close(g.db);
		return (-1);
	}
	if (exec(&g, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	    "PRAGMA cache_size = -1000000; BEGIN") != 0)
		goto out;
	if (sqlite3_prepare_v2(g.db, sql_run, -1, &g.run, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g.db, sql_event, -1, &g.ev, NULL) != SQLITE_OK) {
		lc_set_cause(&g.cause, "prepare: %s", sqlite3_errmsg(g.db));
		goto out;
	}
	if (fill(&g) != 0 || exec(&g, "COMMIT") != 0 ||
	    exec(&g, "PRAGMA journal_mode = WAL") != 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(g.run);
	sqlite3_finalize(g.ev);
	sqlite3_close(g.db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->runs = g.nruns;
	s->events = g.nevents;
	s->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc != 0 && cause != NULL)
		*cause = g.cause;
	else
		free(g.cause);
	return (rc);
}
