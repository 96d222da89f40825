/*
 * Pruning the history: finished runs older than keep_days, or beyond the
 * keep_runs newest of their job, go with their events. Each batch of runs
 * is its own short write transaction, so the daemon and the supervisors
 * never wait behind a prune for long. Queued and running rows stay.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "history-int.h"

#define DAY_MS		(86400LL * 1000)
#define FINISHED	" AND status NOT IN ('queued', 'running')"

/*
 * The runs a pass deletes. ?1 is the keep_days cutoff (NULL: none); the
 * keep_runs pass leaves the rows before it to the keep_days pass, so a dry
 * run does not count them twice. ?2 to ?5 are the job and its oldest kept
 * run (scheduled_at, attempt, rowid); ?9 the batch size.
 */
#define COND_DAYS "scheduled_at < ?1" FINISHED
#define COND_RUNS "job = ?2 AND (scheduled_at < ?3 OR (scheduled_at = ?3"	\
	" AND (attempt < ?4 OR (attempt = ?4 AND rowid < ?5))))" FINISHED	\
	" AND (?1 IS NULL OR scheduled_at >= ?1)"

struct pass {
	const char	*fill;		/* the next batch into temp.prune_batch */
	const char	*count_runs;
	const char	*count_events;
};

static const struct pass pass_days = {
	"INSERT INTO temp.prune_batch (id) SELECT id FROM runs WHERE "
	COND_DAYS " ORDER BY scheduled_at LIMIT ?9",
	"SELECT count(*) FROM runs WHERE " COND_DAYS,
	"SELECT count(*) FROM events WHERE run IN"
	" (SELECT id FROM runs WHERE " COND_DAYS ")"
};
static const struct pass pass_runs = {
	"INSERT INTO temp.prune_batch (id) SELECT id FROM runs WHERE "
	COND_RUNS " LIMIT ?9",
	"SELECT count(*) FROM runs WHERE " COND_RUNS,
	"SELECT count(*) FROM events WHERE run IN"
	" (SELECT id FROM runs WHERE " COND_RUNS ")"
};

static const char sql_temp[] =
	"CREATE TEMP TABLE IF NOT EXISTS prune_batch (id TEXT PRIMARY KEY)";
static const char sql_clear[] = "DELETE FROM temp.prune_batch";
static const char sql_del_events[] =
	"DELETE FROM events WHERE run IN (SELECT id FROM temp.prune_batch)";
static const char sql_del_runs[] =
	"DELETE FROM runs WHERE id IN (SELECT id FROM temp.prune_batch)";
static const char sql_cutoff[] =
	"SELECT scheduled_at, attempt, rowid FROM runs WHERE job = ?1"
	" ORDER BY scheduled_at DESC, attempt DESC, rowid DESC"
	" LIMIT 1 OFFSET ?2";

/* The values a pass's statements take (unused ones are ignored). */
struct bounds {
	int64_t		 days_cutoff;	/* LC_HISTORY_NONE: none */
	const char	*job;
	int64_t		 sched, attempt, rowid;
	int64_t		 batch;
};

static void
bind_bounds(sqlite3_stmt *st, const struct bounds *b)
{
	history_bind_int64(st, 1, b->days_cutoff);
	history_bind_text(st, 2, b->job);
	sqlite3_bind_int64(st, 3, b->sched);
	sqlite3_bind_int64(st, 4, b->attempt);
	sqlite3_bind_int64(st, 5, b->rowid);
	sqlite3_bind_int64(st, 9, b->batch);
}

/* Runs a statement of no result, or of one count added to *count. */
static int
run_stmt(struct lc_history *h, const char *sql, const struct bounds *b,
    int64_t *count, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = history_stmt(h, sql, cause)) == NULL)
		return (-1);
	if (b != NULL)
		bind_bounds(st, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && count != NULL)
		*count += sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE && count != NULL)
		*count += sqlite3_changes(h->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		history_set_cause(h, cause, "prune");
		return (-1);
	}
	return (0);
}

/* Deletes one batch in its own transaction; *n gets the runs it held. */
static int
prune_batch(struct lc_history *h, const struct pass *p,
    const struct bounds *b, int64_t *n, struct lc_history_prune_stats *s,
    char **cause)
{
	int	 ok;

	*n = 0;
	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = run_stmt(h, sql_clear, NULL, NULL, cause) == 0 &&
	    run_stmt(h, p->fill, b, n, cause) == 0;
	if (ok && *n > 0) {
		ok = run_stmt(h, sql_del_events, NULL, &s->events, cause) == 0 &&
		    run_stmt(h, sql_del_runs, NULL, &s->runs, cause) == 0 &&
		    run_stmt(h, sql_clear, NULL, NULL, cause) == 0;
	}
	if (history_write_end(h, ok, cause) != 0)
		return (-1);
	if (*n > 0)
		s->batches++;
	return (0);
}

/* One pass: counted with dry_run, else deleted batch after batch. */
static int
prune_pass(struct lc_history *h, const struct pass *p,
    const struct bounds *b, int dry_run, struct lc_history_prune_stats *s,
    char **cause)
{
	int64_t	 n;
	int	 rc;

	if (dry_run) {
		if (history_read_begin(h, cause) != 0)
			return (-1);
		rc = run_stmt(h, p->count_runs, b, &s->runs, cause) == 0 &&
		    run_stmt(h, p->count_events, b, &s->events, cause) == 0;
		history_read_end(h);
		return (rc ? 0 : -1);
	}
	do {
		if (prune_batch(h, p, b, &n, s, cause) != 0)
			return (-1);
	} while (n == b->batch);
	return (0);
}

/* The oldest run a job keeps; 1 when it has no more than keep runs. */
static int
oldest_kept(struct lc_history *h, struct bounds *b, int64_t keep,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = history_stmt(h, sql_cutoff, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, b->job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, keep - 1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b->sched = sqlite3_column_int64(st, 0);
		b->attempt = sqlite3_column_int64(st, 1);
		b->rowid = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		history_set_cause(h, cause, "prune");
		return (-1);
	}
	return (rc == SQLITE_ROW ? 0 : 1);
}

/* The keep_runs pass, job by job. */
static int
prune_runs(struct lc_history *h, struct bounds *b, int64_t keep,
    int dry_run, struct lc_history_prune_stats *s, char **cause)
{
	char	**jobs;
	size_t	  njobs, i;
	int	  rc = 0;

	if (lc_history_jobs(h, &jobs, &njobs, cause) != 0)
		return (-1);
	for (i = 0; i < njobs && rc == 0; i++) {
		b->job = jobs[i];
		if ((rc = oldest_kept(h, b, keep, cause)) == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = prune_pass(h, &pass_runs, b, dry_run, s, cause);
	}
	b->job = NULL;
	lc_history_jobs_free(jobs, njobs);
	return (rc);
}

/* Both passes: keep_days first, then keep_runs on what is left. */
static int
prune(struct lc_history *h, const struct lc_history_prune_opts *o,
    struct lc_history_prune_stats *s, char **cause)
{
	struct bounds	 b;
	int64_t		 now;

	memset(&b, 0, sizeof b);
	now = o->now != LC_HISTORY_NONE ? o->now : lc_now_ms();
	b.batch = o->batch > 0 ? (int64_t)o->batch : 1000;
	b.days_cutoff = LC_HISTORY_NONE;
	if (o->keep_days > 0) {
		b.days_cutoff = now - o->keep_days * DAY_MS;
		if (prune_pass(h, &pass_days, &b, o->dry_run, s, cause) != 0)
			return (-1);
	}
	if (o->keep_runs > 0)
		return (prune_runs(h, &b, o->keep_runs, o->dry_run, s, cause));
	return (0);
}

int
lc_history_prune(struct lc_history *h, const struct lc_history_prune_opts *o,
    struct lc_history_prune_stats *s, char **cause)
{
	int	 rc;

	memset(s, 0, sizeof *s);
	if (o->dry_run) {
		/* One snapshot, so that the counts add up. */
		if (history_read_begin(h, cause) != 0)
			return (-1);
		rc = prune(h, o, s, cause);
		history_read_end(h);
		return (rc);
	}
	if (history_check(h, cause) != 0)
		return (-1);
	if (h->flags & LC_HISTORY_READONLY) {
		lc_set_cause(cause, "%s: opened read-only", lc_history_path(h));
		return (-1);
	}
	if (run_stmt(h, sql_temp, NULL, NULL, cause) != 0)
		return (-1);
	return (prune(h, o, s, cause));
}
