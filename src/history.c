/*
 * The history file: creating it with the right mode and group, opening it
 * for writing or read-only, the schema and its migrations, transactions and
 * the cache of prepared statements the other history files use.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/log.h"
#include "lockcron/util.h"
#include "history-int.h"

#define STRINGIFY1(x)	#x
#define STRINGIFY(x)	STRINGIFY1(x)

#define STATUSES "'queued', 'running', 'succeeded', 'failed', "		\
	"'timed_out', 'killed', 'cancelled', 'skipped', 'secret_error', "\
	"'launch_error', 'missed', 'lost'"
#define TRIGGERS "'schedule', 'manual', 'retry', 'catch_up', 'reboot'"
#define KINDS "'scheduled', 'queued', 'lock_wait', 'lock_acquired', "	\
	"'secrets_fetched', 'started', 'exited', 'timeout', "		\
	"'killed_descendants', 'retry_scheduled', 'retry_cancelled', "	\
	"'notify_sent', 'notify_failed', 'lease_lost'"

/* Schema version 2, which migrate_2_to_3 completes: docs/history.md is
 * the manual of the current version. */
#define SCHEMA_V2							\
"CREATE TABLE runs (\n"							\
"	id		 TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),\n"\
"	fire_id		 TEXT NOT NULL,\n"				\
"	job		 TEXT NOT NULL,\n"				\
"	\"trigger\"	 TEXT NOT NULL CHECK (\"trigger\" IN (" TRIGGERS ")),\n"\
"	attempt		 INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),\n"\
"	scheduled_at	 INTEGER NOT NULL,\n"				\
"	started_at	 INTEGER,\n"					\
"	finished_at	 INTEGER,\n"					\
"	duration_ms	 INTEGER,\n"					\
"	status		 TEXT NOT NULL CHECK (status IN (" STATUSES ")),\n"\
"	exit_code	 INTEGER,\n"					\
"	signal		 INTEGER,\n"					\
"	host		 TEXT NOT NULL,\n"				\
"	boot_id		 TEXT,\n"					\
"	supervisor_pid	 INTEGER,\n"					\
"	supervisor_start INTEGER,\n"					\
"	error		 TEXT,\n"					\
"	output		 TEXT\n"					\
");\n"									\
"CREATE INDEX runs_job_time ON runs (job, scheduled_at, attempt);\n"	\
"CREATE INDEX runs_job_status ON runs (job, status, scheduled_at, attempt);\n"\
"CREATE INDEX runs_status ON runs (status, scheduled_at, attempt);\n"	\
"CREATE INDEX runs_time ON runs (scheduled_at, attempt);\n"		\
"CREATE TABLE events (\n"						\
"	run	 TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"\
"	at	 INTEGER NOT NULL,\n"					\
"	kind	 TEXT NOT NULL CHECK (kind IN (" KINDS ")),\n"		\
"	detail	 TEXT\n"						\
");\n"									\
"CREATE INDEX events_run ON events (run, at);\n"			\
"CREATE TABLE job_state (\n"						\
"	job			 TEXT PRIMARY KEY NOT NULL,\n"		\
"	last_fire_at		 INTEGER,\n"				\
"	retry_attempt		 INTEGER CHECK (retry_attempt >= 2),\n"	\
"	retry_due_at		 INTEGER,\n"				\
"	retry_fire_id		 TEXT,\n"				\
"	retry_scheduled_at	 INTEGER,\n"				\
"	paused			 INTEGER NOT NULL DEFAULT 0\n"		\
"				 CHECK (paused IN (0, 1)),\n"		\
"	reboot_boot_id		 TEXT,\n"				\
"	updated_at		 INTEGER NOT NULL,\n"			\
"	CHECK ((retry_attempt IS NULL) = (retry_due_at IS NULL)\n"	\
"	   AND (retry_attempt IS NULL) = (retry_fire_id IS NULL)\n"	\
"	   AND (retry_attempt IS NULL) = (retry_scheduled_at IS NULL))\n"\
");\n"

/*
 * Version 1 (the first prototype) had no fire_id, boot_id nor
 * supervisor_start, fewer triggers, statuses and event kinds, one index and
 * no job_state. CHECK constraints cannot be altered, so both tables are
 * rebuilt: the old ones are renamed away, version 2 is created, rows are
 * copied (each old run is its own fire; orphan events are dropped).
 */
static const char migrate_1_to_2[] =
	"ALTER TABLE runs RENAME TO runs_v1;\n"
	"ALTER TABLE events RENAME TO events_v1;\n"
	"DROP INDEX IF EXISTS runs_job;\n"
	"DROP INDEX IF EXISTS events_run;\n"
	SCHEMA_V2
	"INSERT INTO runs (id, fire_id, job, \"trigger\", attempt,"
	" scheduled_at, started_at, finished_at, duration_ms, status,"
	" exit_code, signal, host, boot_id, supervisor_pid,"
	" supervisor_start, error, output)"
	" SELECT id, id, job, \"trigger\", attempt, scheduled_at, started_at,"
	" finished_at, duration_ms, status, exit_code, signal, host, NULL,"
	" supervisor_pid, NULL, error, output FROM runs_v1 ORDER BY rowid;\n"
	"INSERT INTO events (run, at, kind, detail)"
	" SELECT run, at, kind, detail FROM events_v1"
	" WHERE run IN (SELECT id FROM runs) ORDER BY rowid;\n"
	"DROP TABLE events_v1;\n"
	"DROP TABLE runs_v1;\n";

/*
 * Version 3 adds run_totals: how many runs of each job ended with each
 * status, kept by triggers as runs end and never lowered by pruning, so
 * that lockcron_runs_total is a true counter and `lockcron metrics` reads
 * a few thousand rows instead of counting every run. A run ends when it
 * is inserted with, or updated from queued or running to, another status
 * (a finished row is never rewritten). The migration counts the runs
 * already there. It also adds the index runs_trigger, for the newest
 * runs of a trigger (lockcron history --trigger).
 */
#define FINAL "NOT IN ('queued', 'running')"
static const char migrate_2_to_3[] =
	"CREATE TABLE run_totals (\n"
	"	job	 TEXT NOT NULL,\n"
	"	status	 TEXT NOT NULL CHECK (status IN (" STATUSES ")),\n"
	"	runs	 INTEGER NOT NULL,\n"
	"	PRIMARY KEY (job, status)\n"
	") WITHOUT ROWID;\n"
	"CREATE TRIGGER run_totals_insert AFTER INSERT ON runs\n"
	" WHEN NEW.status " FINAL " BEGIN\n"
	" INSERT INTO run_totals (job, status, runs)"
	" VALUES (NEW.job, NEW.status, 1)\n"
	" ON CONFLICT (job, status) DO UPDATE SET runs = runs + 1;\n"
	"END;\n"
	"CREATE TRIGGER run_totals_end AFTER UPDATE OF status ON runs\n"
	" WHEN OLD.status IN ('queued', 'running') AND NEW.status " FINAL
	" BEGIN\n"
	" INSERT INTO run_totals (job, status, runs)"
	" VALUES (NEW.job, NEW.status, 1)\n"
	" ON CONFLICT (job, status) DO UPDATE SET runs = runs + 1;\n"
	"END;\n"
	"INSERT INTO run_totals (job, status, runs)"
	" SELECT job, status, count(*) FROM runs WHERE status " FINAL
	" GROUP BY job, status;\n"
	"CREATE INDEX runs_trigger ON runs (\"trigger\", scheduled_at, attempt);\n";

/* migrations[v] takes a database from version v to v + 1; a new file gets
 * SCHEMA_V2 and the migrations after it. */
static const char *const migrations[LC_HISTORY_SCHEMA_VERSION] = {
	NULL,
	migrate_1_to_2,
	migrate_2_to_3
};

static const char *const status_names[LC_RUN_NSTATUS] = {
	"queued", "running", "succeeded", "failed", "timed_out", "killed",
	"cancelled", "skipped", "secret_error", "launch_error", "missed", "lost"
};
static const char *const trigger_names[LC_TRIGGER_COUNT] = {
	"schedule", "manual", "retry", "catch_up", "reboot"
};
static const char *const event_names[LC_EVENT_COUNT] = {
	"scheduled", "queued", "lock_wait", "lock_acquired", "secrets_fetched",
	"started", "exited", "timeout", "killed_descendants",
	"retry_scheduled", "retry_cancelled", "notify_sent", "notify_failed",
	"lease_lost"
};

/* Finds name in a table of n names. */
static int
name_index(const char *const *names, int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return (i);
	}
	return (-1);
}

const char *
lc_history_status_name(enum lc_run_status s)
{
	if ((unsigned)s >= LC_RUN_NSTATUS)
		return ("unknown");
	return (status_names[s]);
}

int
lc_history_status_parse(const char *name, enum lc_run_status *out)
{
	int	 i;

	if ((i = name_index(status_names, LC_RUN_NSTATUS, name)) == -1)
		return (-1);
	*out = (enum lc_run_status)i;
	return (0);
}

const char *
lc_history_trigger_name(enum lc_run_trigger t)
{
	if ((unsigned)t >= LC_TRIGGER_COUNT)
		return ("unknown");
	return (trigger_names[t]);
}

int
lc_history_trigger_parse(const char *name, enum lc_run_trigger *out)
{
	int	 i;

	if ((i = name_index(trigger_names, LC_TRIGGER_COUNT, name)) == -1)
		return (-1);
	*out = (enum lc_run_trigger)i;
	return (0);
}

const char *
lc_history_event_name(enum lc_event_kind k)
{
	if ((unsigned)k >= LC_EVENT_COUNT)
		return ("unknown");
	return (event_names[k]);
}

int
lc_history_event_parse(const char *name, enum lc_event_kind *out)
{
	int	 i;

	if ((i = name_index(event_names, LC_EVENT_COUNT, name)) == -1)
		return (-1);
	*out = (enum lc_event_kind)i;
	return (0);
}

/* "PATH: what: SQLite's message" into *cause. */
void
history_set_cause(struct lc_history *h, char **cause, const char *what)
{
	lc_set_cause(cause, "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

/* A handle is only good in the process that opened it. */
int
history_check(struct lc_history *h, char **cause)
{
	if (h->pid == getpid())
		return (0);
	lc_set_cause(cause, "%s: history handle of process %ld used in "
	    "process %ld: a connection must not cross fork()", h->path,
	    (long)h->pid, (long)getpid());
	return (-1);
}

/* The statement for sql (a static string), prepared once per handle. */
sqlite3_stmt *
history_stmt(struct lc_history *h, const char *sql, char **cause)
{
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < h->nstmts; i++) {
		if (h->stmts[i].sql == sql) {
			sqlite3_clear_bindings(h->stmts[i].stmt);
			return (h->stmts[i].stmt);
		}
	}
	if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		history_set_cause(h, cause, "prepare");
		return (NULL);
	}
	if (h->nstmts == HISTORY_NSTMT) {
		/* Not cached: statements the cache has no room for. */
		sqlite3_finalize(h->stmts[0].stmt);
		memmove(h->stmts, h->stmts + 1,
		    (HISTORY_NSTMT - 1) * sizeof *h->stmts);
		h->nstmts--;
	}
	h->stmts[h->nstmts].sql = sql;
	h->stmts[h->nstmts].stmt = st;
	h->nstmts++;
	return (st);
}

int
history_exec(struct lc_history *h, const char *sql, char **cause)
{
	if (sqlite3_exec(h->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		history_set_cause(h, cause, "exec");
		return (-1);
	}
	return (0);
}

/* errno for an SQLite failure while opening or first reading the file. */
static int
open_errno(struct lc_history *h, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return (EBADMSG);
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return (EACCES);
	case SQLITE_READONLY:
		if (rc == SQLITE_READONLY_RECOVERY)
			return (EAGAIN);
		/* FALLTHROUGH */
	case SQLITE_CANTOPEN:
		if (access(h->path, R_OK) == -1)
			return (errno);
		return (sqlite3_system_errno(h->db) ?
		    sqlite3_system_errno(h->db) : EACCES);
	}
	return (EIO);
}

/* Sleeps a little before another BEGIN IMMEDIATE: 10, 20, 40 ms... */
static void
backoff(int attempt)
{
	struct timespec	 ts;
	long		 ms;

	ms = 10L << (attempt < 6 ? attempt : 6);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * BEGIN IMMEDIATE: the busy timeout waits for the write lock. Some BUSY
 * results come back without waiting (another connection is recovering the
 * WAL), so try again, a bounded number of times, while the busy timeout
 * has not run out: a write never waits much longer than the timeout.
 */
static int
begin_immediate(struct lc_history *h, char **cause)
{
	int64_t	 t0 = lc_mono_ms();
	int	 rc, attempt;

	for (attempt = 0;; attempt++) {
		rc = sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return (0);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		if (attempt >= h->busy_retries ||
		    lc_mono_ms() - t0 >= h->busy_ms)
			break;
		backoff(attempt);
	}
	history_set_cause(h, cause, "BEGIN IMMEDIATE");
	return (-1);
}

/* Opens a write transaction, or joins the one already open. */
int
history_write_begin(struct lc_history *h, char **cause)
{
	if (history_check(h, cause) != 0)
		return (-1);
	if (h->flags & LC_HISTORY_READONLY) {
		lc_set_cause(cause, "%s: opened read-only", h->path);
		return (-1);
	}
	if (h->depth++ > 0)
		return (0);
	if (begin_immediate(h, cause) != 0) {
		h->depth = 0;
		return (-1);
	}
	return (0);
}

/* Leaves a write transaction: the outermost commits, or rolls back if !ok. */
int
history_write_end(struct lc_history *h, int ok, char **cause)
{
	if (--h->depth > 0)
		return (ok ? 0 : -1);
	if (!ok) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return (-1);
	}
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		history_set_cause(h, cause, "COMMIT");
		if (!sqlite3_get_autocommit(h->db))
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return (-1);
	}
	return (0);
}

/* Worth another try: a writer was busy with the WAL index just then. */
static int
transient(int rc)
{
	return (rc == SQLITE_READONLY_RECOVERY ||
	    rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_PROTOCOL ||
	    (rc & 0xff) == SQLITE_BUSY);
}

static const char sql_snapshot[] = "PRAGMA user_version";

/*
 * Starts a read transaction and its snapshot. A reader that cannot write
 * -shm gets SQLITE_READONLY_RECOVERY when it reads the WAL index header
 * while a writer is rewriting it, and SQLite leaves the retry to the
 * caller: retry a bounded number of times (about half a second) before
 * saying that the file needs a writer to recover it.
 */
static int
read_snapshot(struct lc_history *h, int *rcp, char **cause)
{
	struct timespec	 ts;
	sqlite3_stmt	*st;
	int		 rc, attempt;

	if ((st = history_stmt(h, sql_snapshot, cause)) == NULL)
		return (-1);
	for (attempt = 0;; attempt++) {
		if ((rc = sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL)) ==
		    SQLITE_OK) {
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc == SQLITE_ROW)
				return (0);
			rc = sqlite3_extended_errcode(h->db);
			if (rc == SQLITE_READONLY_RECOVERY)
				lc_set_cause(cause, "%s: the history needs a "
				    "recovery only a writer can do (lockcrond, "
				    "lockcron run)", h->path);
			else
				history_set_cause(h, cause, "read");
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		} else
			history_set_cause(h, cause, "BEGIN");
		*rcp = rc;
		if (!transient(rc) || attempt >= 30)
			return (-1);
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (attempt < 4 ? 1L << attempt : 20L) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* A read transaction, so that several queries see one snapshot. */
int
history_read_begin(struct lc_history *h, char **cause)
{
	int	 rc = SQLITE_ERROR;

	if (history_check(h, cause) != 0)
		return (-1);
	if (h->depth++ > 0)
		return (0);
	if (read_snapshot(h, &rc, cause) != 0) {
		h->depth = 0;
		errno = open_errno(h, rc);
		return (-1);
	}
	return (0);
}

void
history_read_end(struct lc_history *h)
{
	if (--h->depth == 0)
		sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
}

int
lc_history_begin(struct lc_history *h, char **cause)
{
	if (h->depth != 0) {
		lc_set_cause(cause, "%s: a transaction is already open",
		    h->path);
		return (-1);
	}
	if (history_write_begin(h, cause) != 0)
		return (-1);
	h->explicit_txn = 1;
	return (0);
}

int
lc_history_commit(struct lc_history *h, char **cause)
{
	if (!h->explicit_txn) {
		lc_set_cause(cause, "%s: no transaction is open", h->path);
		return (-1);
	}
	h->explicit_txn = 0;
	h->depth = 1;
	if (sqlite3_get_autocommit(h->db)) {
		h->depth = 0;
		lc_set_cause(cause, "%s: the transaction was rolled back by an "
		    "earlier error", h->path);
		return (-1);
	}
	return (history_write_end(h, 1, cause));
}

int
lc_history_in_transaction(const struct lc_history *h)
{
	return (h->explicit_txn);
}

void
lc_history_rollback(struct lc_history *h)
{
	if (!h->explicit_txn || history_check(h, NULL) != 0)
		return;
	h->explicit_txn = 0;
	h->depth = 0;
	if (!sqlite3_get_autocommit(h->db))
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Creates the missing directories above path, 0755 whatever the umask. */
static int
make_dirs(const char *path, char **cause)
{
	char	*dir, *p;
	int	 rc = 0;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		rc = lc_mkdir_p(dir, 0755, cause);
	}
	free(dir);
	return (rc);
}

/* The gid of a group name; -1 when there is no such group. */
static int
group_id(const char *name, gid_t *gid)
{
	struct group	 gr, *res = NULL;
	char		*buf;
	size_t		 len = 1024;
	int		 rc;

	for (;;) {
		buf = xmalloc(len);
		rc = getgrnam_r(name, &gr, buf, len, &res);
		if (rc != ERANGE || len >= 1024 * 1024)
			break;
		free(buf);
		len *= 4;
	}
	if (rc == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	return (rc == 0 && res != NULL ? 0 : -1);
}

/*
 * Creates the database file when missing: 0600, or 0640 owned by group
 * when that group exists (the group first, then the mode, so the file is
 * never readable by the wrong group).
 */
static int
create_file(const char *path, const char *group, char **cause)
{
	mode_t	 mode = 0600;
	gid_t	 gid = (gid_t)-1;
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return (0);
		lc_set_cause(cause, "cannot create %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (group != NULL && *group != '\0' && group_id(group, &gid) == 0) {
		if (fchown(fd, (uid_t)-1, gid) == 0)
			mode = 0640;
		else {
			log_warn("%s: cannot give it to group %s (%s): "
			    "mode 0600", path, group, strerror(errno));
		}
	}
	if (fchmod(fd, mode) == -1) {
		lc_set_cause(cause, "cannot chmod %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * Gives -wal and -shm the database's mode and group. SQLite creates them
 * with the database's mode (and owner, as root); this covers a non-root
 * writer in history_group. Only path-based calls: opening and closing a
 * descriptor of these files would drop the POSIX locks SQLite holds on
 * them through its own descriptors.
 */
static void
fix_sidecars(struct lc_history *h)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	struct stat	 db, sb;
	char		*p;
	size_t		 i;

	if (stat(h->path, &db) == -1)
		return;
	for (i = 0; i < LC_NELEM(suffixes); i++) {
		xasprintf(&p, "%s%s", h->path, suffixes[i]);
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (sb.st_gid != db.st_gid)
				(void)lchown(p, (uid_t)-1, db.st_gid);
			if ((sb.st_mode & 07777) != (db.st_mode & 0777))
				(void)fchmodat(AT_FDCWD, p, db.st_mode & 0777,
				    AT_SYMLINK_NOFOLLOW);
		}
		free(p);
	}
}

/* Reads one integer pragma. */
static int
pragma_int(struct lc_history *h, const char *sql, int *out, char **cause)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		history_set_cause(h, cause, sql);
		return (-1);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		history_set_cause(h, cause, sql);
		return (-1);
	}
	return (0);
}

/* Sets the journal mode to WAL, which is then stored in the file. */
static int
set_wal(struct lc_history *h, char **cause)
{
	sqlite3_stmt	*st;
	const char	*mode;
	int		 ok;

	if (sqlite3_prepare_v2(h->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		history_set_cause(h, cause, "journal_mode");
		return (-1);
	}
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    (mode = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    strcmp(mode, "wal") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		history_set_cause(h, cause, "cannot set journal_mode WAL");
		return (-1);
	}
	return (0);
}

/* Counts the tables in the file (0 for a new file). */
static int
count_tables(struct lc_history *h, int *n, char **cause)
{
	return (pragma_int(h, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table'", n, cause));
}

/* Creates the schema or migrates it to the current version. */
static int
upgrade(struct lc_history *h, char **cause)
{
	int	 v, ntables, rc = -1, created = 0;

	if (set_wal(h, cause) != 0 ||
	    history_exec(h, "PRAGMA foreign_keys = OFF", cause) != 0)
		return (-1);
	if (begin_immediate(h, cause) != 0)
		goto out;
	/* Again, now that no one else can be upgrading it. */
	if (pragma_int(h, "PRAGMA user_version", &v, cause) != 0 ||
	    count_tables(h, &ntables, cause) != 0)
		goto rollback;
	if (v == 0 && ntables != 0) {
		lc_set_cause(cause, "%s: not a lockcron history database "
		    "(it has tables but no schema version)", h->path);
		errno = EBADMSG;
		goto rollback;
	}
	if (v == 0) {
		if (history_exec(h, SCHEMA_V2, cause) != 0)
			goto rollback;
		created = 1;
		v = 2;
	}
	for (; v < LC_HISTORY_SCHEMA_VERSION; v++) {
		if (!created)
			log_info("%s: migrating the history from version %d "
			    "to %d", h->path, v, v + 1);
		if (history_exec(h, migrations[v], cause) != 0)
			goto rollback;
	}
	if (history_exec(h, "PRAGMA user_version = "
	    STRINGIFY(LC_HISTORY_SCHEMA_VERSION), cause) != 0 ||
	    history_exec(h, "COMMIT", cause) != 0)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (history_exec(h, "PRAGMA foreign_keys = ON", rc ? NULL : cause) != 0)
		rc = -1;
	return (rc);
}

/* Checks the schema version; writers create or migrate it. */
static int
check_schema(struct lc_history *h, char **cause)
{
	int	 v, ntables = 0, rc;

	if (history_read_begin(h, cause) != 0)
		return (-1);
	rc = pragma_int(h, "PRAGMA user_version", &v, cause);
	if (rc == 0 && v == 0)
		rc = count_tables(h, &ntables, cause);
	if (rc != 0)
		errno = open_errno(h, sqlite3_extended_errcode(h->db));
	history_read_end(h);
	if (rc != 0)
		return (-1);
	if (v == LC_HISTORY_SCHEMA_VERSION)
		return (0);
	if (v > LC_HISTORY_SCHEMA_VERSION) {
		lc_set_cause(cause, "%s: history schema version %d is newer "
		    "than this lockcron's (%d)", h->path, v,
		    LC_HISTORY_SCHEMA_VERSION);
		errno = EPROTO;
		return (-1);
	}
	if (v == 0 && ntables != 0) {
		lc_set_cause(cause, "%s: not a lockcron history database",
		    h->path);
		errno = EBADMSG;
		return (-1);
	}
	if (!(h->flags & LC_HISTORY_READONLY))
		return (upgrade(h, cause));
	if (v == 0) {
		lc_set_cause(cause, "%s: the history is empty (no run has been "
		    "recorded yet)", h->path);
		errno = ENOENT;
	} else {
		lc_set_cause(cause, "%s: history schema version %d needs an "
		    "upgrade, which lockcrond or `lockcron run` does when it "
		    "next opens it", h->path, v);
		errno = EPROTO;
	}
	return (-1);
}

/* "file:PATH?mode=ro", with the characters URIs reserve escaped. */
static char *
readonly_uri(const char *path)
{
	struct lc_buf	 b = { NULL, 0, 0 };
	const char	*p;

	lc_buf_addstr(&b, "file:");
	for (p = path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#' ||
		    (unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			lc_buf_printf(&b, "%%%02X", (unsigned char)*p);
		else
			lc_buf_add(&b, p, 1);
	}
	lc_buf_addstr(&b, "?mode=ro");
	return (lc_buf_steal(&b));
}

/* Opens the SQLite connection and sets the per-connection pragmas. */
static int
db_connect(struct lc_history *h, char **cause)
{
	char	*uri = NULL;
	int	 rc, flags, on = 1;

	flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	if (h->flags & LC_HISTORY_READONLY) {
		uri = readonly_uri(h->path);
		rc = sqlite3_open_v2(uri, &h->db, flags | SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI, NULL);
		free(uri);
	} else
		rc = sqlite3_open_v2(h->path, &h->db, flags |
		    SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		errno = open_errno(h, rc);
		history_set_cause(h, cause, "cannot open");
		return (-1);
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, h->busy_ms);
	/* Keep -wal and -shm when the last writer closes, so that readers
	 * without write access to the directory can still open the file. */
	sqlite3_file_control(h->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	/* Every supervisor and every daemon wake-up closes its connection:
	 * a checkpoint at each close would cost two fsyncs per run. The
	 * automatic checkpoint (every 1,000 WAL pages) does the work. */
	sqlite3_db_config(h->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	rc = sqlite3_exec(h->db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA journal_size_limit = 8388608", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		errno = open_errno(h, rc);
		history_set_cause(h, cause, "cannot open");
		return (-1);
	}
	return (0);
}

/* Says plainly that a read-only history does not exist or is unreadable. */
static int
check_file(const char *path, char **cause)
{
	struct stat	 sb;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			lc_set_cause(cause, "%s: no history database (no run has "
			    "been recorded yet)", path);
		else
			lc_set_cause(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		lc_set_cause(cause, "%s: not a regular file", path);
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}

struct lc_history *
lc_history_open(const char *path, int flags, const char *group, char **cause)
{
	struct lc_history	*h;
	int			 saved;

	if (flags & (LC_HISTORY_READONLY | LC_HISTORY_NOCREATE)) {
		if (check_file(path, cause) != 0)
			return (NULL);
	} else if (make_dirs(path, cause) != 0 ||
	    create_file(path, group, cause) != 0)
		return (NULL);
	h = xcalloc(1, sizeof *h);
	h->path = xstrdup(path);
	h->flags = flags;
	h->pid = getpid();
	h->busy_ms = 5000;
	h->busy_retries = 3;
	if (db_connect(h, cause) != 0 || check_schema(h, cause) != 0) {
		saved = errno;
		lc_history_close(h);
		errno = saved;
		return (NULL);
	}
	if (!(flags & LC_HISTORY_READONLY))
		fix_sidecars(h);
	return (h);
}

/*
 * The WAL can only start over when no reader is using it; readers that
 * never pause (a monitoring loop) let it grow. A writer closing a handle
 * over a large WAL waits briefly for a moment without readers and
 * truncates it.
 */
static void
bound_wal(struct lc_history *h)
{
	struct stat	 sb;
	char		*p;

	xasprintf(&p, "%s-wal", h->path);
	if (stat(p, &sb) == 0 && sb.st_size > HISTORY_WAL_MAX) {
		sqlite3_busy_timeout(h->db, 200);
		sqlite3_exec(h->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		    NULL, NULL);
	}
	free(p);
}

void
lc_history_close(struct lc_history *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	/* In a forked child, leak the connection rather than touch the
	 * file with lock state that belongs to the parent. */
	if (h->pid == getpid()) {
		for (i = 0; i < h->nstmts; i++)
			sqlite3_finalize(h->stmts[i].stmt);
		if (h->depth > 0 && !sqlite3_get_autocommit(h->db))
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		if (!(h->flags & LC_HISTORY_READONLY))
			bound_wal(h);
		sqlite3_close(h->db);
	}
	free(h->path);
	free(h);
}

const char *
lc_history_path(const struct lc_history *h)
{
	return (h->path);
}

char *
lc_history_default_path(const char *state_dir)
{
	char	*p;

	xasprintf(&p, "%s/history.db", state_dir);
	return (p);
}

void
lc_history_set_busy(struct lc_history *h, int ms, int retries)
{
	h->busy_ms = ms < 0 ? 0 : ms;
	h->busy_retries = retries < 0 ? 0 : retries;
	if (history_check(h, NULL) == 0)
		sqlite3_busy_timeout(h->db, h->busy_ms);
}

/* This host's name, read once per handle. */
const char *
history_host(struct lc_history *h)
{
	if (h->host[0] == '\0') {
		if (gethostname(h->host, sizeof h->host - 1) == -1 ||
		    h->host[0] == '\0')
			snprintf(h->host, sizeof h->host, "localhost");
		h->host[sizeof h->host - 1] = '\0';
	}
	return (h->host);
}

/* This boot's id, read once per handle; "" when it cannot be read. */
const char *
history_boot_id(struct lc_history *h)
{
	if (h->boot_id[0] == '\0' && lc_boot_id(h->boot_id) != 0)
		h->boot_id[0] = '\0';
	return (h->boot_id);
}
