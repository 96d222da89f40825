/*
 * Fills a history database for benchmarks: jobs firing hourly, interleaved
 * in time as a daemon would write them, with a realistic mix of outcomes,
 * retries and events. One transaction and two prepared statements; the
 * schema comes from lc_history_open, so it is always the real one.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "history_gen.h"

#define HOUR_MS		(3600LL * 1000)
#define BOOT_ID		"5b1b7a57-0000-4000-8000-0000b0071d00"

struct gen {
	sqlite3				*db;
	sqlite3_stmt			*run;
	sqlite3_stmt			*event;
	uint64_t			 x;
	const struct gen_history_opts	*o;
	struct gen_history_stats	*s;
};

/* One row of runs as the generator builds it. */
struct row {
	char			 id[LC_UUID_BUFSZ];
	const char		*fire_id;
	const char		*job;
	enum lc_run_trigger	 trigger;
	int			 attempt;
	int64_t			 sched, started, finished;
	enum lc_run_status	 status;
	int			 exit_code, signal;
	const char		*error, *output;
};

static const char sql_run[] =
	"INSERT INTO runs (id, fire_id, job, \"trigger\", attempt, scheduled_at,"
	" started_at, finished_at, duration_ms, status, exit_code, signal,"
	" host, boot_id, supervisor_pid, supervisor_start, error, output)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	" 'bench-host', '" BOOT_ID "', ?13, ?14, ?15, ?16)";
static const char sql_event[] =
	"INSERT INTO events (run, at, kind, detail) VALUES (?1, ?2, ?3, ?4)";

static const char out_ok[] =
	"loaded 1843 rows into warehouse.sales in 2.4s\n";
static const char out_fail[] =
	"Traceback (most recent call last):\n"
	"  File \"/opt/etl/load.py\", line 88, in <module>\n"
	"    main()\n"
	"  File \"/opt/etl/load.py\", line 61, in main\n"
	"    conn = connect(DSN)\n"
	"psycopg2.OperationalError: could not connect to server: "
	"Connection refused\n";

void
gen_history_init(struct gen_history_opts *o)
{
	o->runs = 1000000;
	o->jobs = 1000;
	o->now = 1795485600000LL;	/* 2026-11-24T02:00:00Z */
	o->seed = 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: fast and reproducible. */
static uint64_t
rnd(struct gen *g)
{
	g->x ^= g->x >> 12;
	g->x ^= g->x << 25;
	g->x ^= g->x >> 27;
	return (g->x * 0x2545f4914f6cdd1dULL);
}

static int64_t
between(struct gen *g, int64_t lo, int64_t hi)
{
	return (lo + (int64_t)(rnd(g) % (uint64_t)(hi - lo + 1)));
}

/* A version 4 UUID from the generator's own random numbers. */
static void
gen_uuid(struct gen *g, char buf[LC_UUID_BUFSZ])
{
	uint64_t	 a = rnd(g), b = rnd(g);

	a = (a & ~0xf000ULL) | 0x4000ULL;
	b = (b & ~(3ULL << 62)) | (2ULL << 62);
	snprintf(buf, LC_UUID_BUFSZ, "%08x-%04x-%04x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xffff),
	    (unsigned)(a & 0xffff), (unsigned)(b >> 48),
	    (unsigned long long)(b & 0xffffffffffffULL));
}

static int
step(struct gen *g, sqlite3_stmt *st, char **cause)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		lc_set_cause(cause, "insert: %s", sqlite3_errmsg(g->db));
		return (-1);
	}
	return (0);
}

static int
add_event(struct gen *g, const struct row *r, int64_t at,
    enum lc_event_kind kind, const char *detail, char **cause)
{
	sqlite3_bind_text(g->event, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(g->event, 2, at);
	sqlite3_bind_text(g->event, 3, lc_history_event_name(kind), -1,
	    SQLITE_STATIC);
	if (detail != NULL)
		sqlite3_bind_text(g->event, 4, detail, -1, SQLITE_STATIC);
	g->s->events++;
	return (step(g, g->event, cause));
}

static int
add_row(struct gen *g, const struct row *r, char **cause)
{
	sqlite3_stmt	*st = g->run;

	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->fire_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, lc_history_trigger_name(r->trigger), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->attempt);
	sqlite3_bind_int64(st, 6, r->sched);
	if (r->started != LC_HISTORY_NONE) {
		sqlite3_bind_int64(st, 7, r->started);
		sqlite3_bind_int64(st, 13, 1000 + (int64_t)(rnd(g) % 60000));
		sqlite3_bind_int64(st, 14, (int64_t)(rnd(g) % 100000000));
	}
	if (r->finished != LC_HISTORY_NONE) {
		sqlite3_bind_int64(st, 8, r->finished);
		if (r->started != LC_HISTORY_NONE)
			sqlite3_bind_int64(st, 9, r->finished - r->started);
	}
	sqlite3_bind_text(st, 10, lc_history_status_name(r->status), -1,
	    SQLITE_STATIC);
	if (r->exit_code >= 0)
		sqlite3_bind_int(st, 11, r->exit_code);
	if (r->signal > 0)
		sqlite3_bind_int(st, 12, r->signal);
	if (r->error != NULL)
		sqlite3_bind_text(st, 15, r->error, -1, SQLITE_STATIC);
	if (r->output != NULL)
		sqlite3_bind_text(st, 16, r->output, -1, SQLITE_STATIC);
	g->s->runs++;
	return (step(g, st, cause));
}

/* The outcome of an attempt, per mille: mostly successes. */
static enum lc_run_status
pick_status(struct gen *g)
{
	static const struct {
		int			 upto;
		enum lc_run_status	 status;
	} mix[] = {
		{ 880, LC_RUN_SUCCEEDED }, { 930, LC_RUN_FAILED },
		{ 940, LC_RUN_TIMED_OUT }, { 970, LC_RUN_SKIPPED },
		{ 980, LC_RUN_MISSED }, { 985, LC_RUN_LAUNCH_ERROR },
		{ 990, LC_RUN_SECRET_ERROR }, { 995, LC_RUN_KILLED },
		{ 1000, LC_RUN_LOST }
	};
	int	 p = (int)(rnd(g) % 1000);
	size_t	 i;

	for (i = 0; i < LC_NELEM(mix) - 1 && p >= mix[i].upto; i++)
		;
	return (mix[i].status);
}

/* Fills in times, exit, error and output for r's status. */
static void
shape(struct gen *g, struct row *r)
{
	r->started = r->finished = LC_HISTORY_NONE;
	r->exit_code = -1;
	r->signal = 0;
	r->error = r->output = NULL;
	if (r->status == LC_RUN_MISSED || r->status == LC_RUN_SKIPPED) {
		r->error = r->status == LC_RUN_SKIPPED ? "lock busy" : NULL;
		if (r->status == LC_RUN_SKIPPED)
			r->finished = r->sched + between(g, 2, 30);
		return;
	}
	r->started = r->sched + between(g, 2, 40);
	r->finished = r->started + between(g, 50, 600000);
	switch (r->status) {
	case LC_RUN_SUCCEEDED:
		r->exit_code = 0;
		r->output = rnd(g) % 10 < 3 ? out_ok : NULL;
		break;
	case LC_RUN_FAILED:
		r->exit_code = (int)between(g, 1, 3);
		r->output = out_fail;
		break;
	case LC_RUN_TIMED_OUT:
		r->signal = 15;
		r->error = "timed out after 10m";
		break;
	case LC_RUN_KILLED:
		r->signal = 9;
		break;
	case LC_RUN_LAUNCH_ERROR:
		r->error = "exec /opt/etl/load.py: No such file or directory";
		break;
	case LC_RUN_SECRET_ERROR:
		r->error = "keystore vault: HTTP 503 from /v1/secret/data/etl";
		break;
	case LC_RUN_LOST:
		r->error = "supervisor pid 4242 is gone";
		r->finished = r->started + 3600000;
		break;
	case LC_RUN_RUNNING:
		r->finished = LC_HISTORY_NONE;
		break;
	default:
		break;
	}
}

/* The run's events, in the order a supervisor writes them. */
static int
add_events(struct gen *g, const struct row *r, int retried, char **cause)
{
	char	 detail[32];
	int	 rc = 0;

	if (r->status == LC_RUN_MISSED)
		return (0);
	rc |= add_event(g, r, r->sched + 1, LC_EVENT_QUEUED, NULL, cause);
	if (r->status == LC_RUN_SKIPPED)
		return (rc);
	rc |= add_event(g, r, r->started - 1, LC_EVENT_LOCK_ACQUIRED, NULL,
	    cause);
	if (r->status == LC_RUN_LAUNCH_ERROR ||
	    r->status == LC_RUN_SECRET_ERROR)
		return (rc);
	rc |= add_event(g, r, r->started, LC_EVENT_STARTED, "pid 31337", cause);
	if (r->status == LC_RUN_RUNNING || r->status == LC_RUN_LOST)
		return (rc);
	if (r->status == LC_RUN_TIMED_OUT) {
		rc |= add_event(g, r, r->finished - 10, LC_EVENT_TIMEOUT, NULL,
		    cause);
		rc |= add_event(g, r, r->finished - 1,
		    LC_EVENT_KILLED_DESCENDANTS, "2", cause);
	}
	if (r->signal > 0)
		snprintf(detail, sizeof detail, "signal %d", r->signal);
	else
		snprintf(detail, sizeof detail, "exit %d", r->exit_code);
	rc |= add_event(g, r, r->finished, LC_EVENT_EXITED, detail, cause);
	if (retried)
		rc |= add_event(g, r, r->finished + 1, LC_EVENT_RETRY_SCHEDULED,
		    "attempt 2", cause);
	return (rc);
}

/* One fire of job at sched: its first attempt and maybe a retry. */
static int
one_fire(struct gen *g, const char *job, int64_t sched, int running,
    char **cause)
{
	struct row	 r, retry;
	int		 retried;

	memset(&r, 0, sizeof r);
	gen_uuid(g, r.id);
	r.fire_id = r.id;
	r.job = job;
	r.trigger = LC_TRIGGER_SCHEDULE;
	r.attempt = 1;
	r.sched = sched;
	r.status = running ? LC_RUN_RUNNING : pick_status(g);
	shape(g, &r);
	retried = (r.status == LC_RUN_FAILED || r.status == LC_RUN_TIMED_OUT) &&
	    rnd(g) % 2 == 0 && g->s->runs + 1 < g->o->runs;
	if (add_row(g, &r, cause) != 0 || add_events(g, &r, retried, cause))
		return (-1);
	if (!retried)
		return (0);
	retry = r;
	gen_uuid(g, retry.id);
	retry.trigger = LC_TRIGGER_RETRY;
	retry.attempt = 2;
	retry.status = rnd(g) % 10 < 8 ? LC_RUN_SUCCEEDED : LC_RUN_FAILED;
	shape(g, &retry);
	retry.started += r.finished - r.sched + 60000;
	retry.finished += r.finished - r.sched + 60000;
	if (add_row(g, &retry, cause) != 0 ||
	    add_events(g, &retry, 0, cause) != 0)
		return (-1);
	return (0);
}

/* Every job fires hourly, at its own minute, until the rows are made. */
static int
fill(struct gen *g, char **cause)
{
	char	**names;
	int64_t	  fires, start, f;
	int	  j, rc = 0;

	names = xcalloc((size_t)g->o->jobs, sizeof *names);
	for (j = 0; j < g->o->jobs; j++)
		xasprintf(&names[j], "job-%04d", j);
	fires = (g->o->runs + g->o->jobs - 1) / g->o->jobs;
	start = g->o->now - fires * HOUR_MS;
	for (f = 0; f < fires && rc == 0; f++) {
		for (j = 0; j < g->o->jobs && rc == 0; j++) {
			if (g->s->runs >= g->o->runs)
				break;
			/* The last round leaves a few runs running. */
			rc = one_fire(g, names[j], start + f * HOUR_MS +
			    (j % 60) * 60000, j % 50 == 0 &&
			    g->s->runs >= g->o->runs - g->o->jobs, cause);
		}
	}
	for (j = 0; j < g->o->jobs; j++)
		free(names[j]);
	free(names);
	return (rc);
}

/* A bulk load: no rollback journal needed, WAL again at the end. */
static int
open_raw(struct gen *g, const char *path, char **cause)
{
	if (sqlite3_open(path, &g->db) != SQLITE_OK ||
	    sqlite3_exec(g->db, "PRAGMA journal_mode = OFF;"
	    "PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576;"
	    "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, sql_run, -1, &g->run, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, sql_event, -1, &g->event, NULL) !=
	    SQLITE_OK) {
		lc_set_cause(cause, "%s: %s", path, sqlite3_errmsg(g->db));
		return (-1);
	}
	return (0);
}

int
gen_history_fill(const char *path, const struct gen_history_opts *o,
    struct gen_history_stats *s, char **cause)
{
	struct lc_history	*h;
	struct gen		 g;
	int64_t			 t0 = lc_mono_ms();
	int			 rc;

	memset(s, 0, sizeof *s);
	memset(&g, 0, sizeof g);
	g.o = o;
	g.s = s;
	g.x = o->seed != 0 ? o->seed : 1;
	if ((h = lc_history_open(path, 0, NULL, cause)) == NULL)
		return (-1);
	lc_history_close(h);
	h = NULL;
	rc = open_raw(&g, path, cause);
	if (rc == 0 && sqlite3_exec(g.db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = -1;
	if (rc == 0)
		rc = fill(&g, cause);
	if (rc == 0 && sqlite3_exec(g.db, "COMMIT;"
	    "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		lc_set_cause(cause, "%s: %s", path, sqlite3_errmsg(g.db));
		rc = -1;
	}
	sqlite3_finalize(g.run);
	sqlite3_finalize(g.event);
	sqlite3_close(g.db);
	/* As lockcron leaves it: -wal and -shm in place for readers. */
	if (rc == 0 && (h = lc_history_open(path, 0, NULL, cause)) == NULL)
		rc = -1;
	lc_history_close(h);
	s->seconds = (double)(lc_mono_ms() - t0) / 1000;
	return (rc);
}
