/*
 * The history store: every run, its events and each job's scheduling state
 * in one SQLite file (state_dir/history.db, WAL). Schema and migrations,
 * writes for the daemon and the supervisor, reads for the CLI, pruning and
 * crash reconciliation. docs/history.md documents the tables, which users
 * query with sqlite3.
 *
 * A handle never crosses fork(). SQLite's unix VFS keeps the state of its
 * POSIX locks in process memory; a child inherits that memory but not the
 * locks, so a child writing through its parent's connection can corrupt the
 * file. Close the handle before forking, or leave it alone in the child and
 * open a new one there. As a safety net every call on a handle from another
 * process than the one that opened it fails, and lc_history_close() in such
 * a process frees memory without touching the file. Opening is cheap (one
 * open(2), a few pragmas, one read of user_version), so the daemon opens and
 * closes a handle per wake-up and each supervisor opens its own.
 *
 * Instants are integer milliseconds since the epoch (UTC); LC_HISTORY_NONE
 * stands for SQL NULL in int64_t fields.
 */
#ifndef LOCKCRON_HISTORY_H
#define LOCKCRON_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LC_HISTORY_SCHEMA_VERSION	3
#define LC_HISTORY_NONE			INT64_MIN
#define LC_UUID_BUFSZ			37	/* 36 characters and a NUL */

/* lc_history_open() flags. */
#define LC_HISTORY_READONLY	0x1	/* file:...?mode=ro: the CLI's readers */
#define LC_HISTORY_NOCREATE	0x2	/* a missing file is an error (ENOENT) */

/* lc_history_reconcile() flags. */
#define LC_RECONCILE_STARTING	0x1	/* a starting daemon: our queued rows
					   have no supervisor and are lost */

/* runs.status. The order is the documented one, not a severity. */
enum lc_run_status {
	LC_RUN_QUEUED = 0,
	LC_RUN_RUNNING,
	LC_RUN_SUCCEEDED,
	LC_RUN_FAILED,
	LC_RUN_TIMED_OUT,
	LC_RUN_KILLED,
	LC_RUN_CANCELLED,
	LC_RUN_SKIPPED,		/* lock busy, paused, already waiting */
	LC_RUN_SECRET_ERROR,
	LC_RUN_LAUNCH_ERROR,
	LC_RUN_MISSED,		/* the daemon was down or asleep */
	LC_RUN_LOST		/* its supervisor died without recording */
};
#define LC_RUN_NSTATUS		12
#define LC_RUN_MASK(s)		(1u << (s))
/* Ended with an outcome: succeeded, cancelled or one of the failures. */
#define LC_RUN_FINISHED_MASK	(LC_RUN_MASK(LC_RUN_SUCCEEDED) |	\
	LC_RUN_MASK(LC_RUN_CANCELLED) | LC_RUN_FAILURE_MASK)
/* What counts in consecutive_failures. */
#define LC_RUN_FAILURE_MASK	(LC_RUN_MASK(LC_RUN_FAILED) |		\
	LC_RUN_MASK(LC_RUN_TIMED_OUT) | LC_RUN_MASK(LC_RUN_KILLED) |	\
	LC_RUN_MASK(LC_RUN_SECRET_ERROR) |				\
	LC_RUN_MASK(LC_RUN_LAUNCH_ERROR) | LC_RUN_MASK(LC_RUN_LOST))

/* runs.trigger */
enum lc_run_trigger {
	LC_TRIGGER_SCHEDULE = 0,
	LC_TRIGGER_MANUAL,
	LC_TRIGGER_RETRY,
	LC_TRIGGER_CATCH_UP,
	LC_TRIGGER_REBOOT
};
#define LC_TRIGGER_COUNT	5
#define LC_TRIGGER_MASK(t)	(1u << (t))

/* events.kind */
enum lc_event_kind {
	LC_EVENT_SCHEDULED = 0,
	LC_EVENT_QUEUED,
	LC_EVENT_LOCK_WAIT,
	LC_EVENT_LOCK_ACQUIRED,
	LC_EVENT_SECRETS_FETCHED,
	LC_EVENT_STARTED,
	LC_EVENT_EXITED,
	LC_EVENT_TIMEOUT,
	LC_EVENT_KILLED_DESCENDANTS,
	LC_EVENT_RETRY_SCHEDULED,
	LC_EVENT_RETRY_CANCELLED,
	LC_EVENT_NOTIFY_SENT,
	LC_EVENT_NOTIFY_FAILED,
	LC_EVENT_LEASE_LOST
};
#define LC_EVENT_COUNT		14

/*
 * One row of runs. Filled by the read functions (strings allocated, freed
 * by lc_history_run_clear) and read by lc_history_run_insert (strings the
 * caller's). Nullable fields: LC_HISTORY_NONE for int64_t, -1 for
 * exit_code, 0 for signal and supervisor_pid, NULL for strings.
 */
struct lc_run {
	char			 id[LC_UUID_BUFSZ];
	char			*fire_id;
	char			*job;
	enum lc_run_trigger	 trigger;
	int			 attempt;	/* 1, then 2... for retries */
	int64_t			 scheduled_at;
	int64_t			 started_at;
	int64_t			 finished_at;
	int64_t			 duration_ms;
	enum lc_run_status	 status;
	int			 exit_code;
	int			 signal;
	char			*host;
	char			*boot_id;
	pid_t			 supervisor_pid;
	int64_t			 supervisor_start; /* field 22 of /proc/PID/stat */
	char			*error;
	char			*output;	/* only lc_history_run_get fills it */
	size_t			 output_len;
};

/* How a run ended, for lc_history_run_finish. */
struct lc_run_end {
	enum lc_run_status	 status;	/* not queued nor running */
	int			 exit_code;	/* -1: none */
	int			 signal;	/* 0: none */
	int64_t			 finished_at;	/* NONE: now */
	int64_t			 duration_ms;	/* NONE: finished - started */
	const char		*error;		/* NULL: none */
	const char		*output;	/* the kept, masked tail */
	size_t			 output_len;
};

/* One row of events. */
struct lc_event {
	int64_t			 at;
	enum lc_event_kind	 kind;
	char			*detail;	/* NULL: none */
};

/* One row of job_state. The daemon is its only writer. */
struct lc_job_state {
	char		*job;
	int64_t		 last_fire_at;		/* NONE: no fire handled yet */
	int		 retry_attempt;		/* 0: no pending retry */
	int64_t		 retry_due_at;
	char		*retry_fire_id;
	int64_t		 retry_scheduled_at;
	int		 paused;
	char		*reboot_boot_id;	/* boot of the last @reboot run */
	int64_t		 updated_at;		/* set by lc_history_state_put */
};

/* Which runs lc_history_list returns: every set condition must hold. */
struct lc_history_filter {
	const char *const	*jobs;		/* NULL: every job */
	size_t			 njobs;
	unsigned		 statuses;	/* LC_RUN_MASK bits; 0: any */
	unsigned		 triggers;	/* LC_TRIGGER_MASK bits; 0: any */
	int64_t			 since;		/* scheduled_at >= since */
	int64_t			 until;		/* scheduled_at < until */
	size_t			 limit;		/* 0: no limit */
};

/* A job at a glance (lockcron status, metrics). NULL: no such run. */
struct lc_job_summary {
	char		*job;
	struct lc_run	*last;		/* newest run, whatever its status */
	struct lc_run	*last_finished;	/* newest in LC_RUN_FINISHED_MASK */
	struct lc_run	*last_success;
	int		 consecutive_failures; /* LC_RUN_FAILURE_MASK runs
						  newer than last_success */
};

/* Runs per job and status (lc_history_counts, lc_history_totals). */
struct lc_history_count {
	char			*job;
	enum lc_run_status	 status;
	int64_t			 count;
};

struct lc_history_prune_opts {
	int64_t		 keep_days;	/* 0: any age */
	int64_t		 keep_runs;	/* newest per job; 0: any number */
	int64_t		 now;		/* NONE: the clock */
	int		 dry_run;	/* count, delete nothing */
	size_t		 batch;		/* runs per transaction; 0: 1,000 */
};

struct lc_history_prune_stats {
	int64_t		 runs;		/* deleted, or would be */
	int64_t		 events;
	int64_t		 batches;	/* write transactions used */
};

struct lc_history;

/*
 * Opens (and, unless LC_HISTORY_READONLY or LC_HISTORY_NOCREATE, creates)
 * the history at path. A new file is 0600, or 0640 and owned by group when
 * group names an existing group; missing directories are created 0755.
 * Writers migrate an older schema. On failure returns NULL with *cause set
 * and errno ENOENT (no file), EACCES (permissions), EBADMSG (corrupt, not a
 * database, or not lockcron's) or another value.
 */
struct lc_history	*lc_history_open(const char *path, int flags,
			     const char *group, char **cause);
/* Closes; NULL does nothing; see above about fork(). */
void			 lc_history_close(struct lc_history *);
const char		*lc_history_path(const struct lc_history *);
/* "STATE_DIR/history.db", allocated. */
char			*lc_history_default_path(const char *state_dir);
/* How long a write waits for the lock (busy timeout, ms), and how many
 * more times BEGIN IMMEDIATE is tried, within that time, when SQLite says
 * busy without waiting. Defaults: 5000 ms, 3. */
void			 lc_history_set_busy(struct lc_history *, int ms,
			     int retries);
/*
 * Keeps the WAL index of the history at path current while no connection
 * is open, so that the next open need not rebuild it from the whole WAL
 * (history-hold.c says how). Call it while a handle on path is open, with
 * the descriptor it returned last time (or -1); it returns the descriptor
 * to keep (the same one while the file is the same), or -1 when nothing
 * could be held, which only costs speed. Close the descriptor to let go.
 * Long-lived processes (the daemon) use it; it survives fork() harmlessly.
 */
int			 lc_history_hold(const char *path, int fd);

/*
 * An explicit write transaction (BEGIN IMMEDIATE): every write in between
 * joins it, as the daemon's one transaction per wake-up. Outside one, each
 * write is its own transaction. A failed write inside leaves the
 * transaction open: commit what succeeded or roll back.
 */
int	 lc_history_begin(struct lc_history *, char **cause);
int	 lc_history_commit(struct lc_history *, char **cause);
void	 lc_history_rollback(struct lc_history *);
/* True while lc_history_begin's transaction is open. */
int	 lc_history_in_transaction(const struct lc_history *);

/* Sets every field of a run to its NULL value (see struct lc_run). */
void	 lc_history_run_init(struct lc_run *);
/* Frees a run's strings and re-initialises it. */
void	 lc_history_run_clear(struct lc_run *);
void	 lc_history_runs_free(struct lc_run *, size_t);
/* Sets every field of an end to its NULL value and status to s. */
void	 lc_history_end_init(struct lc_run_end *, enum lc_run_status s);

/*
 * Inserts a run and writes its new UUIDv4 to id. From *r: job, trigger,
 * attempt, scheduled_at, status and whichever other fields are set.
 * Defaults: fire_id the run's own id (a new fire), host this host,
 * boot_id this boot, attempt 1; for a running row, started_at now, the
 * supervisor this process, and supervisor_start read from /proc.
 */
int	 lc_history_run_insert(struct lc_history *, const struct lc_run *r,
	     char id[LC_UUID_BUFSZ], char **cause);
/*
 * A queued run starts: status running, the supervisor (pid, 0 for this
 * process, and its start time), started_at (NONE: now), host, boot id.
 * Fails when the row is no longer queued (cancelled or lost meanwhile):
 * then the job must not start.
 */
int	 lc_history_run_running(struct lc_history *, const char *id,
	     pid_t supervisor, int64_t started_at, char **cause);
/* Appends to a run's timeline; at NONE: now; detail may be NULL. */
int	 lc_history_event_add(struct lc_history *, const char *run,
	     enum lc_event_kind, int64_t at, const char *detail, char **cause);
/* The same, unless that very event (run, at, kind, detail) is there. */
int	 lc_history_event_add_new(struct lc_history *, const char *run,
	     enum lc_event_kind, int64_t at, const char *detail, char **cause);
/* Finishes a queued or running run; a finished one is never rewritten. */
int	 lc_history_run_finish(struct lc_history *, const char *id,
	     const struct lc_run_end *, char **cause);

/* A job's state; no row yields the defaults (no fire, no retry, ...). */
int	 lc_history_state_get(struct lc_history *, const char *job,
	     struct lc_job_state *, char **cause);
/* Every stored job state, ordered by job. */
int	 lc_history_state_list(struct lc_history *, struct lc_job_state **,
	     size_t *, char **cause);
/* Writes every field of a job's state (insert or replace). */
int	 lc_history_state_put(struct lc_history *, const struct lc_job_state *,
	     char **cause);
int	 lc_history_state_delete(struct lc_history *, const char *job,
	     char **cause);
void	 lc_history_state_init(struct lc_job_state *);
void	 lc_history_state_clear(struct lc_job_state *);
void	 lc_history_states_free(struct lc_job_state *, size_t);

/*
 * Marks lost the rows whose supervisor is gone, in one transaction: a
 * running row of this host whose boot id differs, or whose pid no process
 * has with the recorded start time; a queued row of this host whose boot
 * id differs, or any when flags has LC_RECONCILE_STARTING. Rows of other
 * hosts are never touched, nor is lock state consulted. *nlost (may be
 * NULL) receives the count.
 */
int	 lc_history_reconcile(struct lc_history *, int flags, size_t *nlost,
	     char **cause);
/*
 * Deletes finished runs (never queued or running ones) older than
 * keep_days or beyond the keep_runs newest of their job, with their
 * events, in transactions of at most batch runs so writers never wait
 * long. With dry_run, only counts.
 */
int	 lc_history_prune(struct lc_history *,
	     const struct lc_history_prune_opts *,
	     struct lc_history_prune_stats *, char **cause);

/*
 * A run by full id or unique prefix, output included. Fails with errno
 * EINVAL (not hex digits and dashes), ENOENT (no such run) or EEXIST (an
 * ambiguous prefix: then, if candidates is not NULL, up to 20 of the
 * matching ids; free each and the array).
 */
int	 lc_history_run_get(struct lc_history *, const char *id_or_prefix,
	     struct lc_run *, char ***candidates, size_t *ncandidates,
	     char **cause);
/* The length (at least min) of the shortest prefix naming only run id. */
int	 lc_history_unique_prefix(struct lc_history *, const char *id,
	     size_t min, size_t *len, char **cause);
/* Sets no condition: every run, newest first. */
void	 lc_history_filter_init(struct lc_history_filter *);
/*
 * Runs matching the filter, newest first (scheduled_at, then attempt,
 * then insertion), without output.
 */
int	 lc_history_list(struct lc_history *, const struct lc_history_filter *,
	     struct lc_run **, size_t *, char **cause);
/* A run's events in order. */
int	 lc_history_events(struct lc_history *, const char *run,
	     struct lc_event **, size_t *, char **cause);
void	 lc_history_events_free(struct lc_event *, size_t);
/* Every job name that has runs, sorted. */
int	 lc_history_jobs(struct lc_history *, char ***, size_t *,
	     char **cause);
void	 lc_history_jobs_free(char **, size_t);
/* Latest run, latest finished run, latest success and failure streak. */
int	 lc_history_summary(struct lc_history *, const char *job,
	     struct lc_job_summary *, char **cause);
void	 lc_history_summary_clear(struct lc_job_summary *);
/* Run counts by job and status, ordered by job then status name. */
int	 lc_history_counts(struct lc_history *, struct lc_history_count **,
	     size_t *, char **cause);
/*
 * How many runs of each job ever ended with each status (every status but
 * queued and running), ordered by job then status name: run_totals, which
 * pruning does not lower (lockcron_runs_total).
 */
int	 lc_history_totals(struct lc_history *, struct lc_history_count **,
	     size_t *, char **cause);
void	 lc_history_counts_free(struct lc_history_count *, size_t);

/* Names as stored in the database, and back; parse returns 0 or -1. */
const char	*lc_history_status_name(enum lc_run_status);
int		 lc_history_status_parse(const char *, enum lc_run_status *);
const char	*lc_history_trigger_name(enum lc_run_trigger);
int		 lc_history_trigger_parse(const char *, enum lc_run_trigger *);
const char	*lc_history_event_name(enum lc_event_kind);
int		 lc_history_event_parse(const char *, enum lc_event_kind *);

/* A random (getrandom) version 4 UUID, lower case; 0 or -1 and errno. */
int	 lc_uuid_v4(char buf[LC_UUID_BUFSZ]);
/* This boot's id (/proc/sys/kernel/random/boot_id); 0 or -1 and errno. */
int	 lc_boot_id(char buf[LC_UUID_BUFSZ]);
/* Tests and lockcrond --boot-id-file read the boot id there; NULL: /proc. */
void	 lc_boot_id_set_path(const char *);
/* Start time of pid in clock ticks after boot (field 22 of
 * /proc/PID/stat); -1 and errno (ESRCH: no such process, or a zombie
 * nobody reaped yet) on failure. */
int64_t	 lc_proc_start_time(pid_t pid);

#endif
