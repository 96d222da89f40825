/*
 * Reading the history: a run by id or prefix, filtered lists newest first,
 * a run's events, per-job summaries and counts, job state. The queries are
 * shaped for the indexes in history.c (see docs/history.md for the plans).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "history-int.h"

#define MAX_CANDIDATES	20

/* The newest first order, which runs_job_time and runs_time give backwards. */
#define NEWEST_FIRST " ORDER BY scheduled_at DESC, attempt DESC, rowid DESC"

void
history_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void
history_bind_int64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == LC_HISTORY_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

int64_t
history_column_int64(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return (LC_HISTORY_NONE);
	return (sqlite3_column_int64(st, i));
}

char *
history_column_text(sqlite3_stmt *st, int i)
{
	const unsigned char	*s;

	if ((s = sqlite3_column_text(st, i)) == NULL)
		return (NULL);
	return (xstrndup((const char *)s, (size_t)sqlite3_column_bytes(st, i)));
}

void
lc_history_run_init(struct lc_run *r)
{
	memset(r, 0, sizeof *r);
	r->attempt = 1;
	r->scheduled_at = LC_HISTORY_NONE;
	r->started_at = LC_HISTORY_NONE;
	r->finished_at = LC_HISTORY_NONE;
	r->duration_ms = LC_HISTORY_NONE;
	r->exit_code = -1;
	r->supervisor_start = LC_HISTORY_NONE;
}

void
lc_history_run_clear(struct lc_run *r)
{
	free(r->fire_id);
	free(r->job);
	free(r->host);
	free(r->boot_id);
	free(r->error);
	free(r->output);
	lc_history_run_init(r);
}

void
lc_history_runs_free(struct lc_run *runs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		lc_history_run_clear(&runs[i]);
	free(runs);
}

void
lc_history_end_init(struct lc_run_end *e, enum lc_run_status s)
{
	memset(e, 0, sizeof *e);
	e->status = s;
	e->exit_code = -1;
	e->finished_at = LC_HISTORY_NONE;
	e->duration_ms = LC_HISTORY_NONE;
}

/* Fills r from a row of HISTORY_RUN_COLUMNS (and output after them). */
int
history_run_from_row(sqlite3_stmt *st, struct lc_run *r, int with_output,
    char **cause)
{
	const char	*s;

	lc_history_run_init(r);
	if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
		snprintf(r->id, sizeof r->id, "%s", s);
	r->fire_id = history_column_text(st, 1);
	r->job = history_column_text(st, 2);
	s = (const char *)sqlite3_column_text(st, 3);
	if (s == NULL || lc_history_trigger_parse(s, &r->trigger) != 0)
		goto bad;
	r->attempt = sqlite3_column_int(st, 4);
	r->scheduled_at = history_column_int64(st, 5);
	r->started_at = history_column_int64(st, 6);
	r->finished_at = history_column_int64(st, 7);
	r->duration_ms = history_column_int64(st, 8);
	s = (const char *)sqlite3_column_text(st, 9);
	if (s == NULL || lc_history_status_parse(s, &r->status) != 0)
		goto bad;
	if (sqlite3_column_type(st, 10) != SQLITE_NULL)
		r->exit_code = sqlite3_column_int(st, 10);
	r->signal = sqlite3_column_int(st, 11);
	r->host = history_column_text(st, 12);
	r->boot_id = history_column_text(st, 13);
	r->supervisor_pid = (pid_t)sqlite3_column_int64(st, 14);
	r->supervisor_start = history_column_int64(st, 15);
	r->error = history_column_text(st, 16);
	if (with_output && sqlite3_column_type(st, 17) != SQLITE_NULL) {
		/* Bytes, not a C string: a job may print NULs. */
		s = sqlite3_column_blob(st, 17);
		r->output_len = (size_t)sqlite3_column_bytes(st, 17);
		r->output = xmalloc(r->output_len + 1);
		if (r->output_len > 0)
			memcpy(r->output, s, r->output_len);
		r->output[r->output_len] = '\0';
	}
	return (0);
bad:
	lc_set_cause(cause, "run %s: unknown trigger or status", r->id);
	lc_history_run_clear(r);
	return (-1);
}

/* Steps st to its end, appending each row as a run; resets st. */
static int
collect_runs(struct lc_history *h, sqlite3_stmt *st, struct lc_run **out,
    size_t *n, char **cause)
{
	struct lc_run	*runs = NULL;
	size_t		 len = 0, cap = 0;
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			runs = xreallocarray(runs, cap, sizeof *runs);
		}
		if (history_run_from_row(st, &runs[len], 0, cause) != 0)
			break;
		len++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		history_set_cause(h, cause, "query");
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		lc_history_runs_free(runs, len);
		return (-1);
	}
	*out = runs;
	*n = len;
	return (0);
}

/* Lower-cases a prefix into buf; -1 unless it is hex digits and dashes. */
static int
normalise_prefix(const char *s, char buf[LC_UUID_BUFSZ])
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == LC_UUID_BUFSZ - 1 ||
		    (!isxdigit((unsigned char)s[i]) && s[i] != '-'))
			return (-1);
		buf[i] = (char)tolower((unsigned char)s[i]);
	}
	buf[i] = '\0';
	return (i == 0 ? -1 : 0);
}

static const char sql_run_by_id[] =
	"SELECT " HISTORY_RUN_COLUMNS ", output FROM runs WHERE id = ?1";
static const char sql_ids_by_prefix[] =
	"SELECT id FROM runs WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT "
	"21";

/* Up to 21 ids starting with prefix (a range scan of the primary key). */
static int
ids_by_prefix(struct lc_history *h, const char *prefix, char ***ids,
    size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	char		 end[LC_UUID_BUFSZ];
	size_t		 len;
	int		 rc;

	if ((st = history_stmt(h, sql_ids_by_prefix, cause)) == NULL)
		return (-1);
	/* '-' and the hex digits sort below '~', so prefix + "~" bounds it. */
	len = strlen(prefix);
	memcpy(end, prefix, len);
	end[len] = '~';
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end, (int)len + 1, SQLITE_STATIC);
	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = history_column_text(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		lc_history_jobs_free(*ids, *n);
		return (-1);
	}
	return (0);
}

/* The full row of run id; 1 when there is none. */
static int
run_by_id(struct lc_history *h, const char *id, struct lc_run *r,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 rc, ret;

	if ((st = history_stmt(h, sql_run_by_id, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = history_run_from_row(st, r, 1, cause);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else {
		history_set_cause(h, cause, "query");
		ret = -1;
	}
	sqlite3_reset(st);
	return (ret);
}

/* Says which runs an ambiguous prefix matches. */
static void
ambiguous(const char *prefix, char **ids, size_t n, char **cause)
{
	struct lc_buf	 b = { NULL, 0, 0 };
	size_t		 i;

	lc_buf_printf(&b, "run prefix %s is ambiguous; it matches", prefix);
	for (i = 0; i < n && i < MAX_CANDIDATES; i++)
		lc_buf_printf(&b, "%s %s", i == 0 ? "" : ",", ids[i]);
	if (n > MAX_CANDIDATES)
		lc_buf_addstr(&b, " and more");
	if (cause != NULL)
		*cause = lc_buf_steal(&b);
	lc_buf_free(&b);
}

/* Finds the one run an id or prefix names; the ids matched on ambiguity. */
static int
resolve(struct lc_history *h, const char *prefix, struct lc_run *r,
    char ***candidates, size_t *ncandidates, char **cause)
{
	char	**ids;
	size_t	  n, i;
	int	  rc;

	if ((rc = run_by_id(h, prefix, r, cause)) <= 0)
		return (rc);
	if (ids_by_prefix(h, prefix, &ids, &n, cause) != 0)
		return (-1);
	if (n == 1) {
		rc = run_by_id(h, ids[0], r, cause);
		lc_history_jobs_free(ids, n);
		return (rc);
	}
	if (n == 0)
		lc_set_cause(cause, "no run matches %s", prefix);
	else
		ambiguous(prefix, ids, n, cause);
	if (candidates != NULL && n > 1) {
		for (i = MAX_CANDIDATES; i < n; i++)
			free(ids[i]);
		*candidates = ids;
		*ncandidates = n < MAX_CANDIDATES ? n : MAX_CANDIDATES;
	} else
		lc_history_jobs_free(ids, n);
	errno = n == 0 ? ENOENT : EEXIST;
	return (-1);
}

int
lc_history_run_get(struct lc_history *h, const char *id_or_prefix,
    struct lc_run *r, char ***candidates, size_t *ncandidates, char **cause)
{
	char	 prefix[LC_UUID_BUFSZ];
	int	 rc, saved;

	lc_history_run_init(r);
	if (candidates != NULL) {
		*candidates = NULL;
		*ncandidates = 0;
	}
	if (normalise_prefix(id_or_prefix, prefix) != 0) {
		lc_set_cause(cause, "not a run id: %s", id_or_prefix);
		errno = EINVAL;
		return (-1);
	}
	if (history_read_begin(h, cause) != 0)
		return (-1);
	rc = resolve(h, prefix, r, candidates, ncandidates, cause);
	saved = errno;
	history_read_end(h);
	errno = saved;		/* ENOENT: no match; EEXIST: ambiguous */
	return (rc == 0 ? 0 : -1);
}

static const char sql_id_before[] = "SELECT max(id) FROM runs WHERE id < ?1";
static const char sql_id_after[] = "SELECT min(id) FROM runs WHERE id > ?1";

/* How many leading characters id shares with its neighbour in sql's way. */
static int
shared_prefix(struct lc_history *h, const char *sql, const char *id,
    size_t *len, char **cause)
{
	sqlite3_stmt	*st;
	const char	*other;
	int		 rc;

	if ((st = history_stmt(h, sql, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	*len = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (other = (const char *)sqlite3_column_text(st, 0)) != NULL) {
		while (id[*len] != '\0' && id[*len] == other[*len])
			(*len)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		history_set_cause(h, cause, "query");
		return (-1);
	}
	return (0);
}

int
lc_history_unique_prefix(struct lc_history *h, const char *id, size_t min,
    size_t *len, char **cause)
{
	size_t	 before, after;
	int	 rc;

	if (history_read_begin(h, cause) != 0)
		return (-1);
	rc = shared_prefix(h, sql_id_before, id, &before, cause);
	if (rc == 0)
		rc = shared_prefix(h, sql_id_after, id, &after, cause);
	history_read_end(h);
	if (rc != 0)
		return (-1);
	*len = (before > after ? before : after) + 1;
	if (*len < min)
		*len = min;
	if (*len > strlen(id))
		*len = strlen(id);
	return (0);
}

void
lc_history_filter_init(struct lc_history_filter *f)
{
	memset(f, 0, sizeof *f);
	f->since = LC_HISTORY_NONE;
	f->until = LC_HISTORY_NONE;
}

/* " AND column IN ('a', 'b')" for the names whose bits are in mask. */
static void
add_in(struct lc_buf *b, const char *column, unsigned mask, int n,
    const char *(*name)(int))
{
	int	 i, first = 1;

	lc_buf_printf(b, " AND %s IN (", column);
	for (i = 0; i < n; i++) {
		if (mask & (1u << i)) {
			lc_buf_printf(b, "%s'%s'", first ? "" : ", ", name(i));
			first = 0;
		}
	}
	lc_buf_addstr(b, ")");
}

static const char *
status_name_cb(int i)
{
	return (lc_history_status_name((enum lc_run_status)i));
}

static const char *
trigger_name_cb(int i)
{
	return (lc_history_trigger_name((enum lc_run_trigger)i));
}

/* The conditions of a filter, with these statuses and triggers. */
static void
filter_conds(struct lc_buf *b, const struct lc_history_filter *f,
    unsigned statuses, unsigned triggers)
{
	size_t	 i;

	if (f->njobs == 1)
		lc_buf_addstr(b, " AND job = ?1");
	else if (f->njobs > 1) {
		lc_buf_addstr(b, " AND job IN (?1");
		for (i = 1; i < f->njobs; i++)
			lc_buf_printf(b, ", ?%zu", i + 1);
		lc_buf_addstr(b, ")");
	}
	if (statuses != 0)
		add_in(b, "status", statuses, LC_RUN_NSTATUS, status_name_cb);
	if (triggers != 0)
		add_in(b, "\"trigger\"", triggers, LC_TRIGGER_COUNT,
		    trigger_name_cb);
	if (f->since != LC_HISTORY_NONE)
		lc_buf_printf(b, " AND scheduled_at >= ?%zu", f->njobs + 1);
	if (f->until != LC_HISTORY_NONE)
		lc_buf_printf(b, " AND scheduled_at < ?%zu", f->njobs + 2);
}

static int
nbits(unsigned v)
{
	int	 n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return (n);
}

/*
 * The newest runs of several statuses (or of some triggers) across every
 * job: one arm per status, each reading runs_status (runs_trigger) in
 * order and stopping at the limit, merged by the outer query. A plain IN
 * would sort every matching run first: all of a million for "succeeded,
 * failed".
 */
static void
filter_arms(struct lc_buf *b, const struct lc_history_filter *f)
{
	unsigned	 split = f->statuses != 0 ? f->statuses : f->triggers;
	int		 i, n, first = 1;

	n = f->statuses != 0 ? LC_RUN_NSTATUS : LC_TRIGGER_COUNT;
	lc_buf_addstr(b, "SELECT " HISTORY_RUN_COLUMNS " FROM (");
	for (i = 0; i < n; i++) {
		if (!(split & (1u << i)))
			continue;
		lc_buf_printf(b, "%sSELECT * FROM (SELECT " HISTORY_RUN_COLUMNS
		    ", rowid AS row_ FROM runs WHERE 1", first ? "" :
		    " UNION ALL ");
		if (f->statuses != 0)
			filter_conds(b, f, 1u << i, f->triggers);
		else
			filter_conds(b, f, 0, 1u << i);
		lc_buf_printf(b, NEWEST_FIRST " LIMIT %zu)", f->limit);
		first = 0;
	}
	lc_buf_printf(b, ") ORDER BY scheduled_at DESC, attempt DESC, "
	    "row_ DESC LIMIT %zu", f->limit);
}

/* The SQL of a filter; jobs are parameters ?1..?n, then since, until. */
static char *
filter_sql(const struct lc_history_filter *f)
{
	struct lc_buf	 b = { NULL, 0, 0 };

	if (f->limit > 0 && f->njobs == 0 && (nbits(f->statuses) > 1 ||
	    (f->statuses == 0 && f->triggers != 0))) {
		filter_arms(&b, f);
		return (lc_buf_steal(&b));
	}
	lc_buf_addstr(&b, "SELECT " HISTORY_RUN_COLUMNS " FROM runs WHERE 1");
	filter_conds(&b, f, f->statuses, f->triggers);
	lc_buf_addstr(&b, NEWEST_FIRST);
	if (f->limit > 0)
		lc_buf_printf(&b, " LIMIT %zu", f->limit);
	return (lc_buf_steal(&b));
}

int
lc_history_list(struct lc_history *h, const struct lc_history_filter *f,
    struct lc_run **runs, size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	char		*sql;
	size_t		 i;
	int		 rc;

	*runs = NULL;
	*n = 0;
	if (history_read_begin(h, cause) != 0)
		return (-1);
	sql = filter_sql(f);
	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		history_set_cause(h, cause, "prepare");
		history_read_end(h);
		return (-1);
	}
	for (i = 0; i < f->njobs; i++)
		history_bind_text(st, (int)i + 1, f->jobs[i]);
	history_bind_int64(st, (int)f->njobs + 1, f->since);
	history_bind_int64(st, (int)f->njobs + 2, f->until);
	rc = collect_runs(h, st, runs, n, cause);
	sqlite3_finalize(st);
	history_read_end(h);
	return (rc);
}

static const char sql_events[] =
	"SELECT at, kind, detail FROM events WHERE run = ?1 ORDER BY at, rowid";

int
lc_history_events(struct lc_history *h, const char *run,
    struct lc_event **out, size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	struct lc_event	*ev;
	int		 rc;

	*out = NULL;
	*n = 0;
	if (history_read_begin(h, cause) != 0)
		return (-1);
	if ((st = history_stmt(h, sql_events, cause)) == NULL) {
		history_read_end(h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		ev = &(*out)[(*n)++];
		ev->at = sqlite3_column_int64(st, 0);
		if (lc_history_event_parse((const char *)
		    sqlite3_column_text(st, 1), &ev->kind) != 0)
			ev->kind = LC_EVENT_COUNT;
		ev->detail = history_column_text(st, 2);
	}
	sqlite3_reset(st);
	history_read_end(h);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		lc_history_events_free(*out, *n);
		*out = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}

void
lc_history_events_free(struct lc_event *ev, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(ev[i].detail);
	free(ev);
}

/* Every job name: a skip scan of runs_job_time, one seek per job. */
static const char sql_jobs[] =
	"WITH RECURSIVE j(name) AS ("
	" SELECT min(job) FROM runs"
	" UNION ALL"
	" SELECT (SELECT min(job) FROM runs WHERE job > j.name) FROM j"
	" WHERE j.name IS NOT NULL)"
	" SELECT name FROM j WHERE name IS NOT NULL";

int
lc_history_jobs(struct lc_history *h, char ***jobs, size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	*jobs = NULL;
	*n = 0;
	if (history_read_begin(h, cause) != 0)
		return (-1);
	if ((st = history_stmt(h, sql_jobs, cause)) == NULL) {
		history_read_end(h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*jobs = xreallocarray(*jobs, *n + 1, sizeof **jobs);
		(*jobs)[(*n)++] = history_column_text(st, 0);
	}
	sqlite3_reset(st);
	history_read_end(h);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		lc_history_jobs_free(*jobs, *n);
		*jobs = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}

void
lc_history_jobs_free(char **jobs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(jobs[i]);
	free(jobs);
}

/*
 * The summary's queries. The newest finished run walks runs_job_time back
 * from the newest run, stopping at the first finished one (INDEXED BY, so
 * the plan never becomes an IN on runs_job_status, which would read every
 * finished run of the job and sort them); the latest success is one seek
 * in runs_job_status, the failure streak a count of its entries.
 */
static const char sql_last[] =
	"SELECT " HISTORY_RUN_COLUMNS " FROM runs WHERE job = ?1"
	NEWEST_FIRST " LIMIT 1";
static const char sql_last_finished[] =
	"SELECT " HISTORY_RUN_COLUMNS " FROM runs INDEXED BY runs_job_time"
	" WHERE job = ?1 AND status IN ('succeeded', 'cancelled', 'failed',"
	" 'timed_out', 'killed', 'secret_error', 'launch_error', 'lost')"
	NEWEST_FIRST " LIMIT 1";
static const char sql_last_success[] =
	"SELECT " HISTORY_RUN_COLUMNS " FROM runs WHERE job = ?1"
	" AND status = 'succeeded'" NEWEST_FIRST " LIMIT 1";
static const char sql_failures[] =
	"SELECT count(*) FROM runs WHERE job = ?1 AND status IN ('failed',"
	" 'timed_out', 'killed', 'secret_error', 'launch_error', 'lost')"
	" AND (?2 IS NULL OR scheduled_at > ?2"
	"  OR (scheduled_at = ?2 AND attempt > ?3))";

/* The one run sql finds for job, or NULL. */
static int
one_run(struct lc_history *h, const char *sql, const char *job,
    struct lc_run **out, char **cause)
{
	sqlite3_stmt	*st;
	struct lc_run	*runs;
	size_t		 n;

	*out = NULL;
	if ((st = history_stmt(h, sql, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	if (collect_runs(h, st, &runs, &n, cause) != 0)
		return (-1);
	if (n == 0)
		free(runs);
	else
		*out = runs;
	return (0);
}

/* Failures newer than the last success (all of them when none). */
static int
failure_streak(struct lc_history *h, struct lc_job_summary *s, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = history_stmt(h, sql_failures, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, s->job, -1, SQLITE_STATIC);
	if (s->last_success != NULL) {
		sqlite3_bind_int64(st, 2, s->last_success->scheduled_at);
		sqlite3_bind_int(st, 3, s->last_success->attempt);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		s->consecutive_failures = sqlite3_column_int(st, 0);
	else
		history_set_cause(h, cause, "query");
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

int
lc_history_summary(struct lc_history *h, const char *job,
    struct lc_job_summary *s, char **cause)
{
	int	 rc;

	memset(s, 0, sizeof *s);
	s->job = xstrdup(job);
	if (history_read_begin(h, cause) != 0)
		return (-1);
	rc = one_run(h, sql_last, job, &s->last, cause);
	if (rc == 0 && s->last != NULL)
		rc = one_run(h, sql_last_finished, job, &s->last_finished,
		    cause);
	if (rc == 0 && s->last_finished != NULL)
		rc = one_run(h, sql_last_success, job, &s->last_success, cause);
	if (rc == 0 && s->last_finished != NULL)
		rc = failure_streak(h, s, cause);
	history_read_end(h);
	if (rc != 0)
		lc_history_summary_clear(s);
	return (rc);
}

void
lc_history_summary_clear(struct lc_job_summary *s)
{
	free(s->job);
	if (s->last != NULL)
		lc_history_runs_free(s->last, 1);
	if (s->last_finished != NULL)
		lc_history_runs_free(s->last_finished, 1);
	if (s->last_success != NULL)
		lc_history_runs_free(s->last_success, 1);
	memset(s, 0, sizeof *s);
}

/* A scan of the covering index runs_job_status, already in group order. */
static const char sql_counts[] =
	"SELECT job, status, count(*) FROM runs GROUP BY job, status";
/* The whole of run_totals, in its primary key's order. */
static const char sql_totals[] =
	"SELECT job, status, runs FROM run_totals ORDER BY job, status";

/* Rows of (job, status, count) from sql. */
static int
read_counts(struct lc_history *h, const char *sql,
    struct lc_history_count **out, size_t *n, char **cause)
{
	sqlite3_stmt		*st;
	struct lc_history_count	*c;
	int			 rc;

	*out = NULL;
	*n = 0;
	if (history_read_begin(h, cause) != 0)
		return (-1);
	if ((st = history_stmt(h, sql, cause)) == NULL) {
		history_read_end(h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		c = &(*out)[(*n)++];
		c->job = history_column_text(st, 0);
		if (lc_history_status_parse((const char *)
		    sqlite3_column_text(st, 1), &c->status) != 0)
			c->status = LC_RUN_LOST;
		c->count = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	history_read_end(h);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		lc_history_counts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}

int
lc_history_counts(struct lc_history *h, struct lc_history_count **out,
    size_t *n, char **cause)
{
	return (read_counts(h, sql_counts, out, n, cause));
}

int
lc_history_totals(struct lc_history *h, struct lc_history_count **out,
    size_t *n, char **cause)
{
	return (read_counts(h, sql_totals, out, n, cause));
}

void
lc_history_counts_free(struct lc_history_count *c, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(c[i].job);
	free(c);
}

void
lc_history_state_init(struct lc_job_state *js)
{
	memset(js, 0, sizeof *js);
	js->last_fire_at = LC_HISTORY_NONE;
	js->retry_due_at = LC_HISTORY_NONE;
	js->retry_scheduled_at = LC_HISTORY_NONE;
	js->updated_at = LC_HISTORY_NONE;
}

void
lc_history_state_clear(struct lc_job_state *js)
{
	free(js->job);
	free(js->retry_fire_id);
	free(js->reboot_boot_id);
	lc_history_state_init(js);
}

void
lc_history_states_free(struct lc_job_state *js, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		lc_history_state_clear(&js[i]);
	free(js);
}

#define STATE_COLUMNS "job, last_fire_at, retry_attempt, retry_due_at, "\
	"retry_fire_id, retry_scheduled_at, paused, reboot_boot_id, updated_at"
static const char sql_state_get[] =
	"SELECT " STATE_COLUMNS " FROM job_state WHERE job = ?1";
static const char sql_state_list[] =
	"SELECT " STATE_COLUMNS " FROM job_state ORDER BY job";

static void
state_from_row(sqlite3_stmt *st, struct lc_job_state *js)
{
	lc_history_state_init(js);
	js->job = history_column_text(st, 0);
	js->last_fire_at = history_column_int64(st, 1);
	js->retry_attempt = sqlite3_column_int(st, 2);
	js->retry_due_at = history_column_int64(st, 3);
	js->retry_fire_id = history_column_text(st, 4);
	js->retry_scheduled_at = history_column_int64(st, 5);
	js->paused = sqlite3_column_int(st, 6);
	js->reboot_boot_id = history_column_text(st, 7);
	js->updated_at = history_column_int64(st, 8);
}

int
lc_history_state_get(struct lc_history *h, const char *job,
    struct lc_job_state *js, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	lc_history_state_init(js);
	if (history_read_begin(h, cause) != 0)
		return (-1);
	if ((st = history_stmt(h, sql_state_get, cause)) == NULL) {
		history_read_end(h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		state_from_row(st, js);
	else if (rc == SQLITE_DONE)
		js->job = xstrdup(job);
	else
		history_set_cause(h, cause, "query");
	sqlite3_reset(st);
	history_read_end(h);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1);
}

int
lc_history_state_list(struct lc_history *h, struct lc_job_state **out,
    size_t *n, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = NULL;
	*n = 0;
	if (history_read_begin(h, cause) != 0)
		return (-1);
	if ((st = history_stmt(h, sql_state_list, cause)) == NULL) {
		history_read_end(h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		state_from_row(st, &(*out)[(*n)++]);
	}
	sqlite3_reset(st);
	history_read_end(h);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		lc_history_states_free(*out, *n);
		*out = NULL;
		*n = 0;
		return (-1);
	}
	return (0);
}
