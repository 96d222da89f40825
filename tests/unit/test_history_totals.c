/*
 * Unit tests for schema version 3 of the history: run_totals counts runs
 * as they end (inserted finished, or updated from queued or running), is
 * never lowered by pruning, and is filled by the migration from version 2.
 * Real SQLite files in a temporary directory.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "lockcron/history.h"
#include "lockcron/util.h"

#define T0	1795485600000LL		/* 2026-11-24T02:00:00Z */
#define DAY	(86400LL * 1000)

static char	 dir[256];
static char	 db_path[512];

static int
setup(void **state)
{
	if (tmpdir_make(dir, sizeof dir, "totals") != 0)
		return (-1);
	snprintf(db_path, sizeof db_path, "%s/history.db", dir);
	return (0);
}

static int
teardown(void **state)
{
	return (tmpdir_remove(dir));
}

static struct lc_history *
open_or_fail(int flags)
{
	struct lc_history	*h;
	char			*cause = NULL;

	if ((h = lc_history_open(db_path, flags, NULL, &cause)) == NULL)
		fail_msg("open %s: %s", db_path, cause);
	return (h);
}

/* Inserts a run of job with status at t; its id into id. */
static void
add(struct lc_history *h, const char *job, enum lc_run_status st, int64_t t,
    char id[LC_UUID_BUFSZ])
{
	struct lc_run	 r;
	char		*cause = NULL;

	lc_history_run_init(&r);
	r.job = (char *)job;
	r.status = st;
	r.scheduled_at = t;
	if (st != LC_RUN_QUEUED && st != LC_RUN_RUNNING &&
	    st != LC_RUN_SKIPPED && st != LC_RUN_MISSED) {
		r.started_at = t + 5;
		r.finished_at = t + 1005;
	}
	if (lc_history_run_insert(h, &r, id, &cause) != 0)
		fail_msg("insert: %s", cause);
}

static void
finish(struct lc_history *h, const char *id, enum lc_run_status st)
{
	struct lc_run_end	 e;
	char			*cause = NULL;

	lc_history_end_init(&e, st);
	if (lc_history_run_finish(h, id, &e, &cause) != 0)
		fail_msg("finish: %s", cause);
}

/* "job status count; ..." of lc_history_totals (or counts). */
static char *
totals(struct lc_history *h, int counts)
{
	struct lc_history_count	*c;
	struct lc_buf		 b = { 0 };
	size_t			 n, i;
	char			*cause = NULL;
	int			 rc;

	rc = counts ? lc_history_counts(h, &c, &n, &cause) :
	    lc_history_totals(h, &c, &n, &cause);
	if (rc != 0)
		fail_msg("totals: %s", cause);
	lc_buf_addstr(&b, "");
	for (i = 0; i < n; i++)
		lc_buf_printf(&b, "%s%s %s %lld", i > 0 ? "; " : "", c[i].job,
		    lc_history_status_name(c[i].status),
		    (long long)c[i].count);
	lc_history_counts_free(c, n);
	return (lc_buf_steal(&b));
}

static void
assert_totals(struct lc_history *h, const char *want)
{
	char	*got = totals(h, 0);

	assert_string_equal(got, want);
	free(got);
}

/* Runs count when they end, whichever way they end. */
static void
test_counted_when_ended(void **state)
{
	struct lc_history	*h, *ro;
	char			 q[LC_UUID_BUFSZ], r[LC_UUID_BUFSZ];
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	h = open_or_fail(0);
	assert_totals(h, "");
	add(h, "b", LC_RUN_QUEUED, T0, q);
	add(h, "b", LC_RUN_RUNNING, T0 + 1, r);
	assert_totals(h, "");
	add(h, "a", LC_RUN_SKIPPED, T0, id);
	add(h, "a", LC_RUN_SUCCEEDED, T0 + 2, id);
	add(h, "a", LC_RUN_SUCCEEDED, T0 + 3, id);
	assert_totals(h, "a skipped 1; a succeeded 2");
	assert_int_equal(lc_history_run_running(h, q, 0, LC_HISTORY_NONE,
	    &cause), 0);
	assert_totals(h, "a skipped 1; a succeeded 2");
	finish(h, q, LC_RUN_FAILED);
	finish(h, r, LC_RUN_FAILED);
	assert_totals(h, "a skipped 1; a succeeded 2; b failed 2");
	/* A finished row is never rewritten, so never counted twice. */
	assert_int_not_equal(lc_history_run_finish(h, r, &(struct lc_run_end){
	    .status = LC_RUN_SUCCEEDED, .exit_code = -1,
	    .finished_at = LC_HISTORY_NONE, .duration_ms = LC_HISTORY_NONE },
	    &cause), 0);
	free(cause);
	assert_totals(h, "a skipped 1; a succeeded 2; b failed 2");
	/* Readers see it too. */
	ro = open_or_fail(LC_HISTORY_READONLY);
	assert_totals(ro, "a skipped 1; a succeeded 2; b failed 2");
	lc_history_close(ro);
	lc_history_close(h);
}

/* Pruning deletes runs but keeps what they counted. */
static void
test_prune_keeps_totals(void **state)
{
	struct lc_history		*h;
	struct lc_history_prune_opts	 po;
	struct lc_history_prune_stats	 ps;
	char				 id[LC_UUID_BUFSZ], *cause = NULL;
	char				*c;
	int				 i;

	h = open_or_fail(0);
	for (i = 0; i < 10; i++)
		add(h, "a", i % 3 == 0 ? LC_RUN_FAILED : LC_RUN_SUCCEEDED,
		    T0 - (int64_t)i * DAY, id);
	memset(&po, 0, sizeof po);
	po.keep_runs = 2;
	po.now = T0;
	memset(&ps, 0, sizeof ps);
	assert_int_equal(lc_history_prune(h, &po, &ps, &cause), 0);
	assert_int_equal(ps.runs, 8);
	c = totals(h, 1);
	assert_string_equal(c, "a failed 1; a succeeded 1");
	free(c);
	assert_totals(h, "a failed 4; a succeeded 6");
	lc_history_close(h);
}

/* The first column of the one row of a count. */
static int
count_cb(void *arg, int ncols, char **values, char **names)
{
	*(int *)arg = ncols > 0 && values[0] != NULL ? atoi(values[0]) : -1;
	return (0);
}

/* A version 2 file: readers ask for an upgrade, writers migrate it and
 * count the runs it holds. */
static void
test_migration_from_v2(void **state)
{
	struct lc_history	*h;
	sqlite3			*db;
	char			 id[LC_UUID_BUFSZ], run[LC_UUID_BUFSZ];
	char			*cause = NULL;
	int			 n = 0;

	h = open_or_fail(0);
	add(h, "a", LC_RUN_SUCCEEDED, T0, id);
	add(h, "a", LC_RUN_SUCCEEDED, T0 + 1, id);
	add(h, "a", LC_RUN_RUNNING, T0 + 2, run);
	add(h, "b", LC_RUN_MISSED, T0, id);
	lc_history_close(h);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER run_totals_insert;"
	    "DROP TRIGGER run_totals_end; DROP TABLE run_totals;"
	    "DROP INDEX runs_trigger; PRAGMA user_version = 2", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_null(lc_history_open(db_path, LC_HISTORY_READONLY, NULL,
	    &cause));
	assert_non_null(strstr(cause, "version 2 needs an upgrade"));
	free(cause);
	h = open_or_fail(0);
	assert_totals(h, "a succeeded 2; b missed 1");
	finish(h, run, LC_RUN_TIMED_OUT);
	assert_totals(h, "a succeeded 2; a timed_out 1; b missed 1");
	lc_history_close(h);
	h = open_or_fail(LC_HISTORY_READONLY);
	assert_totals(h, "a succeeded 2; a timed_out 1; b missed 1");
	lc_history_close(h);
	/* And the index of version 3. */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'runs_trigger' AND type = 'index'", count_cb, &n,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counted_when_ended,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_keeps_totals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v2,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("history_totals", tests, NULL,
	    NULL));
}
