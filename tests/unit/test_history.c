/*
 * Unit tests for the history store, on real SQLite files in a temporary
 * directory: schema, every write, constraints, migration from version 1,
 * read-only readers while another process writes, file modes, crash
 * reconciliation with real processes, pruning and the CLI's queries.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmpdir.h"
#include "lockcron/history.h"
#include "lockcron/util.h"

#define T0		1795485600000LL	/* 2026-11-24T02:00:00Z */
#define HOUR		(3600LL * 1000)
#define DAY		(24 * HOUR)
#define OTHER_BOOT	"00000000-0000-4000-8000-000000000000"

static char	 dir[256];
static char	 db_path[512];
static pid_t	 child_pid;		/* killed by teardown */
static char	 created_group[64];	/* deleted by teardown */

static int
setup(void **state)
{
	if (tmpdir_make(dir, sizeof dir, "history") != 0)
		return (-1);
	snprintf(db_path, sizeof db_path, "%s/state/history.db", dir);
	lc_boot_id_set_path(NULL);
	return (0);
}

static int
teardown(void **state)
{
	char	 cmd[128];

	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, NULL, 0);
		child_pid = 0;
	}
	if (created_group[0] != '\0') {
		snprintf(cmd, sizeof cmd, "/usr/sbin/groupdel %s", created_group);
		if (system(cmd) != 0)
			return (-1);
		created_group[0] = '\0';
	}
	lc_boot_id_set_path(NULL);
	return (tmpdir_remove(dir));
}

/* Opens for writing or fails the test. */
static struct lc_history *
open_rw(const char *path, const char *group)
{
	struct lc_history	*h;
	char			*cause = NULL;

	if ((h = lc_history_open(path, 0, group, &cause)) == NULL)
		fail_msg("open %s: %s", path, cause);
	return (h);
}

/* A plain SQLite connection, as a user with sqlite3 would have. */
static sqlite3 *
raw_open(const char *path)
{
	sqlite3	*db;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		fail_msg("sqlite3_open %s", path);
	sqlite3_busy_timeout(db, 5000);
	return (db);
}

static int
raw_exec(sqlite3 *db, const char *sql)
{
	return (sqlite3_exec(db, sql, NULL, NULL, NULL));
}

/* The first column of the first row, as an integer. */
static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

static char *
raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	char		*v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return (v);
}

/* Inserts a run of job with status and scheduled time; returns its id. */
static void
add_run(struct lc_history *h, const char *job, enum lc_run_status status,
    int64_t at, int attempt, char id[LC_UUID_BUFSZ])
{
	struct lc_run	 r;
	char		*cause = NULL;

	lc_history_run_init(&r);
	r.job = (char *)job;
	r.status = status;
	r.scheduled_at = at;
	r.attempt = attempt;
	r.trigger = attempt > 1 ? LC_TRIGGER_RETRY : LC_TRIGGER_SCHEDULE;
	if (status != LC_RUN_QUEUED && status != LC_RUN_RUNNING) {
		r.started_at = at + 5;
		r.finished_at = at + 1005;
		r.duration_ms = 1000;
		r.exit_code = status == LC_RUN_SUCCEEDED ? 0 : 1;
	}
	if (lc_history_run_insert(h, &r, id, &cause) != 0)
		fail_msg("insert: %s", cause);
}

static void
add_event(struct lc_history *h, const char *run, enum lc_event_kind k,
    int64_t at, const char *detail)
{
	char	*cause = NULL;

	if (lc_history_event_add(h, run, k, at, detail, &cause) != 0)
		fail_msg("event: %s", cause);
}

static void
test_create_schema(void **state)
{
	static const char *const columns[] = {
		"id", "fire_id", "job", "trigger", "attempt", "scheduled_at",
		"started_at", "finished_at", "duration_ms", "status",
		"exit_code", "signal", "host", "boot_id", "supervisor_pid",
		"supervisor_start", "error", "output"
	};
	struct lc_history	*h;
	struct stat		 sb;
	sqlite3			*db;
	sqlite3_stmt		*st;
	char			 path[600], *mode;
	size_t			 i = 0;
	mode_t			 old;

	old = umask(077);
	h = open_rw(db_path, NULL);
	umask(old);
	assert_string_equal(lc_history_path(h), db_path);
	lc_history_close(h);
	/* The missing directory was made, 0755 whatever the umask. */
	snprintf(path, sizeof path, "%s/state", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	/* Opening again finds the schema in place. */
	lc_history_close(open_rw(db_path, NULL));

	db = raw_open(db_path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"),
	    LC_HISTORY_SCHEMA_VERSION);
	mode = raw_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM "
	    "pragma_table_info('runs') ORDER BY cid", -1, &st, NULL), 0);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(i < LC_NELEM(columns));
		assert_string_equal(sqlite3_column_text(st, 0), columns[i]);
		i++;
	}
	sqlite3_finalize(st);
	assert_int_equal(i, LC_NELEM(columns));
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE"
	    " type = 'index' AND name IN ('runs_job_time', 'runs_job_status',"
	    " 'runs_status', 'runs_time', 'events_run')"), 5);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info"
	    "('events') WHERE name IN ('run', 'at', 'kind', 'detail')"), 4);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_table_info"
	    "('job_state')"), 9);
	sqlite3_close(db);

	h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL, NULL);
	assert_non_null(h);
	lc_history_close(h);
	lc_history_close(NULL);
}

static void
test_helpers(void **state)
{
	char	 a[LC_UUID_BUFSZ], b[LC_UUID_BUFSZ], boot[LC_UUID_BUFSZ];
	char	 path[600], line[64];
	FILE	*f;
	int	 i;

	for (i = 0; i < 100; i++) {
		assert_int_equal(lc_uuid_v4(a), 0);
		assert_int_equal(lc_uuid_v4(b), 0);
		assert_int_equal(strlen(a), 36);
		assert_string_not_equal(a, b);
		assert_int_equal(a[8], '-');
		assert_int_equal(a[13], '-');
		assert_int_equal(a[14], '4');
		assert_non_null(strchr("89ab", a[19]));
		assert_int_equal(strspn(a, "0123456789abcdef-"), 36);
	}
	/* The boot id is the kernel's, or the override's. */
	assert_int_equal(lc_boot_id(boot), 0);
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_memory_equal(line, boot, 36);
	snprintf(path, sizeof path, "%s/boot_id", dir);
	f = fopen(path, "w");
	fprintf(f, "%s\n", OTHER_BOOT);
	fclose(f);
	lc_boot_id_set_path(path);
	assert_int_equal(lc_boot_id(boot), 0);
	assert_string_equal(boot, OTHER_BOOT);
	f = fopen(path, "w");
	fprintf(f, "not a boot id\n");
	fclose(f);
	assert_int_equal(lc_boot_id(boot), -1);
	lc_boot_id_set_path(NULL);
	/* Names go both ways. */
	for (i = 0; i < LC_RUN_NSTATUS; i++) {
		enum lc_run_status	s;

		assert_int_equal(lc_history_status_parse(
		    lc_history_status_name((enum lc_run_status)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(lc_history_status_parse("exploded", NULL), -1);
}

/* A child renames itself to a name full of ')' and spaces. */
static void
test_proc_start_time(void **state)
{
	int64_t	 self, before, after;
	int	 to_child[2], to_parent[2], status;
	pid_t	 pid;
	char	 c = 0;

	self = lc_proc_start_time(getpid());
	assert_true(self > 0);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	if ((pid = fork()) == 0) {
		(void)!read(to_child[0], &c, 1);
		prctl(PR_SET_NAME, ") x) (y 1 2 3");
		(void)!write(to_parent[1], &c, 1);
		(void)!read(to_child[0], &c, 1);
		_exit(0);
	}
	before = lc_proc_start_time(pid);
	assert_int_equal(write(to_child[1], &c, 1), 1);
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	after = lc_proc_start_time(pid);
	assert_true(before >= self);
	assert_int_equal(after, before);
	assert_int_equal(write(to_child[1], &c, 1), 1);
	waitpid(pid, &status, 0);
	/* Reaped: no process has that pid any more. */
	assert_int_equal(lc_proc_start_time(pid), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(lc_proc_start_time(0), -1);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

static void
test_run_lifecycle(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r, got;
	struct lc_run_end	 e;
	struct lc_event		*ev;
	size_t			 nev;
	char			 id[LC_UUID_BUFSZ], boot[LC_UUID_BUFSZ];
	char			 host[256], *cause = NULL;
	static const char	 out[] = "line 1\nline\0 2\n";

	h = open_rw(db_path, NULL);
	lc_history_run_init(&r);
	r.job = "backup";
	r.trigger = LC_TRIGGER_SCHEDULE;
	r.scheduled_at = T0;
	r.status = LC_RUN_QUEUED;
	assert_int_equal(lc_history_run_insert(h, &r, id, &cause), 0);
	add_event(h, id, LC_EVENT_QUEUED, T0 + 1, NULL);

	assert_int_equal(lc_history_run_running(h, id, 0, T0 + 2, &cause), 0);
	add_event(h, id, LC_EVENT_LOCK_ACQUIRED, T0 + 3, "/tmp/x.lock");
	add_event(h, id, LC_EVENT_STARTED, T0 + 4, "pid 42");
	lc_history_end_init(&e, LC_RUN_SUCCEEDED);
	e.exit_code = 0;
	e.finished_at = T0 + 1502;
	e.output = out;
	e.output_len = sizeof out - 1;
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), 0);
	add_event(h, id, LC_EVENT_EXITED, T0 + 1502, "exit 0");

	assert_int_equal(lc_history_run_get(h, id, &got, NULL, NULL, &cause), 0);
	assert_string_equal(got.id, id);
	assert_string_equal(got.fire_id, id);	/* a new fire */
	assert_string_equal(got.job, "backup");
	assert_int_equal(got.trigger, LC_TRIGGER_SCHEDULE);
	assert_int_equal(got.attempt, 1);
	assert_int_equal(got.scheduled_at, T0);
	assert_int_equal(got.started_at, T0 + 2);
	assert_int_equal(got.finished_at, T0 + 1502);
	assert_int_equal(got.duration_ms, 1500);
	assert_int_equal(got.status, LC_RUN_SUCCEEDED);
	assert_int_equal(got.exit_code, 0);
	assert_int_equal(got.signal, 0);
	gethostname(host, sizeof host);
	assert_string_equal(got.host, host);
	assert_int_equal(lc_boot_id(boot), 0);
	assert_string_equal(got.boot_id, boot);
	assert_int_equal(got.supervisor_pid, getpid());
	assert_int_equal(got.supervisor_start, lc_proc_start_time(getpid()));
	assert_null(got.error);
	assert_int_equal(got.output_len, sizeof out - 1);
	assert_memory_equal(got.output, out, sizeof out - 1);
	lc_history_run_clear(&got);

	assert_int_equal(lc_history_events(h, id, &ev, &nev, &cause), 0);
	assert_int_equal(nev, 4);
	assert_int_equal(ev[0].kind, LC_EVENT_QUEUED);
	assert_null(ev[0].detail);
	assert_int_equal(ev[1].kind, LC_EVENT_LOCK_ACQUIRED);
	assert_string_equal(ev[1].detail, "/tmp/x.lock");
	assert_int_equal(ev[2].at, T0 + 4);
	assert_int_equal(ev[3].kind, LC_EVENT_EXITED);
	lc_history_events_free(ev, nev);
	lc_history_close(h);
}

/* A retry of a fire, recorded elsewhere, killed by a signal. */
static void
test_retry_killed(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r, got;
	struct lc_run_end	 e;
	char			 id[LC_UUID_BUFSZ], fire[LC_UUID_BUFSZ];
	char			*cause = NULL;

	h = open_rw(db_path, NULL);
	add_run(h, "backup", LC_RUN_FAILED, T0, 1, fire);
	lc_history_run_init(&r);
	r.job = "backup";
	r.scheduled_at = T0;
	r.fire_id = fire;
	r.attempt = 2;
	r.trigger = LC_TRIGGER_RETRY;
	r.status = LC_RUN_RUNNING;
	r.host = "elsewhere";
	r.boot_id = OTHER_BOOT;
	assert_int_equal(lc_history_run_insert(h, &r, id, &cause), 0);
	lc_history_end_init(&e, LC_RUN_KILLED);
	e.signal = 9;
	e.duration_ms = 77;
	e.error = "killed by signal 9";
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), 0);
	assert_int_equal(lc_history_run_get(h, id, &got, NULL, NULL, &cause), 0);
	assert_string_equal(got.fire_id, fire);
	assert_string_not_equal(got.id, fire);
	assert_int_equal(got.attempt, 2);
	assert_int_equal(got.trigger, LC_TRIGGER_RETRY);
	assert_int_equal(got.exit_code, -1);
	assert_int_equal(got.signal, 9);
	assert_int_equal(got.duration_ms, 77);
	assert_string_equal(got.host, "elsewhere");
	assert_string_equal(got.boot_id, OTHER_BOOT);
	assert_string_equal(got.error, "killed by signal 9");
	assert_null(got.output);
	assert_true(got.started_at != LC_HISTORY_NONE);
	lc_history_run_clear(&got);
	lc_history_close(h);
}

/* Rows change state only forward: queued -> running -> finished. */
static void
test_state_transitions(void **state)
{
	struct lc_history	*h;
	struct lc_run_end	 e;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	h = open_rw(db_path, NULL);
	add_run(h, "j", LC_RUN_QUEUED, T0, 1, id);
	lc_history_end_init(&e, LC_RUN_CANCELLED);
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), 0);
	/* Cancelled before its supervisor got to it: it must not start. */
	assert_int_equal(lc_history_run_running(h, id, 0, LC_HISTORY_NONE,
	    &cause), -1);
	assert_non_null(strstr(cause, "is cancelled, not queued"));
	free(cause);
	cause = NULL;
	/* A finished run is never rewritten. */
	lc_history_end_init(&e, LC_RUN_SUCCEEDED);
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), -1);
	assert_non_null(strstr(cause, "is cancelled"));
	free(cause);
	cause = NULL;
	/* Nor finished as running, nor found when missing. */
	add_run(h, "j", LC_RUN_QUEUED, T0, 1, id);
	lc_history_end_init(&e, LC_RUN_RUNNING);
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(lc_history_run_running(h,
	    "00000000-0000-4000-8000-00000000abcd", 0, LC_HISTORY_NONE,
	    &cause), -1);
	assert_non_null(strstr(cause, "no run"));
	free(cause);
	cause = NULL;
	assert_int_equal(lc_history_event_add(h,
	    "00000000-0000-4000-8000-00000000abcd", LC_EVENT_STARTED,
	    LC_HISTORY_NONE, NULL, &cause), -1);
	assert_non_null(strstr(cause, "no run"));
	free(cause);
	lc_history_close(h);
}

/* Unknown statuses, triggers and event kinds are refused by the file. */
static void
test_check_constraints(void **state)
{
	struct lc_history	*h;
	sqlite3			*db;
	char			 id[LC_UUID_BUFSZ], sql[512];
	int			 i;

	h = open_rw(db_path, NULL);
	for (i = 0; i < LC_RUN_NSTATUS; i++)
		add_run(h, "every-status", (enum lc_run_status)i, T0 + i, 1, id);
	for (i = 0; i < LC_EVENT_COUNT; i++)
		add_event(h, id, (enum lc_event_kind)i, T0 + i, NULL);
	lc_history_close(h);

	db = raw_open(db_path);
	assert_int_equal(raw_int(db, "SELECT count(DISTINCT status) FROM runs"),
	    LC_RUN_NSTATUS);
	assert_int_equal(raw_int(db, "SELECT count(DISTINCT kind) FROM events"),
	    LC_EVENT_COUNT);
	assert_int_equal(raw_exec(db, "INSERT INTO runs (id, fire_id, job, "
	    "\"trigger\", scheduled_at, status, host) VALUES ("
	    "'11111111-1111-4111-8111-111111111111', 'f', 'j', 'schedule', 0, "
	    "'exploded', 'h')"), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_extended_errcode(db), SQLITE_CONSTRAINT_CHECK);
	assert_int_equal(raw_exec(db, "INSERT INTO runs (id, fire_id, job, "
	    "\"trigger\", scheduled_at, status, host) VALUES ("
	    "'11111111-1111-4111-8111-111111111111', 'f', 'j', 'cron', 0, "
	    "'queued', 'h')"), SQLITE_CONSTRAINT);
	snprintf(sql, sizeof sql, "INSERT INTO events (run, at, kind) "
	    "VALUES ('%s', 0, 'exploded')", id);
	assert_int_equal(raw_exec(db, sql), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_extended_errcode(db), SQLITE_CONSTRAINT_CHECK);
	snprintf(sql, sizeof sql, "UPDATE runs SET status = 'done' "
	    "WHERE id = '%s'", id);
	assert_int_equal(raw_exec(db, sql), SQLITE_CONSTRAINT);
	/* A pending retry is all four fields or none. */
	assert_int_equal(raw_exec(db, "INSERT INTO job_state (job, "
	    "retry_attempt, updated_at) VALUES ('j', 2, 0)"),
	    SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(db, "INSERT INTO job_state (job, paused, "
	    "updated_at) VALUES ('j', 2, 0)"), SQLITE_CONSTRAINT);
	sqlite3_close(db);
}

/* One transaction for many writes, as the daemon's wake-up. */
static void
test_explicit_transaction(void **state)
{
	struct lc_history	*h, *h2;
	struct lc_job_state	 js;
	struct lc_run		*runs;
	struct lc_history_filter f;
	size_t			 n;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	int			 i;

	h = open_rw(db_path, NULL);
	h2 = open_rw(db_path, NULL);
	lc_history_set_busy(h2, 50, 1);
	assert_int_equal(lc_history_begin(h, &cause), 0);
	assert_int_equal(lc_history_begin(h, &cause), -1);
	free(cause);
	cause = NULL;
	for (i = 0; i < 3; i++)
		add_run(h, "batch", LC_RUN_QUEUED, T0 + i * 1000, 1, id);
	lc_history_state_init(&js);
	js.job = "batch";
	js.last_fire_at = T0 + 2000;
	assert_int_equal(lc_history_state_put(h, &js, &cause), 0);
	/* Another writer waits, then gives up within its bound. */
	assert_int_equal(lc_history_state_put(h2, &js, &cause), -1);
	assert_non_null(strstr(cause, "locked"));
	free(cause);
	cause = NULL;
	/* A reader sees none of it yet. */
	lc_history_filter_init(&f);
	assert_int_equal(lc_history_list(h2, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 0);
	lc_history_runs_free(runs, n);
	assert_int_equal(lc_history_commit(h, &cause), 0);
	assert_int_equal(lc_history_list(h2, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 3);
	lc_history_runs_free(runs, n);
	assert_int_equal(lc_history_state_get(h2, "batch", &js, &cause), 0);
	assert_int_equal(js.last_fire_at, T0 + 2000);
	lc_history_state_clear(&js);

	/* Rolled back: nothing stays. */
	assert_int_equal(lc_history_begin(h, &cause), 0);
	add_run(h, "batch", LC_RUN_QUEUED, T0 + 9000, 1, id);
	lc_history_rollback(h);
	assert_int_equal(lc_history_list(h2, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 3);
	lc_history_runs_free(runs, n);
	assert_int_equal(lc_history_commit(h, &cause), -1);
	free(cause);
	lc_history_close(h2);
	lc_history_close(h);
}

/* A writer in another process holds the lock: we wait, boundedly. */
static void
test_busy_other_process(void **state)
{
	struct lc_history	*h;
	int64_t			 t0;
	int			 p[2], status;
	pid_t			 pid;
	char			 c, id[LC_UUID_BUFSZ], *cause = NULL;

	lc_history_close(open_rw(db_path, NULL));
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct lc_history	*ch;

		ch = lc_history_open(db_path, 0, NULL, NULL);
		if (ch == NULL || lc_history_begin(ch, NULL) != 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		usleep(1500 * 1000);
		_exit(lc_history_commit(ch, NULL) == 0 ? 0 : 2);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	h = open_rw(db_path, NULL);
	lc_history_set_busy(h, 100, 2);
	t0 = lc_mono_ms();
	assert_int_equal(lc_history_begin(h, &cause), -1);
	assert_true(lc_mono_ms() - t0 < 1400);
	assert_non_null(strstr(cause, "locked"));
	free(cause);
	cause = NULL;
	/* With the default timeout the write goes through once it commits. */
	lc_history_set_busy(h, 5000, 3);
	add_run(h, "j", LC_RUN_QUEUED, T0, 1, id);
	assert_true(lc_mono_ms() - t0 >= 1000);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	lc_history_close(h);
	close(p[0]);
	close(p[1]);
}

static void
test_job_state(void **state)
{
	struct lc_history	*h;
	struct lc_job_state	 js, *all;
	size_t			 n;
	char			*cause = NULL;

	h = open_rw(db_path, NULL);
	assert_int_equal(lc_history_state_get(h, "nightly", &js, &cause), 0);
	assert_string_equal(js.job, "nightly");
	assert_int_equal(js.last_fire_at, LC_HISTORY_NONE);
	assert_int_equal(js.retry_attempt, 0);
	assert_int_equal(js.paused, 0);
	assert_null(js.reboot_boot_id);
	js.last_fire_at = T0;
	js.retry_attempt = 2;
	js.retry_due_at = T0 + 60000;
	js.retry_fire_id = xstrdup("fire-1");
	js.retry_scheduled_at = T0;
	js.paused = 1;
	js.reboot_boot_id = xstrdup(OTHER_BOOT);
	assert_int_equal(lc_history_state_put(h, &js, &cause), 0);
	lc_history_state_clear(&js);
	assert_int_equal(lc_history_state_get(h, "nightly", &js, &cause), 0);
	assert_int_equal(js.last_fire_at, T0);
	assert_int_equal(js.retry_attempt, 2);
	assert_int_equal(js.retry_due_at, T0 + 60000);
	assert_string_equal(js.retry_fire_id, "fire-1");
	assert_int_equal(js.retry_scheduled_at, T0);
	assert_int_equal(js.paused, 1);
	assert_string_equal(js.reboot_boot_id, OTHER_BOOT);
	assert_true(js.updated_at != LC_HISTORY_NONE);
	/* The retry is done: clear it, keep the rest. */
	js.retry_attempt = 0;
	js.paused = 0;
	js.last_fire_at = T0 + 3600000;
	assert_int_equal(lc_history_state_put(h, &js, &cause), 0);
	lc_history_state_clear(&js);
	assert_int_equal(lc_history_state_get(h, "nightly", &js, &cause), 0);
	assert_int_equal(js.retry_attempt, 0);
	assert_null(js.retry_fire_id);
	assert_int_equal(js.retry_due_at, LC_HISTORY_NONE);
	assert_int_equal(js.paused, 0);
	assert_int_equal(js.last_fire_at, T0 + 3600000);
	lc_history_state_clear(&js);

	lc_history_state_init(&js);
	js.job = xstrdup("alpha");
	assert_int_equal(lc_history_state_put(h, &js, &cause), 0);
	lc_history_state_clear(&js);
	assert_int_equal(lc_history_state_list(h, &all, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].job, "alpha");
	assert_string_equal(all[1].job, "nightly");
	lc_history_states_free(all, n);
	assert_int_equal(lc_history_state_delete(h, "alpha", &cause), 0);
	assert_int_equal(lc_history_state_list(h, &all, &n, &cause), 0);
	assert_int_equal(n, 1);
	lc_history_states_free(all, n);
	lc_history_close(h);
}

/* Version 1 as the first prototype wrote it; kept here on purpose. */
static const char schema_v1[] =
	"CREATE TABLE runs ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" job TEXT NOT NULL,"
	" \"trigger\" TEXT NOT NULL CHECK (\"trigger\" IN ('schedule',"
	"  'manual', 'retry')),"
	" attempt INTEGER NOT NULL DEFAULT 1,"
	" scheduled_at INTEGER NOT NULL,"
	" started_at INTEGER, finished_at INTEGER, duration_ms INTEGER,"
	" status TEXT NOT NULL CHECK (status IN ('queued', 'running',"
	"  'succeeded', 'failed', 'timed_out', 'killed', 'cancelled',"
	"  'skipped', 'secret_error', 'launch_error')),"
	" exit_code INTEGER, signal INTEGER, host TEXT NOT NULL,"
	" supervisor_pid INTEGER, error TEXT, output TEXT);"
	"CREATE TABLE events (run TEXT NOT NULL REFERENCES runs (id),"
	" at INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('scheduled',"
	" 'queued', 'lock_wait', 'lock_acquired', 'secrets_fetched',"
	" 'started', 'exited', 'timeout')), detail TEXT);"
	"CREATE INDEX runs_job ON runs (job, scheduled_at);"
	"CREATE INDEX events_run ON events (run);"
	"INSERT INTO runs VALUES ('aaaaaaaa-0000-4000-8000-000000000001',"
	" 'old', 'schedule', 1, 1000, 1001, 2001, 1000, 'succeeded', 0, NULL,"
	" 'h1', 4242, NULL, 'hello');"
	"INSERT INTO runs VALUES ('aaaaaaaa-0000-4000-8000-000000000002',"
	" 'old', 'retry', 2, 1000, 3001, 4001, 1000, 'failed', 3, NULL,"
	" 'h1', 4243, 'exit 3', NULL);"
	"INSERT INTO events VALUES ('aaaaaaaa-0000-4000-8000-000000000001',"
	" 1001, 'started', 'pid 9');"
	"INSERT INTO events VALUES ('aaaaaaaa-0000-4000-8000-000000000001',"
	" 2001, 'exited', 'exit 0');"
	"INSERT INTO events VALUES ('ffffffff-0000-4000-8000-000000000009',"
	" 5, 'started', 'an orphan');"
	"PRAGMA user_version = 1;";

static void
test_migration_from_v1(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r;
	struct lc_event		*ev;
	sqlite3			*db;
	size_t			 n;
	char			 id[LC_UUID_BUFSZ], *cause = NULL, *s;

	mkdir(dir, 0700);
	snprintf(db_path, sizeof db_path, "%s/v1.db", dir);
	db = raw_open(db_path);
	assert_int_equal(raw_exec(db, schema_v1), SQLITE_OK);
	sqlite3_close(db);

	/* Readers cannot migrate: they say who will. */
	assert_null(lc_history_open(db_path, LC_HISTORY_READONLY, NULL,
	    &cause));
	assert_non_null(strstr(cause, "version 1 needs an upgrade"));
	free(cause);
	cause = NULL;

	h = open_rw(db_path, NULL);
	assert_int_equal(lc_history_run_get(h, "aaaaaaaa-0000-4000-8000-"
	    "000000000001", &r, NULL, NULL, &cause), 0);
	assert_string_equal(r.fire_id, r.id);
	assert_string_equal(r.job, "old");
	assert_int_equal(r.status, LC_RUN_SUCCEEDED);
	assert_int_equal(r.supervisor_pid, 4242);
	assert_int_equal(r.supervisor_start, LC_HISTORY_NONE);
	assert_null(r.boot_id);
	assert_string_equal(r.output, "hello");
	lc_history_run_clear(&r);
	assert_int_equal(lc_history_events(h, "aaaaaaaa-0000-4000-8000-"
	    "000000000001", &ev, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[1].detail, "exit 0");
	lc_history_events_free(ev, n);
	/* What version 2 added works on the migrated file. */
	add_run(h, "old", LC_RUN_LOST, 5000, 1, id);
	add_event(h, id, LC_EVENT_LEASE_LOST, 5000, NULL);
	lc_history_close(h);

	db = raw_open(db_path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"),
	    LC_HISTORY_SCHEMA_VERSION);
	s = raw_text(db, "PRAGMA journal_mode");
	assert_string_equal(s, "wal");
	free(s);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM runs"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM events"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE"
	    " name IN ('runs_job', 'runs_v1', 'events_v1')"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE"
	    " name IN ('job_state', 'runs_job_time', 'runs_status')"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM "
	    "pragma_foreign_key_check"), 0);
	/* A version from the future is refused, not downgraded. */
	assert_int_equal(raw_exec(db, "PRAGMA user_version = 99"), SQLITE_OK);
	sqlite3_close(db);
	assert_null(lc_history_open(db_path, 0, NULL, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
}

/* Files that are not a lockcron history say what they are. */
static void
test_bad_files(void **state)
{
	struct lc_history	*h;
	sqlite3			*db;
	FILE			*f;
	char			*cause = NULL;

	mkdir(dir, 0700);
	snprintf(db_path, sizeof db_path, "%s/missing.db", dir);
	assert_null(lc_history_open(db_path, LC_HISTORY_READONLY, NULL,
	    &cause));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "no run has been recorded yet"));
	free(cause);
	cause = NULL;
	assert_null(lc_history_open(db_path, LC_HISTORY_NOCREATE, NULL, NULL));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(db_path, F_OK), -1);

	snprintf(db_path, sizeof db_path, "%s/text.db", dir);
	f = fopen(db_path, "w");
	fprintf(f, "this is not a database, not even close, no no no no no\n");
	fclose(f);
	h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL, &cause);
	assert_null(h);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(cause, db_path));
	free(cause);
	cause = NULL;
	assert_null(lc_history_open(db_path, 0, NULL, &cause));
	assert_int_equal(errno, EBADMSG);
	free(cause);
	cause = NULL;

	snprintf(db_path, sizeof db_path, "%s/other.db", dir);
	db = raw_open(db_path);
	raw_exec(db, "CREATE TABLE t (x)");
	sqlite3_close(db);
	assert_null(lc_history_open(db_path, 0, NULL, &cause));
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(cause, "not a lockcron history"));
	free(cause);
}

/* Inserts n runs, one transaction each, with a short pause between. */
static int
write_runs(struct lc_history *h, int first, int n)
{
	struct timespec		 ts = { 0, 2 * 1000 * 1000 };
	char			 id[LC_UUID_BUFSZ];
	struct lc_run		 r;
	int			 i;

	lc_history_run_init(&r);
	r.job = "w";
	r.status = LC_RUN_SUCCEEDED;
	for (i = first; i < first + n; i++) {
		r.scheduled_at = T0 + i;
		if (lc_history_begin(h, NULL) != 0 ||
		    lc_history_run_insert(h, &r, id, NULL) != 0 ||
		    lc_history_event_add(h, id, LC_EVENT_EXITED, T0 + i, NULL,
		    NULL) != 0 || lc_history_commit(h, NULL) != 0)
			return (-1);
		nanosleep(&ts, NULL);
	}
	return (0);
}

/* Counts runs through a read-only handle. */
static int64_t
count_runs(struct lc_history *h, char **cause)
{
	struct lc_history_count	*c;
	size_t			 n, i;
	int64_t			 total = 0;

	if (lc_history_counts(h, &c, &n, cause) != 0)
		return (-1);
	for (i = 0; i < n; i++)
		total += c[i].count;
	lc_history_counts_free(c, n);
	return (total);
}

/*
 * The reader: drops write access (nobody as root; the files are 0444
 * anyway), opens read-only, reads until it has seen every row. Reports
 * "reads distinct final" or an error on fd.
 */
static void
reader(int fd, int ready, int64_t want)
{
	struct lc_history	*h;
	char			 shm[600], msg[256], *cause = NULL;
	int64_t			 n, last = -1, t0 = lc_mono_ms();
	int			 reads = 0, distinct = 0;

	if (getuid() == 0 && (setgroups(0, NULL) != 0 ||
	    setgid(65534) != 0 || setuid(65534) != 0))
		_exit(10);
	snprintf(shm, sizeof shm, "%s-shm", db_path);
	if (access(db_path, W_OK) == 0 || access(shm, W_OK) == 0) {
		dprintf(fd, "error: the reader can write\n");
		_exit(11);
	}
	if ((h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL,
	    &cause)) == NULL) {
		dprintf(fd, "error: %s\n", cause);
		_exit(12);
	}
	while (last < want && lc_mono_ms() - t0 < 15000) {
		if ((n = count_runs(h, &cause)) < last || n < 0) {
			dprintf(fd, "error: read %lld after %lld: %s\n",
			    (long long)n, (long long)last,
			    cause != NULL ? cause : "");
			_exit(13);
		}
		if (reads++ == 0)
			(void)!write(ready, "r", 1);
		distinct += n != last;
		last = n;
	}
	lc_history_close(h);
	snprintf(msg, sizeof msg, "%d %d %lld\n", reads, distinct,
	    (long long)last);
	(void)!write(fd, msg, strlen(msg));
	_exit(0);
}

static void
chmod_all(mode_t mode)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char	 p[600];
	size_t	 i;

	for (i = 0; i < LC_NELEM(suffixes); i++) {
		snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
		assert_int_equal(chmod(p, mode), 0);
	}
}

/* A read-only reader without write access reads while another writes. */
static void
test_readonly_during_writes(void **state)
{
	int	 go[2], ready[2], report[2], ws, rs, reads, distinct;
	pid_t	 writer, rd;
	char	 buf[512], c;
	long long final;
	ssize_t	 len;

	chmod(dir, 0755);	/* the reader may be nobody */
	lc_history_close(open_rw(db_path, NULL));
	snprintf(buf, sizeof buf, "%s/state", dir);
	chmod(buf, 0755);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(report), 0);
	/* The writer: one run, then the rest once the reader reads. */
	if ((writer = fork()) == 0) {
		struct lc_history	*h;

		if ((h = lc_history_open(db_path, 0, NULL, NULL)) == NULL ||
		    write_runs(h, 0, 1) != 0)
			_exit(1);
		(void)!write(ready[1], "w", 1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (write_runs(h, 1, 299) != 0)
			_exit(3);
		lc_history_close(h);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	chmod_all(0444);
	if ((rd = fork()) == 0)
		reader(report[1], ready[1], 300);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(write(go[1], "g", 1), 1);
	waitpid(writer, &ws, 0);
	waitpid(rd, &rs, 0);
	len = read(report[0], buf, sizeof buf - 1);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	if (!WIFEXITED(rs) || WEXITSTATUS(rs) != 0)
		fail_msg("reader: %s", buf);
	assert_int_equal(sscanf(buf, "%d %d %lld", &reads, &distinct, &final),
	    3);
	assert_int_equal(final, 300);
	/* It saw the table grow while the writer wrote. */
	assert_true(distinct >= 3);
	chmod_all(0600);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	close(report[0]);
	close(report[1]);
}

static void
assert_mode(const char *path, mode_t mode, gid_t gid)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct stat	 sb;
	char		 p[600];
	size_t		 i;

	for (i = 0; i < LC_NELEM(suffixes); i++) {
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		if (stat(p, &sb) != 0)
			fail_msg("%s: %s", p, strerror(errno));
		if ((sb.st_mode & 07777) != mode)
			fail_msg("%s: mode %o, not %o", p,
			    (unsigned)(sb.st_mode & 07777), (unsigned)mode);
		if (gid != (gid_t)-1 && sb.st_gid != gid)
			fail_msg("%s: group %ld, not %ld", p, (long)sb.st_gid,
			    (long)gid);
	}
}

/* A group we may give files to: a throwaway one as root when we can. */
static int
pick_group(char *name, size_t len, gid_t *gid)
{
	struct group	*gr;
	char		 cmd[128];

	if (geteuid() == 0 && access("/usr/sbin/groupadd", X_OK) == 0) {
		snprintf(name, len, "lchist%ld", (long)getpid());
		snprintf(cmd, sizeof cmd, "/usr/sbin/groupadd %s "
		    ">/dev/null 2>&1", name);
		if (system(cmd) == 0)
			snprintf(created_group, sizeof created_group, "%s",
			    name);
	}
	if (created_group[0] == '\0') {
		gr = getgrgid(getegid());
		if (geteuid() == 0 && getgrnam("daemon") != NULL)
			gr = getgrnam("daemon");
		if (gr == NULL)
			return (-1);
		snprintf(name, len, "%s", gr->gr_name);
	}
	if ((gr = getgrnam(name)) == NULL)
		return (-1);
	*gid = gr->gr_gid;
	return (0);
}

static void
test_file_modes(void **state)
{
	struct lc_history	*h;
	char			 group[64];
	gid_t			 gid = 0;
	mode_t			 old;

	/* 0600 with no group, or a group that does not exist; SQLite's
	 * own default would be 0644 under this umask. */
	old = umask(0);
	h = open_rw(db_path, NULL);
	assert_mode(db_path, 0600, getegid());
	lc_history_close(h);
	/* -wal and -shm persist after the last writer closes. */
	assert_mode(db_path, 0600, (gid_t)-1);

	snprintf(db_path, sizeof db_path, "%s/nogroup/history.db", dir);
	h = open_rw(db_path, "no-such-group-lockcron");
	assert_mode(db_path, 0600, (gid_t)-1);
	lc_history_close(h);

	if (pick_group(group, sizeof group, &gid) != 0) {
		umask(old);
		skip();
	}
	snprintf(db_path, sizeof db_path, "%s/group/history.db", dir);
	h = open_rw(db_path, group);
	assert_mode(db_path, 0640, gid);
	lc_history_close(h);
	assert_mode(db_path, 0640, gid);
	umask(old);
}

/* A child that waits to be killed: a live supervisor. */
static pid_t
live_child(void)
{
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	return (pid);
}

/* A pid no process has any more. */
static pid_t
dead_pid(void)
{
	pid_t	 pid;

	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return (pid);
}

static void
add_active(struct lc_history *h, enum lc_run_status status, const char *host,
    const char *boot, pid_t pid, int64_t start, char id[LC_UUID_BUFSZ])
{
	struct lc_run	 r;
	char		*cause = NULL;

	lc_history_run_init(&r);
	r.job = "rec";
	r.status = status;
	r.scheduled_at = T0;
	r.host = (char *)host;
	r.boot_id = (char *)boot;
	r.supervisor_pid = pid;
	r.supervisor_start = start;
	if (status == LC_RUN_RUNNING && pid == 0)
		r.supervisor_pid = 999999;	/* not this process */
	if (lc_history_run_insert(h, &r, id, &cause) != 0)
		fail_msg("insert: %s", cause);
}

/* A running row without a start time, as version 1 wrote them. */
static void
forget_start(const char *id)
{
	sqlite3	*db;
	char	 sql[256];

	db = raw_open(db_path);
	snprintf(sql, sizeof sql, "UPDATE runs SET supervisor_start = NULL "
	    "WHERE id = '%s'", id);
	assert_int_equal(raw_exec(db, sql), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static enum lc_run_status
status_of(struct lc_history *h, const char *id, char **error)
{
	struct lc_run		 r;
	enum lc_run_status	 s;

	if (lc_history_run_get(h, id, &r, NULL, NULL, NULL) != 0)
		fail_msg("no run %s", id);
	s = r.status;
	if (error != NULL)
		*error = r.error != NULL ? xstrdup(r.error) : NULL;
	lc_history_run_clear(&r);
	return (s);
}

static void
test_reconcile(void **state)
{
	struct lc_history	*h;
	char			 live[LC_UUID_BUFSZ], dead[LC_UUID_BUFSZ];
	char			 reused[LC_UUID_BUFSZ], other[LC_UUID_BUFSZ];
	char			 reboot[LC_UUID_BUFSZ], nostart[LC_UUID_BUFSZ];
	char			 q[LC_UUID_BUFSZ], qboot[LC_UUID_BUFSZ];
	char			 qother[LC_UUID_BUFSZ], filled[LC_UUID_BUFSZ];
	char			*cause = NULL, *err;
	struct lc_run		 r;
	pid_t			 alive, gone;
	int64_t			 start;
	size_t			 nlost;

	alive = child_pid = live_child();
	while ((start = lc_proc_start_time(alive)) == -1)
		;
	gone = dead_pid();
	h = open_rw(db_path, NULL);
	add_active(h, LC_RUN_RUNNING, NULL, NULL, alive, start, live);
	add_active(h, LC_RUN_RUNNING, NULL, NULL, gone, start, dead);
	add_active(h, LC_RUN_RUNNING, NULL, NULL, alive, start + 1, reused);
	add_active(h, LC_RUN_RUNNING, "elsewhere", NULL, gone, start, other);
	add_active(h, LC_RUN_RUNNING, NULL, OTHER_BOOT, alive, start, reboot);
	add_active(h, LC_RUN_RUNNING, NULL, NULL, alive, start, nostart);
	forget_start(nostart);
	/* Given only a pid, the insert reads its start time itself. */
	add_active(h, LC_RUN_RUNNING, NULL, NULL, alive, LC_HISTORY_NONE,
	    filled);
	assert_int_equal(lc_history_run_get(h, filled, &r, NULL, NULL, &cause),
	    0);
	assert_int_equal(r.supervisor_start, start);
	lc_history_run_clear(&r);
	add_active(h, LC_RUN_QUEUED, NULL, NULL, 0, LC_HISTORY_NONE, q);
	add_active(h, LC_RUN_QUEUED, NULL, OTHER_BOOT, 0, LC_HISTORY_NONE,
	    qboot);
	add_active(h, LC_RUN_QUEUED, "elsewhere", OTHER_BOOT, 0,
	    LC_HISTORY_NONE, qother);

	assert_int_equal(lc_history_reconcile(h, 0, &nlost, &cause), 0);
	assert_int_equal(nlost, 5);
	assert_int_equal(status_of(h, live, NULL), LC_RUN_RUNNING);
	assert_int_equal(status_of(h, filled, NULL), LC_RUN_RUNNING);
	assert_int_equal(status_of(h, dead, &err), LC_RUN_LOST);
	assert_non_null(strstr(err, "is gone"));
	free(err);
	assert_int_equal(status_of(h, reused, &err), LC_RUN_LOST);
	assert_non_null(strstr(err, "another process"));
	free(err);
	assert_int_equal(status_of(h, other, NULL), LC_RUN_RUNNING);
	assert_int_equal(status_of(h, reboot, &err), LC_RUN_LOST);
	assert_non_null(strstr(err, "rebooted"));
	free(err);
	assert_int_equal(status_of(h, nostart, NULL), LC_RUN_LOST);
	assert_int_equal(status_of(h, q, NULL), LC_RUN_QUEUED);
	assert_int_equal(status_of(h, qboot, NULL), LC_RUN_LOST);
	assert_int_equal(status_of(h, qother, NULL), LC_RUN_QUEUED);

	/* A starting daemon: its queued rows never got a supervisor. */
	assert_int_equal(lc_history_reconcile(h, LC_RECONCILE_STARTING, &nlost,
	    &cause), 0);
	assert_int_equal(nlost, 1);
	assert_int_equal(status_of(h, q, &err), LC_RUN_LOST);
	assert_non_null(strstr(err, "restarted"));
	free(err);
	assert_int_equal(status_of(h, qother, NULL), LC_RUN_QUEUED);
	assert_int_equal(status_of(h, live, NULL), LC_RUN_RUNNING);

	/* The supervisor dies: now it is lost. */
	kill(alive, SIGKILL);
	waitpid(alive, NULL, 0);
	child_pid = 0;
	assert_int_equal(lc_history_reconcile(h, 0, &nlost, &cause), 0);
	assert_int_equal(nlost, 2);
	assert_int_equal(status_of(h, live, NULL), LC_RUN_LOST);
	assert_int_equal(status_of(h, filled, NULL), LC_RUN_LOST);
	lc_history_close(h);
}

/* Job a: one finished run a day for 10 days, 2 events each, old active. */
static void
prune_data(struct lc_history *h, int64_t now)
{
	char	 id[LC_UUID_BUFSZ];
	int	 d;

	for (d = 10; d >= 1; d--) {
		add_run(h, "a", LC_RUN_SUCCEEDED, now - d * DAY + 1000, 1, id);
		add_event(h, id, LC_EVENT_STARTED, now - d * DAY + 1005, NULL);
		add_event(h, id, LC_EVENT_EXITED, now - d * DAY + 2005, NULL);
	}
	add_run(h, "a", LC_RUN_RUNNING, now - 20 * DAY, 1, id);
	add_run(h, "a", LC_RUN_QUEUED, now - 15 * DAY, 1, id);
	for (d = 5; d >= 1; d--)
		add_run(h, "b", LC_RUN_FAILED, now - d * HOUR, 1, id);
}

static void
test_prune(void **state)
{
	struct lc_history		*h;
	struct lc_history_prune_opts	 o;
	struct lc_history_prune_stats	 s, dry;
	sqlite3				*db;
	int64_t				 now = T0;
	char				*cause = NULL;

	h = open_rw(db_path, NULL);
	prune_data(h, now);
	memset(&o, 0, sizeof o);
	o.now = now;
	o.keep_days = 5;
	o.dry_run = 1;
	assert_int_equal(lc_history_prune(h, &o, &dry, &cause), 0);
	assert_int_equal(dry.runs, 5);
	assert_int_equal(dry.events, 10);
	assert_int_equal(dry.batches, 0);
	o.dry_run = 0;
	o.batch = 2;
	assert_int_equal(lc_history_prune(h, &o, &s, &cause), 0);
	assert_int_equal(s.runs, 5);
	assert_int_equal(s.events, 10);
	assert_int_equal(s.batches, 3);

	db = raw_open(db_path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM runs WHERE job = 'a'"
	    " AND status = 'succeeded'"), 5);
	assert_int_equal(raw_int(db, "SELECT min(scheduled_at) FROM runs WHERE"
	    " status = 'succeeded'"), now - 5 * DAY + 1000);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM runs WHERE status IN"
	    " ('queued', 'running')"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM events"), 10);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE run NOT"
	    " IN (SELECT id FROM runs)"), 0);

	/* Keep the 3 newest per job: a loses 2 (not its active rows), b 2. */
	memset(&o, 0, sizeof o);
	o.now = now;
	o.keep_runs = 3;
	o.dry_run = 1;
	assert_int_equal(lc_history_prune(h, &o, &dry, &cause), 0);
	assert_int_equal(dry.runs, 4);
	assert_int_equal(dry.events, 4);
	o.dry_run = 0;
	assert_int_equal(lc_history_prune(h, &o, &s, &cause), 0);
	assert_int_equal(s.runs, 4);
	assert_int_equal(s.events, 4);
	assert_int_equal(s.batches, 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM runs WHERE job = 'b'"),
	    3);
	assert_int_equal(raw_int(db, "SELECT min(scheduled_at) FROM runs WHERE"
	    " job = 'b'"), now - 3 * HOUR);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM runs WHERE job = 'a'"),
	    5);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM events"), 6);
	sqlite3_close(db);
	lc_history_close(h);

	/* Both at once: the dry run counts exactly what the prune deletes. */
	snprintf(db_path, sizeof db_path, "%s/both.db", dir);
	h = open_rw(db_path, NULL);
	prune_data(h, now);
	memset(&o, 0, sizeof o);
	o.now = now;
	o.keep_days = 5;
	o.keep_runs = 3;
	o.dry_run = 1;
	assert_int_equal(lc_history_prune(h, &o, &dry, &cause), 0);
	o.dry_run = 0;
	assert_int_equal(lc_history_prune(h, &o, &s, &cause), 0);
	assert_int_equal(s.runs, 9);
	assert_int_equal(dry.runs, s.runs);
	assert_int_equal(dry.events, s.events);
	assert_int_equal(s.events, 14);
	assert_int_equal(s.batches, 3);
	lc_history_close(h);
}

/* Runs with chosen ids, for prefix tests. */
static void
add_raw_id(const char *id)
{
	sqlite3	*db;
	char	 sql[512];

	db = raw_open(db_path);
	snprintf(sql, sizeof sql, "INSERT INTO runs (id, fire_id, job, "
	    "\"trigger\", scheduled_at, status, host) VALUES ('%s', '%s', "
	    "'p', 'manual', 1, 'succeeded', 'h')", id, id);
	assert_int_equal(raw_exec(db, sql), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_get_by_prefix(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r;
	char			**cand, *cause = NULL;
	size_t			  ncand, len;

	lc_history_close(open_rw(db_path, NULL));
	add_raw_id("abcd1111-0000-4000-8000-000000000001");
	add_raw_id("abcd2222-0000-4000-8000-000000000002");
	add_raw_id("abce0000-0000-4000-8000-000000000003");
	h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL, &cause);
	assert_non_null(h);
	assert_int_equal(lc_history_run_get(h, "abcd1", &r, &cand, &ncand,
	    &cause), 0);
	assert_string_equal(r.id, "abcd1111-0000-4000-8000-000000000001");
	lc_history_run_clear(&r);
	assert_int_equal(lc_history_run_get(h, "ABCE", &r, NULL, NULL, &cause),
	    0);
	assert_string_equal(r.id, "abce0000-0000-4000-8000-000000000003");
	lc_history_run_clear(&r);
	assert_int_equal(lc_history_run_get(h, "abcd", &r, &cand, &ncand,
	    &cause), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(ncand, 2);
	assert_string_equal(cand[0], "abcd1111-0000-4000-8000-000000000001");
	assert_string_equal(cand[1], "abcd2222-0000-4000-8000-000000000002");
	assert_non_null(strstr(cause, "ambiguous"));
	assert_non_null(strstr(cause, cand[1]));
	lc_history_jobs_free(cand, ncand);
	free(cause);
	cause = NULL;
	assert_int_equal(lc_history_run_get(h, "beef", &r, NULL, NULL, &cause),
	    -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
	cause = NULL;
	assert_int_equal(lc_history_run_get(h, "xyz'; --", &r, NULL, NULL,
	    &cause), -1);
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(lc_history_unique_prefix(h,
	    "abcd1111-0000-4000-8000-000000000001", 1, &len, &cause), 0);
	assert_int_equal(len, 5);
	assert_int_equal(lc_history_unique_prefix(h,
	    "abce0000-0000-4000-8000-000000000003", 8, &len, &cause), 0);
	assert_int_equal(len, 8);
	lc_history_close(h);
}

/* Finishes a run with status at time at. */
static void
add_done(struct lc_history *h, const char *job, enum lc_run_status s,
    int64_t at, int attempt)
{
	char	 id[LC_UUID_BUFSZ];

	add_run(h, job, s, at, attempt, id);
}

/* Three jobs' runs for the query tests; returns a read-only handle. */
static struct lc_history *
query_data(void)
{
	struct lc_history	*h;
	char			*cause = NULL;

	h = open_rw(db_path, NULL);
	add_done(h, "alpha", LC_RUN_SUCCEEDED, T0 + 1 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_FAILED, T0 + 2 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_FAILED, T0 + 3 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_SUCCEEDED, T0 + 3 * HOUR, 2);
	add_done(h, "alpha", LC_RUN_FAILED, T0 + 4 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_SKIPPED, T0 + 5 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_TIMED_OUT, T0 + 6 * HOUR, 1);
	add_done(h, "alpha", LC_RUN_RUNNING, T0 + 7 * HOUR, 1);
	add_done(h, "beta", LC_RUN_LAUNCH_ERROR, T0 + 1 * HOUR, 1);
	add_done(h, "beta", LC_RUN_LOST, T0 + 2 * HOUR, 1);
	add_done(h, "beta", LC_RUN_MISSED, T0 + 3 * HOUR, 1);
	add_done(h, "gamma", LC_RUN_SUCCEEDED, T0 + 90 * 60000, 1);
	lc_history_close(h);
	if ((h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL,
	    &cause)) == NULL)
		fail_msg("%s", cause);
	return (h);
}

static void
test_list_filters(void **state)
{
	struct lc_history		*h;
	struct lc_history_filter	 f;
	struct lc_run			*runs;
	const char			*jobs[] = { "alpha", "gamma" };
	char				*cause = NULL;
	size_t				 n;

	h = query_data();
	/* Newest first; the retry before its first attempt. */
	lc_history_filter_init(&f);
	f.jobs = (const char *const *)jobs;
	f.njobs = 1;
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 8);
	assert_int_equal(runs[0].status, LC_RUN_RUNNING);
	assert_int_equal(runs[3].scheduled_at, T0 + 4 * HOUR);
	assert_int_equal(runs[4].attempt, 2);
	assert_int_equal(runs[4].trigger, LC_TRIGGER_RETRY);
	assert_int_equal(runs[5].attempt, 1);
	assert_null(runs[0].output);
	lc_history_runs_free(runs, n);
	/* Two jobs, a status set, a window, a limit. */
	f.njobs = 2;
	f.statuses = LC_RUN_MASK(LC_RUN_SUCCEEDED) | LC_RUN_MASK(LC_RUN_FAILED);
	f.since = T0 + 90 * 60000;
	f.until = T0 + 4 * HOUR;
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 4);
	assert_string_equal(runs[0].job, "alpha");
	assert_int_equal(runs[0].scheduled_at, T0 + 3 * HOUR);
	assert_string_equal(runs[3].job, "gamma");
	lc_history_runs_free(runs, n);
	f.limit = 2;
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 2);
	lc_history_runs_free(runs, n);
	/* Every job, by trigger. */
	lc_history_filter_init(&f);
	f.triggers = LC_TRIGGER_MASK(LC_TRIGGER_RETRY);
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 1);
	lc_history_runs_free(runs, n);
	lc_history_filter_init(&f);
	f.limit = 3;
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].scheduled_at, T0 + 7 * HOUR);
	assert_int_equal(runs[2].scheduled_at, T0 + 5 * HOUR);
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

static void
test_summaries_counts(void **state)
{
	struct lc_history		*h;
	struct lc_job_summary		 s;
	struct lc_history_count		*c;
	char				**names, *cause = NULL;
	size_t				  n;

	h = query_data();
	/* Summaries: skipped runs neither break nor extend a streak. */
	assert_int_equal(lc_history_summary(h, "alpha", &s, &cause), 0);
	assert_int_equal(s.last->status, LC_RUN_RUNNING);
	assert_int_equal(s.last_finished->status, LC_RUN_TIMED_OUT);
	assert_int_equal(s.last_success->scheduled_at, T0 + 3 * HOUR);
	assert_int_equal(s.last_success->attempt, 2);
	assert_int_equal(s.consecutive_failures, 2);
	lc_history_summary_clear(&s);
	assert_int_equal(lc_history_summary(h, "beta", &s, &cause), 0);
	assert_int_equal(s.last->status, LC_RUN_MISSED);
	assert_int_equal(s.last_finished->status, LC_RUN_LOST);
	assert_null(s.last_success);
	assert_int_equal(s.consecutive_failures, 2);
	lc_history_summary_clear(&s);
	assert_int_equal(lc_history_summary(h, "nobody", &s, &cause), 0);
	assert_string_equal(s.job, "nobody");
	assert_null(s.last);
	assert_null(s.last_finished);
	assert_int_equal(s.consecutive_failures, 0);
	lc_history_summary_clear(&s);

	assert_int_equal(lc_history_jobs(h, &names, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "alpha");
	assert_string_equal(names[2], "gamma");
	lc_history_jobs_free(names, n);
	assert_int_equal(lc_history_counts(h, &c, &n, &cause), 0);
	assert_int_equal(n, 9);
	assert_string_equal(c[0].job, "alpha");
	assert_int_equal(c[0].status, LC_RUN_FAILED);
	assert_int_equal(c[0].count, 3);
	lc_history_counts_free(c, n);
	/* Read-only means it. */
	assert_int_equal(lc_history_state_delete(h, "alpha", &cause), -1);
	assert_non_null(strstr(cause, "read-only"));
	free(cause);
	lc_history_close(h);
}

/* A handle used after fork() refuses, and closing it leaves the file. */
static void
test_fork_guard(void **state)
{
	struct lc_history	*h;
	struct lc_history_filter f;
	struct lc_run		*runs;
	size_t			 n;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	pid_t			 pid;
	int			 status;

	h = open_rw(db_path, NULL);
	add_run(h, "f", LC_RUN_SUCCEEDED, T0, 1, id);
	lc_history_filter_init(&f);
	if ((pid = fork()) == 0) {
		struct lc_run	 r;

		if (lc_history_list(h, &f, &runs, &n, &cause) == 0)
			_exit(1);
		if (strstr(cause, "fork") == NULL)
			_exit(2);
		lc_history_run_init(&r);
		r.job = "f";
		r.scheduled_at = T0;
		if (lc_history_run_insert(h, &r, id, NULL) == 0)
			_exit(3);
		lc_history_close(h);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	add_run(h, "f", LC_RUN_SUCCEEDED, T0 + 1, 1, id);
	assert_int_equal(lc_history_list(h, &f, &runs, &n, &cause), 0);
	assert_int_equal(n, 2);
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_start_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_run_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retry_killed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_state_transitions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_constraints, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_explicit_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_other_process, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_job_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_during_writes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_by_prefix, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_summaries_counts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fork_guard, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("history", tests, NULL, NULL));
}
