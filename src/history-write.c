/*
 * Writing the history: a run's row from queued to finished, its events,
 * each job's scheduling state, crash reconciliation and pruning. Every
 * write is a BEGIN IMMEDIATE transaction of its own unless the caller
 * opened one with lc_history_begin.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "history-int.h"

#define ACTIVE "('queued', 'running')"

static const char sql_insert[] =
	"INSERT INTO runs (id, fire_id, job, \"trigger\", attempt, scheduled_at,"
	" started_at, finished_at, duration_ms, status, exit_code, signal,"
	" host, boot_id, supervisor_pid, supervisor_start, error, output)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	" ?14, ?15, ?16, ?17, ?18)";

/* Steps a write statement once; 0 when it is done. */
static int
step_done(struct lc_history *h, sqlite3_stmt *st, const char *what,
    char **cause)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		history_set_cause(h, cause, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Binds a new run; a running row gets its supervisor's start time, and
 * this process as its supervisor when it names none. */
static void
bind_run(struct lc_history *h, sqlite3_stmt *st, const struct lc_run *r,
    const char *id)
{
	pid_t	 pid = r->supervisor_pid;
	int64_t	 start = r->supervisor_start, started = r->started_at;

	if (r->status == LC_RUN_RUNNING) {
		if (started == LC_HISTORY_NONE)
			started = lc_now_ms();
		if (pid == 0)
			pid = getpid();
		if (start == LC_HISTORY_NONE)
			start = lc_proc_start_time(pid);
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->fire_id != NULL ? r->fire_id : id, -1,
	    SQLITE_STATIC);
	history_bind_text(st, 3, r->job);
	sqlite3_bind_text(st, 4, lc_history_trigger_name(r->trigger), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->attempt > 0 ? r->attempt : 1);
	history_bind_int64(st, 6, r->scheduled_at);
	history_bind_int64(st, 7, started);
	history_bind_int64(st, 8, r->finished_at);
	history_bind_int64(st, 9, r->duration_ms);
	sqlite3_bind_text(st, 10, lc_history_status_name(r->status), -1,
	    SQLITE_STATIC);
	if (r->exit_code >= 0)
		sqlite3_bind_int(st, 11, r->exit_code);
	if (r->signal > 0)
		sqlite3_bind_int(st, 12, r->signal);
	history_bind_text(st, 13, r->host != NULL ? r->host : history_host(h));
	history_bind_text(st, 14, r->boot_id != NULL ? r->boot_id :
	    *history_boot_id(h) != '\0' ? history_boot_id(h) : NULL);
	if (pid > 0)
		sqlite3_bind_int64(st, 15, pid);
	history_bind_int64(st, 16, start < 0 ? LC_HISTORY_NONE : start);
	history_bind_text(st, 17, r->error);
	if (r->output != NULL)
		sqlite3_bind_text(st, 18, r->output, (int)r->output_len,
		    SQLITE_STATIC);
}

int
lc_history_run_insert(struct lc_history *h, const struct lc_run *r,
    char id[LC_UUID_BUFSZ], char **cause)
{
	sqlite3_stmt	*st;
	char		 newid[LC_UUID_BUFSZ];
	int		 ok;

	if (r->job == NULL || r->scheduled_at == LC_HISTORY_NONE) {
		lc_set_cause(cause, "a run needs a job and a scheduled time");
		return (-1);
	}
	if (lc_uuid_v4(newid) != 0) {
		lc_set_cause(cause, "getrandom: %s", strerror(errno));
		return (-1);
	}
	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql_insert, cause)) != NULL;
	if (ok) {
		bind_run(h, st, r, newid);
		ok = step_done(h, st, "insert run", cause) == 0;
	}
	if (history_write_end(h, ok, cause) != 0)
		return (-1);
	memcpy(id, newid, LC_UUID_BUFSZ);
	return (0);
}

static const char sql_status[] = "SELECT status FROM runs WHERE id = ?1";

/* Why run id could not change state: it is missing or in another one. */
static void
not_changed(struct lc_history *h, const char *id, const char *expected,
    char **cause)
{
	sqlite3_stmt	*st;
	const char	*status;

	if ((st = history_stmt(h, sql_status, NULL)) == NULL) {
		lc_set_cause(cause, "run %s is not %s", id, expected);
		return;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (status = (const char *)sqlite3_column_text(st, 0)) != NULL)
		lc_set_cause(cause, "run %s is %s, not %s", id, status,
		    expected);
	else
		lc_set_cause(cause, "no run %s", id);
	sqlite3_reset(st);
}

/* Runs an UPDATE of one run; -1 with a reason when no row changed. */
static int
update_run(struct lc_history *h, sqlite3_stmt *st, const char *id,
    const char *expected, char **cause)
{
	if (step_done(h, st, "update run", cause) != 0)
		return (-1);
	if (sqlite3_changes(h->db) == 0) {
		not_changed(h, id, expected, cause);
		return (-1);
	}
	return (0);
}

static const char sql_running[] =
	"UPDATE runs SET status = 'running', started_at = ?2,"
	" supervisor_pid = ?3, supervisor_start = ?4, host = ?5, boot_id = ?6"
	" WHERE id = ?1 AND status = 'queued'";

int
lc_history_run_running(struct lc_history *h, const char *id,
    pid_t supervisor, int64_t started_at, char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 start;
	int		 ok;

	if (supervisor <= 0)
		supervisor = getpid();
	if ((start = lc_proc_start_time(supervisor)) == -1) {
		lc_set_cause(cause, "supervisor pid %ld: %s", (long)supervisor,
		    strerror(errno));
		return (-1);
	}
	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql_running, cause)) != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, started_at != LC_HISTORY_NONE ?
		    started_at : lc_now_ms());
		sqlite3_bind_int64(st, 3, supervisor);
		sqlite3_bind_int64(st, 4, start);
		history_bind_text(st, 5, history_host(h));
		history_bind_text(st, 6, *history_boot_id(h) != '\0' ?
		    history_boot_id(h) : NULL);
		ok = update_run(h, st, id, "queued", cause) == 0;
	}
	return (history_write_end(h, ok, cause));
}

static const char sql_event[] =
	"INSERT INTO events (run, at, kind, detail) VALUES (?1, ?2, ?3, ?4)";
static const char sql_event_new[] =
	"INSERT INTO events (run, at, kind, detail)"
	" SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM events"
	" WHERE run = ?1 AND at = ?2 AND kind = ?3 AND detail IS ?4)";

static int
event_add(struct lc_history *h, const char *sql, const char *run,
    enum lc_event_kind kind, int64_t at, const char *detail, char **cause)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((unsigned)kind >= LC_EVENT_COUNT) {
		lc_set_cause(cause, "unknown event kind %d", (int)kind);
		return (-1);
	}
	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql, cause)) != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, at != LC_HISTORY_NONE ? at :
		    lc_now_ms());
		sqlite3_bind_text(st, 3, lc_history_event_name(kind), -1,
		    SQLITE_STATIC);
		history_bind_text(st, 4, detail);
		ok = step_done(h, st, "insert event", cause) == 0;
		if (!ok && sqlite3_extended_errcode(h->db) ==
		    SQLITE_CONSTRAINT_FOREIGNKEY) {
			free(cause != NULL ? *cause : NULL);
			lc_set_cause(cause, "no run %s", run);
		}
	}
	return (history_write_end(h, ok, cause));
}

int
lc_history_event_add(struct lc_history *h, const char *run,
    enum lc_event_kind kind, int64_t at, const char *detail, char **cause)
{
	return (event_add(h, sql_event, run, kind, at, detail, cause));
}

int
lc_history_event_add_new(struct lc_history *h, const char *run,
    enum lc_event_kind kind, int64_t at, const char *detail, char **cause)
{
	return (event_add(h, sql_event_new, run, kind, at, detail, cause));
}

static const char sql_finish[] =
	"UPDATE runs SET status = ?2, exit_code = ?3, signal = ?4,"
	" finished_at = ?5, duration_ms = coalesce(?6, ?5 - started_at),"
	" error = ?7, output = ?8"
	" WHERE id = ?1 AND status IN " ACTIVE;

int
lc_history_run_finish(struct lc_history *h, const char *id,
    const struct lc_run_end *e, char **cause)
{
	sqlite3_stmt	*st;
	int		 ok;

	if (e->status == LC_RUN_QUEUED || e->status == LC_RUN_RUNNING ||
	    (unsigned)e->status >= LC_RUN_NSTATUS) {
		lc_set_cause(cause, "run %s cannot finish as %s", id,
		    lc_history_status_name(e->status));
		return (-1);
	}
	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql_finish, cause)) != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, lc_history_status_name(e->status), -1,
		    SQLITE_STATIC);
		if (e->exit_code >= 0)
			sqlite3_bind_int(st, 3, e->exit_code);
		if (e->signal > 0)
			sqlite3_bind_int(st, 4, e->signal);
		sqlite3_bind_int64(st, 5, e->finished_at != LC_HISTORY_NONE ?
		    e->finished_at : lc_now_ms());
		history_bind_int64(st, 6, e->duration_ms);
		history_bind_text(st, 7, e->error);
		if (e->output != NULL)
			sqlite3_bind_text(st, 8, e->output, (int)e->output_len,
			    SQLITE_STATIC);
		ok = update_run(h, st, id, "queued or running", cause) == 0;
	}
	return (history_write_end(h, ok, cause));
}

static const char sql_state_put[] =
	"INSERT INTO job_state (job, last_fire_at, retry_attempt,"
	" retry_due_at, retry_fire_id, retry_scheduled_at, paused,"
	" reboot_boot_id, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	" ON CONFLICT (job) DO UPDATE SET last_fire_at = excluded.last_fire_at,"
	" retry_attempt = excluded.retry_attempt,"
	" retry_due_at = excluded.retry_due_at,"
	" retry_fire_id = excluded.retry_fire_id,"
	" retry_scheduled_at = excluded.retry_scheduled_at,"
	" paused = excluded.paused, reboot_boot_id = excluded.reboot_boot_id,"
	" updated_at = excluded.updated_at";

int
lc_history_state_put(struct lc_history *h, const struct lc_job_state *js,
    char **cause)
{
	sqlite3_stmt	*st;
	int		 ok;

	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql_state_put, cause)) != NULL;
	if (ok) {
		history_bind_text(st, 1, js->job);
		history_bind_int64(st, 2, js->last_fire_at);
		if (js->retry_attempt != 0) {
			sqlite3_bind_int(st, 3, js->retry_attempt);
			history_bind_int64(st, 4, js->retry_due_at);
			history_bind_text(st, 5, js->retry_fire_id);
			history_bind_int64(st, 6, js->retry_scheduled_at);
		}
		sqlite3_bind_int(st, 7, js->paused != 0);
		history_bind_text(st, 8, js->reboot_boot_id);
		sqlite3_bind_int64(st, 9, lc_now_ms());
		ok = step_done(h, st, "write job state", cause) == 0;
	}
	return (history_write_end(h, ok, cause));
}

static const char sql_state_delete[] = "DELETE FROM job_state WHERE job = ?1";

int
lc_history_state_delete(struct lc_history *h, const char *job, char **cause)
{
	sqlite3_stmt	*st;
	int		 ok;

	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = (st = history_stmt(h, sql_state_delete, cause)) != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
		ok = step_done(h, st, "delete job state", cause) == 0;
	}
	return (history_write_end(h, ok, cause));
}

/* A run reconciliation looks at. */
struct active_run {
	char	*id;
	char	*status;
	char	*reason;	/* NULL: leave it */
};

static const char sql_active[] =
	"SELECT id, status, boot_id, supervisor_pid, supervisor_start"
	" FROM runs WHERE status IN " ACTIVE " AND host = ?1";
static const char sql_lose[] =
	"UPDATE runs SET status = 'lost', finished_at = ?3, error = ?4"
	" WHERE id = ?1 AND status = ?2";

/*
 * Why a running row's supervisor is gone, or NULL when it lives. Only a
 * pid that no process has (ESRCH) or that another process now has (its
 * start time differs) counts; /proc being unreadable proves nothing.
 */
static char *
supervisor_gone(pid_t pid, int64_t start)
{
	int64_t	 now;
	char	*reason;

	if (pid <= 0 || start == LC_HISTORY_NONE)
		return (xstrdup("no supervisor was recorded"));
	if (kill(pid, 0) == -1 && errno == ESRCH) {
		xasprintf(&reason, "supervisor pid %ld is gone", (long)pid);
		return (reason);
	}
	if ((now = lc_proc_start_time(pid)) == -1) {
		if (errno != ESRCH)
			return (NULL);
		xasprintf(&reason, "supervisor pid %ld is gone", (long)pid);
		return (reason);
	}
	if (now != start) {
		xasprintf(&reason, "supervisor pid %ld is gone (the pid now "
		    "belongs to another process)", (long)pid);
		return (reason);
	}
	return (NULL);
}

/* The verdict on one active row of this host. */
static char *
lost_reason(struct lc_history *h, sqlite3_stmt *st, int flags)
{
	const char	*status, *boot, *ours;
	int		 rebooted, queued;

	status = (const char *)sqlite3_column_text(st, 1);
	boot = (const char *)sqlite3_column_text(st, 2);
	ours = history_boot_id(h);
	queued = status != NULL && strcmp(status, "queued") == 0;
	rebooted = boot != NULL && *ours != '\0' && strcmp(boot, ours) != 0;
	if (queued && rebooted)
		return (xstrdup("the machine rebooted before the run started"));
	if (queued && (flags & LC_RECONCILE_STARTING))
		return (xstrdup("lockcrond restarted before the run started"));
	if (queued)
		return (NULL);
	if (rebooted)
		return (xstrdup("the machine rebooted during the run"));
	return (supervisor_gone((pid_t)sqlite3_column_int64(st, 3),
	    history_column_int64(st, 4)));
}

/* Reads the active rows of this host and the verdict on each. */
static int
find_active(struct lc_history *h, int flags, struct active_run **out,
    size_t *n, char **cause)
{
	sqlite3_stmt		*st;
	struct active_run	*a;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((st = history_stmt(h, sql_active, cause)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, history_host(h), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		a = &(*out)[(*n)++];
		a->id = history_column_text(st, 0);
		a->status = history_column_text(st, 1);
		a->reason = lost_reason(h, st, flags);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		history_set_cause(h, cause, "query");
		return (-1);
	}
	return (0);
}

/* Marks the condemned rows lost, unless they changed meanwhile. */
static int
lose(struct lc_history *h, struct active_run *a, size_t n, size_t *nlost,
    char **cause)
{
	sqlite3_stmt	*st;
	int64_t		 now = lc_now_ms();
	size_t		 i;

	if ((st = history_stmt(h, sql_lose, cause)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (a[i].reason == NULL)
			continue;
		sqlite3_bind_text(st, 1, a[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a[i].status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_text(st, 4, a[i].reason, -1, SQLITE_STATIC);
		if (step_done(h, st, "mark lost", cause) != 0)
			return (-1);
		*nlost += (size_t)sqlite3_changes(h->db);
	}
	return (0);
}

int
lc_history_reconcile(struct lc_history *h, int flags, size_t *nlost,
    char **cause)
{
	struct active_run	*a = NULL;
	size_t			 n = 0, lost = 0, i;
	int			 ok;

	if (history_write_begin(h, cause) != 0)
		return (-1);
	ok = find_active(h, flags, &a, &n, cause) == 0 &&
	    lose(h, a, n, &lost, cause) == 0;
	for (i = 0; i < n; i++) {
		free(a[i].id);
		free(a[i].status);
		free(a[i].reason);
	}
	free(a);
	if (history_write_end(h, ok, cause) != 0)
		return (-1);
	if (nlost != NULL)
		*nlost = lost;
	return (0);
}
