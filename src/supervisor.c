/*
 * The supervisor: one run, start to finish. The daemon forks one per run
 * (it calls setsid() first) and `lockcron run` calls it in the foreground;
 * both go through lc_supervise(), so a manual run is exactly a scheduled one.
 *
 * Order matters: the row says "running" before anything else happens, so a
 * crash from here on leaves a row that reconciliation can mark lost; the
 * lock comes before the secrets, so a skipped run never fetches any; the
 * secrets live only in this process, in protected memory, and die with it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/keystore.h"
#include "lockcron/lock.h"
#include "lockcron/log.h"
#include "lockcron/notify.h"
#include "lockcron/proc.h"
#include "lockcron/record.h"
#include "lockcron/secret.h"
#include "lockcron/supervisor.h"
#include "lockcron/timefmt.h"
#include "lockcron/util.h"

/* Set by SIGTERM/SIGINT before the job runs (lc_proc_run handles them
 * itself once it has started). */
static volatile sig_atomic_t cancel_signal;

static void
cancel_handler(int sig)
{
	cancel_signal = sig;
}

/*
 * Until the job starts, SIGTERM and SIGINT cancel the run: a lock wait or
 * a keystore fetch ends early. No SA_RESTART, so a blocked flock returns.
 * The daemon forks a supervisor with both blocked, so that a cancel sent
 * before this point stays pending instead of killing it: they are
 * unblocked only once the handler is in place (old_mask restores).
 */
static void
catch_cancel(struct sigaction *old_term, struct sigaction *old_int,
    sigset_t *old_mask)
{
	struct sigaction	 sa;
	sigset_t		 set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cancel_handler;
	sigemptyset(&sa.sa_mask);
	cancel_signal = 0;
	sigaction(SIGTERM, &sa, old_term);
	sigaction(SIGINT, &sa, old_int);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, old_mask);
}

struct run {
	const struct lc_supervise_opts	*opts;
	const struct lc_job		*job;
	struct lc_recorder		*rec;
	struct lc_buf			 unit;	/* the one being written */
	char				 id[LC_UUID_BUFSZ];
	char				*fire_id;
	int64_t				 scheduled_at;
	int				 attempt;
	uid_t				 uid;
	gid_t				 gid;
	struct lc_lock			*lock;
	struct lc_secret_set		*secrets;
	char *const			*secret_env;
	char				*secret_dir;
	struct lc_masker		*mask[2];
	struct lc_buf			 masked;
	struct lc_buf			 tail;
	int				 live_fd;
	char				*live_path;	/* set once tried */
	struct lc_buf			 held;	/* output before the file */
	int				 live_due;	/* the run lasts */
	int				 out_fd;
	int64_t				 lock_at;	/* lock_acquired to write */
	char				 exited[32];	/* its detail, "" if none */
	int				 timed_out;
	int				 killed_descendants;
	struct lc_notifier		*notifier;
};

/*
 * The record is written in units, one transaction each (lockcron/record.h):
 * through the daemon when there is one, else by this process. A failed
 * write of events is logged, never fatal to the run.
 */
static void
write_unit(struct run *r, const char *what)
{
	char	*cause = NULL;

	if (lc_recorder_write(r->rec, &r->unit, &cause) != 0) {
		log_warn("job=%s run=%s: cannot record %s: %s", r->job->name,
		    r->id, what, cause);
		free(cause);
	}
}

/* Writes one event at once. */
static void
event(struct run *r, enum lc_event_kind kind, const char *detail)
{
	lc_recorder_unit(r->rec, &r->unit);
	lc_record_event(&r->unit, kind, LC_HISTORY_NONE, detail);
	write_unit(r, lc_history_event_name(kind));
}

/* Adds a lock_acquired event that waited for company (see take_lock). */
static void
lock_event(struct run *r)
{
	if (r->lock_at == 0)
		return;
	lc_record_event(&r->unit, LC_EVENT_LOCK_ACQUIRED, r->lock_at,
	    r->job->lock_path);
	r->lock_at = 0;
}

/* The job's uid and gid, as it will run; -1 when the user is unknown. */
static int
resolve_user(struct run *r, char **cause)
{
	struct passwd	*pw;
	struct group	*gr;

	r->uid = geteuid();
	r->gid = getegid();
	if (r->job->user != NULL) {
		if ((pw = getpwnam(r->job->user)) == NULL) {
			lc_set_cause(cause, "unknown user \"%s\"", r->job->user);
			return (-1);
		}
		r->uid = pw->pw_uid;
		r->gid = pw->pw_gid;
	}
	if (r->job->group != NULL) {
		if ((gr = getgrnam(r->job->group)) == NULL) {
			lc_set_cause(cause, "unknown group \"%s\"",
			    r->job->group);
			return (-1);
		}
		r->gid = gr->gr_gid;
	}
	return (0);
}

/* Keeps the last keep_bytes of output, trimming in large steps. */
static void
tail_add(struct run *r, const char *p, size_t n)
{
	size_t	 keep = (size_t)r->job->keep_bytes;

	if (keep == 0)
		return;
	lc_buf_add(&r->tail, p, n);
	if (r->tail.len > 2 * keep + 65536) {
		memmove(r->tail.data, r->tail.data + r->tail.len - keep, keep);
		r->tail.len = keep;
		r->tail.data[keep] = '\0';
	}
}

static void
write_fd(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (fd != -1 && n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* a full disk must not stop the job */
		p += w;
		n -= (size_t)w;
	}
}

static void	open_live(struct run *);

/*
 * The live file, state_dir/live/RUN_ID.log, is for runs that last: their
 * output is held here for the first LIVE_AFTER_MS of the run and up to
 * LIVE_HOLD_BYTES, then the file is created with all of it and written as
 * it comes. Most runs of a busy scheduler end before that, and creating
 * and removing a file a run was half of a burst's supervisors' CPU.
 */
#define LIVE_AFTER_MS	1000
#define LIVE_HOLD_BYTES	65536

static void
live_add(struct run *r, const char *p, size_t n)
{
	if (r->live_path == NULL) {
		if (!r->live_due && r->held.len + n <= LIVE_HOLD_BYTES) {
			lc_buf_add(&r->held, p, n);
			return;
		}
		open_live(r);
	}
	write_fd(r->live_fd, p, n);
}

/* The run has lasted LIVE_AFTER_MS: what it wrote goes to the file now. */
static void
live_tick(void *arg)
{
	struct run	*r = arg;

	r->live_due = 1;
	if (r->live_path == NULL && r->held.len > 0)
		open_live(r);
}

/* Masked output goes to the tail, the live file, output.file, a tty. */
static void
sink(struct run *r, enum lc_proc_stream stream, const char *p, size_t n)
{
	if (n == 0)
		return;
	tail_add(r, p, n);
	live_add(r, p, n);
	write_fd(r->out_fd, p, n);
	if (r->opts->foreground)
		write_fd(stream == LC_PROC_STDERR ? STDERR_FILENO :
		    STDOUT_FILENO, p, n);
}

static void
started_cb(pid_t pid, int64_t start_ms, void *arg)
{
	struct run	*r = arg;
	char		 detail[32];

	snprintf(detail, sizeof detail, "pid %ld", (long)pid);
	lc_recorder_unit(r->rec, &r->unit);
	lock_event(r);
	lc_record_event(&r->unit, LC_EVENT_STARTED, LC_HISTORY_NONE, detail);
	write_unit(r, "its start");
	lc_notifier_started(r->notifier, r->id);
	if (r->opts->log_start)
		log_info("job=%s run=%s status=started pid=%ld", r->job->name,
		    r->id, (long)pid);
}

static void
output_cb(enum lc_proc_stream stream, const char *buf, size_t len, void *arg)
{
	struct run		*r = arg;
	struct lc_masker	*m = r->mask[stream == LC_PROC_STDERR];

	if (m == NULL) {
		sink(r, stream, buf, len);
		return;
	}
	r->masked.len = 0;
	lc_masker_feed(m, buf, len, &r->masked);
	sink(r, stream, r->masked.data, r->masked.len);
}

/* Releases what the maskers held back at the end of the streams. */
static void
flush_masks(struct run *r)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (r->mask[i] == NULL)
			continue;
		r->masked.len = 0;
		lc_masker_flush(r->mask[i], &r->masked);
		sink(r, i ? LC_PROC_STDERR : LC_PROC_STDOUT, r->masked.data,
		    r->masked.len);
	}
}

/* Creates the live file and writes what was held for it. */
static void
open_live(struct run *r)
{
	char	*dir;

	xasprintf(&dir, "%s/live", r->opts->cfg->state_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		log_warn("job=%s: cannot create %s: %s", r->job->name, dir,
		    strerror(errno));
	xasprintf(&r->live_path, "%s/%s.log", dir, r->id);
	r->live_fd = open(r->live_path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->live_fd == -1)
		log_warn("job=%s: cannot create %s: %s", r->job->name,
		    r->live_path, strerror(errno));
	write_fd(r->live_fd, r->held.data, r->held.len);
	lc_buf_free(&r->held);
	free(dir);
}

/* Takes the lock; returns the status to finish with, or RUNNING to go on. */
static enum lc_run_status
take_lock(struct run *r, struct lc_buf *err)
{
	const struct lc_job	*job = r->job;
	enum lc_lock_result	 res;
	char			*cause = NULL, *detail;
	int64_t			 wait = 0;

	/* Cancelled already (while the row was being written): no wait. */
	if (cancel_signal != 0) {
		lc_buf_printf(err, "cancelled by %s before the job started",
		    strsignal(cancel_signal));
		return (LC_RUN_CANCELLED);
	}
	if (job->overlap == LC_OVERLAP_WAIT) {
		wait = job->lock_wait;
		xasprintf(&detail, "waiting up to %llds for %s",
		    (long long)wait, job->lock_path);
		event(r, LC_EVENT_LOCK_WAIT, detail);
		free(detail);
	}
	/* The configured lock directory is ours to create (lockcron run may
	 * come before any daemon); an absolute lock path elsewhere is not. */
	if (lc_mkdir_p(r->opts->cfg->lock_dir, 0755, &cause) != 0) {
		lc_buf_printf(err, "%s", cause);
		free(cause);
		return (LC_RUN_LAUNCH_ERROR);
	}
	r->lock = lc_lock_new(job->lock_path, r->uid);
	res = lc_lock_acquire(r->lock, wait, &cause);
	switch (res) {
	case LC_LOCK_ACQUIRED:
		/*
		 * The daemon reads this event to tell a run still waiting for
		 * its lock (a further fire is then skipped), and a keystore
		 * may take seconds: then it is written at once. A run that
		 * took its lock without waiting goes straight to its job and
		 * writes it with the "started" event, in one transaction:
		 * one write fewer before the job starts.
		 */
		if (wait > 0 || job->secrets.keystore != NULL)
			event(r, LC_EVENT_LOCK_ACQUIRED, job->lock_path);
		else
			r->lock_at = lc_now_ms();
		return (LC_RUN_RUNNING);
	case LC_LOCK_INTERRUPTED:
		lc_buf_printf(err, "cancelled while waiting for lock %s",
		    job->lock_path);
		return (LC_RUN_CANCELLED);
	case LC_LOCK_BUSY:
		if (wait > 0)
			lc_buf_printf(err, "lock %s still busy after %llds",
			    job->lock_path, (long long)wait);
		else
			lc_buf_printf(err, "lock %s is busy (another run "
			    "holds it)", job->lock_path);
		return (LC_RUN_SKIPPED);
	default:
		lc_buf_printf(err, "%s", cause);
		free(cause);
		return (LC_RUN_LAUNCH_ERROR);
	}
}

/* Fetches the job's secrets; RUNNING to go on, else SECRET_ERROR. */
static enum lc_run_status
fetch_secrets(struct run *r, struct lc_buf *err)
{
	const struct lc_job_secrets	*js = &r->job->secrets;
	struct lc_keystore_stats	 st;
	char				*cause = NULL, *detail;

	if (js->keystore == NULL)
		return (LC_RUN_RUNNING);
	r->secrets = lc_keystore_fetch_job(js, &st, &cause);
	if (r->secrets == NULL && cancel_signal != 0) {
		lc_buf_printf(err, "cancelled by %s while fetching secrets",
		    strsignal(cancel_signal));
		free(cause);
		return (LC_RUN_CANCELLED);
	}
	if (r->secrets == NULL)
		goto fail;
	detail = lc_keystore_event_detail(js->keystore, r->secrets, &st);
	event(r, LC_EVENT_SECRETS_FETCHED, detail);
	free(detail);
	if (js->nenv > 0 &&
	    (r->secret_env = lc_secret_set_env(r->secrets, js, &cause)) == NULL)
		goto fail;
	if (js->nfiles > 0) {
		/* lockcron run may come before any daemon made runtime_dir. */
		if (lc_mkdir_p(r->opts->cfg->runtime_dir, 0755, &cause) != 0)
			goto fail;
		r->secret_dir = lc_secret_dir_path(r->opts->cfg->runtime_dir,
		    r->id);
		if (lc_secret_files_write(r->secrets, js, r->secret_dir, r->uid,
		    r->gid, &cause) != 0)
			goto fail;
	}
	r->mask[0] = lc_masker_new(r->secrets);
	r->mask[1] = lc_masker_new(r->secrets);
	return (LC_RUN_RUNNING);
fail:
	lc_buf_printf(err, "%s", cause);
	free(cause);
	return (LC_RUN_SECRET_ERROR);
}

/* LOCKCRON_* variables, then the secret ones (pointers, not copies). */
static char **
build_extra_env(struct run *r, size_t *nown)
{
	char		**env, buf[LC_TIME_BUFSZ];
	size_t		  n = 0, i, nsec = 0;

	while (r->secret_env != NULL && r->secret_env[nsec] != NULL)
		nsec++;
	env = xcalloc(8 + nsec, sizeof *env);
	xasprintf(&env[n++], "LOCKCRON_JOB=%s", r->job->name);
	xasprintf(&env[n++], "LOCKCRON_RUN_ID=%s", r->id);
	xasprintf(&env[n++], "LOCKCRON_FIRE_ID=%s", r->fire_id);
	xasprintf(&env[n++], "LOCKCRON_SCHEDULED_AT=%s",
	    lc_time_utc_ms(r->scheduled_at, buf));
	xasprintf(&env[n++], "LOCKCRON_ATTEMPT=%d", r->attempt);
	if (r->secret_dir != NULL)
		xasprintf(&env[n++], "LOCKCRON_SECRETS_DIR=%s", r->secret_dir);
	*nown = n;
	for (i = 0; i < nsec; i++)
		env[n + i] = r->secret_env[i];
	return (env);
}

/* Frees our own strings; the secret ones belong to the secret set. */
static void
free_extra_env(char **env, size_t nown)
{
	size_t	 i;

	for (i = 0; i < nown; i++)
		free(env[i]);
	free(env);
}

/* Describes how the job ended, for the row and the exited event. */
static enum lc_run_status
outcome(const struct lc_proc_result *pr, const struct lc_job *job,
    struct lc_buf *err, struct lc_run_end *end)
{
	if (pr->end == LC_PROC_LAUNCH_ERROR) {
		lc_buf_printf(err, "%s", pr->error != NULL ? pr->error :
		    "cannot start the command");
		return (LC_RUN_LAUNCH_ERROR);
	}
	if (pr->end == LC_PROC_EXITED)
		end->exit_code = pr->exit_code;
	else
		end->signal = pr->signal;
	if (pr->cancelled) {
		lc_buf_printf(err, "cancelled by %s", strsignal(
		    pr->cancel_signal ? pr->cancel_signal : SIGTERM));
		return (LC_RUN_CANCELLED);
	}
	if (pr->timed_out) {
		lc_buf_printf(err, "timed out after %llds",
		    (long long)job->timeout);
		return (LC_RUN_TIMED_OUT);
	}
	if (pr->end == LC_PROC_SIGNALED) {
		lc_buf_printf(err, "killed by signal %d (%s)", pr->signal,
		    strsignal(pr->signal));
		return (LC_RUN_KILLED);
	}
	if (pr->exit_code != 0) {
		lc_buf_printf(err, "exited with status %d", pr->exit_code);
		return (LC_RUN_FAILED);
	}
	return (LC_RUN_SUCCEEDED);
}

/* Starts the job and waits for it; returns the status of the run. */
static enum lc_run_status
run_job(struct run *r, struct lc_buf *err, struct lc_run_end *end,
    struct lc_supervise_result *res)
{
	const struct lc_job	*job = r->job;
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 pr;
	enum lc_run_status	 st;
	char			**extra, *cause = NULL;
	size_t			  nown;
	int			  keep[1];

	memset(&spec, 0, sizeof spec);
	spec.command = job->command;
	spec.argv = job->argv;
	spec.shell = job->shell;
	spec.user = job->user;
	spec.group = job->group;
	spec.workdir = job->workdir;
	spec.env = job->env;
	spec.has_umask = job->has_umask;
	spec.umask = job->umask;
	spec.nice = job->nice;
	spec.stdin_text = job->stdin_text;
	spec.timeout_ms = job->timeout * 1000;
	spec.kill_grace_ms = job->kill_grace * 1000;
	spec.output_cb = output_cb;
	spec.started_cb = started_cb;
	spec.tick_cb = live_tick;
	spec.tick_ms = LIVE_AFTER_MS;
	spec.cb_arg = r;
	if ((keep[0] = lc_lock_fd(r->lock)) != -1) {
		spec.keep_fds = keep;
		spec.nkeep_fds = 1;
	}
	if (job->output_file != NULL && (r->out_fd = lc_proc_open_output(
	    job->output_file, job->user, job->group, &cause)) == -1) {
		lc_buf_printf(err, "output.file: %s", cause);
		free(cause);
		return (LC_RUN_LAUNCH_ERROR);
	}
	extra = build_extra_env(r, &nown);
	spec.extra_env = extra;
	memset(&pr, 0, sizeof pr);
	lc_proc_run(&spec, &pr);
	free_extra_env(extra, nown);
	flush_masks(r);
	st = outcome(&pr, job, err, end);
	res->not_found = pr.not_found;
	/* The events of the end go with the row's end (finish_record). */
	if (pr.end != LC_PROC_LAUNCH_ERROR) {
		end->duration_ms = pr.end_ms - pr.start_ms;
		if (pr.end == LC_PROC_EXITED)
			snprintf(r->exited, sizeof r->exited, "exit %d",
			    pr.exit_code);
		else
			snprintf(r->exited, sizeof r->exited, "signal %d",
			    pr.signal);
		r->timed_out = pr.timed_out;
	}
	r->killed_descendants = pr.killed_descendants;
	lc_proc_result_clear(&pr);
	return (st);
}

/* The events of the run's end, in their order. */
static void
end_events(struct run *r)
{
	char	 detail[32];
	int64_t	 now = lc_now_ms();

	lock_event(r);
	if (r->timed_out)
		lc_record_event(&r->unit, LC_EVENT_TIMEOUT, now, NULL);
	if (r->exited[0] != '\0')
		lc_record_event(&r->unit, LC_EVENT_EXITED, now, r->exited);
	if (r->killed_descendants > 0) {
		snprintf(detail, sizeof detail, "%d", r->killed_descendants);
		lc_record_event(&r->unit, LC_EVENT_KILLED_DESCENDANTS, now,
		    detail);
	}
}

/*
 * Records the run's end: its events and the row, in one unit. Should that
 * fail, the row's end alone, as it must not be lost for want of an event.
 */
static int
finish_record(struct run *r, const struct lc_run_end *end, char **cause)
{
	char	*why = NULL;

	lc_recorder_unit(r->rec, &r->unit);
	end_events(r);
	lc_record_finish(&r->unit, end);
	if (lc_recorder_write(r->rec, &r->unit, &why) == 0)
		return (0);
	log_warn("job=%s run=%s: cannot record its end with its events: %s",
	    r->job->name, r->id, why);
	free(why);
	lc_recorder_unit(r->rec, &r->unit);
	lc_record_finish(&r->unit, end);
	return (lc_recorder_write(r->rec, &r->unit, cause));
}

/* Records the run as running (or inserts it, for lockcron run). */
static int
start_record(struct run *r, char **cause)
{
	const struct lc_supervise_opts	*o = r->opts;
	struct lc_history		*h;
	struct lc_run			 row;
	char				*path;

	path = lc_history_default_path(o->cfg->state_dir);
	r->rec = lc_recorder_new(path, o->cfg->history_group, o->run_id,
	    o->chan > 0 ? o->chan : -1);
	free(path);
	if (o->run_id == NULL) {
		if ((h = lc_recorder_history(r->rec, cause)) == NULL)
			return (-1);
		lc_history_run_init(&row);
		row.job = r->job->name;
		row.trigger = o->trigger;
		row.attempt = o->attempt > 0 ? o->attempt : 1;
		row.scheduled_at = o->scheduled_at;
		row.status = LC_RUN_RUNNING;
		if (lc_history_run_insert(h, &row, r->id, cause) != 0)
			return (-1);
		lc_recorder_set_id(r->rec, r->id);
		r->fire_id = xstrdup(r->id);
		r->attempt = row.attempt;
		r->scheduled_at = o->scheduled_at;
		return (0);
	}
	snprintf(r->id, sizeof r->id, "%s", o->run_id);
	lc_recorder_unit(r->rec, &r->unit);
	lc_record_running(&r->unit, lc_now_ms());
	if (lc_recorder_write(r->rec, &r->unit, cause) != 0)
		return (-1);
	if (o->known) {
		r->fire_id = xstrdup(o->fire_id != NULL ? o->fire_id : r->id);
		r->attempt = o->attempt;
		r->scheduled_at = o->scheduled_at;
		return (0);
	}
	lc_history_run_init(&row);
	if ((h = lc_recorder_history(r->rec, cause)) == NULL ||
	    lc_history_run_get(h, r->id, &row, NULL, NULL, cause) != 0)
		return (-1);
	r->fire_id = xstrdup(row.fire_id != NULL ? row.fire_id : r->id);
	r->attempt = row.attempt;
	r->scheduled_at = row.scheduled_at;
	lc_history_run_clear(&row);
	return (0);
}

/*
 * Forgets the run's secrets: the files, then the values. Done before the
 * row is finished, so that a finished row never has secrets left on disk.
 */
static void
drop_secrets(struct run *r)
{
	char	*cause = NULL;

	lc_masker_free(r->mask[0]);
	lc_masker_free(r->mask[1]);
	r->mask[0] = r->mask[1] = NULL;
	if (r->secret_dir != NULL &&
	    lc_secret_dir_remove(r->secret_dir, &cause) != 0) {
		log_error("job=%s run=%s: %s", r->job->name, r->id, cause);
		free(cause);
	}
	free(r->secret_dir);
	r->secret_dir = NULL;
	lc_secret_set_free(r->secrets);
	r->secrets = NULL;
	r->secret_env = NULL;
}

/* Frees what the run held: secrets first, then the rest. */
static void
cleanup(struct run *r)
{
	drop_secrets(r);
	if (r->live_fd != -1)
		close(r->live_fd);
	if (r->live_path != NULL)
		unlink(r->live_path);
	free(r->live_path);
	lc_buf_free(&r->held);
	if (r->out_fd != -1)
		close(r->out_fd);
	lc_lock_free(r->lock);
	lc_buf_free(&r->masked);
	lc_buf_free(&r->tail);
	free(r->fire_id);
	lc_buf_free(&r->unit);
	lc_recorder_free(r->rec);
}

int
lc_supervise(const struct lc_supervise_opts *o,
    struct lc_supervise_result *res, char **cause)
{
	struct run		 r;
	struct lc_run_end	 end;
	struct lc_buf		 err = { 0 };
	struct sigaction	 old_term, old_int;
	struct lc_notifier	*nt;
	sigset_t		 old_mask;
	enum lc_run_status	 st;
	sigset_t		 set, oldset;
	size_t			 keep;
	int			 rc = 0;

	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	r.opts = o;
	r.job = o->job;
	r.live_fd = r.out_fd = -1;
	res->exit_code = -1;
	if (lc_secret_protect_process(cause) != 0)
		return (-1);
	/* Forked while this process holds no history, lock or secret. */
	r.notifier = nt = lc_notifier_new(o->cfg, o->job, !o->foreground);
	if (start_record(&r, cause) != 0) {
		lc_notifier_free(nt);
		cleanup(&r);
		return (-1);
	}
	snprintf(res->run_id, sizeof res->run_id, "%s", r.id);
	/* Handled until the row is finished: a late SIGTERM must not leave
	 * it "running". */
	catch_cancel(&old_term, &old_int, &old_mask);
	lc_keystore_set_cancel(&cancel_signal);
	lc_history_end_init(&end, LC_RUN_FAILED);
	if (lc_proc_set_subreaper(cause) != 0) {
		lc_buf_printf(&err, "%s", *cause);
		free(*cause);
		*cause = NULL;
		st = LC_RUN_LAUNCH_ERROR;
	} else if (resolve_user(&r, cause) != 0) {
		lc_buf_printf(&err, "%s", *cause);
		free(*cause);
		*cause = NULL;
		st = LC_RUN_LAUNCH_ERROR;
	} else {
		if ((st = take_lock(&r, &err)) == LC_RUN_RUNNING &&
		    (st = fetch_secrets(&r, &err)) == LC_RUN_RUNNING) {
			/* From here lc_proc_run reads these signals; block
			 * them so none is lost in between. */
			sigemptyset(&set);
			sigaddset(&set, SIGTERM);
			sigaddset(&set, SIGINT);
			sigprocmask(SIG_BLOCK, &set, &oldset);
			if (cancel_signal != 0) {
				lc_buf_printf(&err, "cancelled by %s before "
				    "the job started", strsignal(cancel_signal));
				st = LC_RUN_CANCELLED;
			} else
				st = run_job(&r, &err, &end, res);
			sigprocmask(SIG_SETMASK, &oldset, NULL);
		}
	}

	drop_secrets(&r);
	end.status = st;
	end.error = err.len > 0 ? err.data : NULL;
	keep = r.tail.len < (size_t)o->job->keep_bytes ? r.tail.len :
	    (size_t)o->job->keep_bytes;
	end.output = r.tail.data != NULL ? r.tail.data + r.tail.len - keep :
	    NULL;
	end.output_len = keep;
	if (finish_record(&r, &end, cause) != 0)
		rc = -1;
	res->status = st;
	res->exit_code = end.exit_code;
	res->signal = end.signal;
	snprintf(res->error, sizeof res->error, "%s", err.len > 0 ? err.data :
	    "");
	log_debug("job=%s run=%s status=%s%s%s", o->job->name, r.id,
	    lc_history_status_name(st), err.len > 0 ? " error=" : "",
	    err.len > 0 ? err.data : "");
	lc_buf_free(&err);
	cleanup(&r);
	lc_keystore_set_cancel(NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	/* The row is finished and the lock released: now it may send. */
	if (rc == 0)
		lc_notifier_end(nt, res->run_id);
	else
		lc_notifier_free(nt);
	return (rc);
}

int
lc_supervise_exit_status(const struct lc_supervise_result *res)
{
	switch (res->status) {
	case LC_RUN_SUCCEEDED:
		return (0);
	case LC_RUN_FAILED:
		return (res->exit_code > 0 ? res->exit_code : 1);
	case LC_RUN_KILLED:
		return (128 + res->signal);
	case LC_RUN_TIMED_OUT:
		return (124);
	case LC_RUN_SKIPPED:
		return (75);
	case LC_RUN_LAUNCH_ERROR:
		return (res->not_found ? 127 : 126);
	case LC_RUN_CANCELLED:
		return (130);
	default:
		return (125);
	}
}
