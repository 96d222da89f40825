/*
 * From fires to runs. A wake-up records every due fire in one history
 * transaction (queued rows, missed rows, job_state), then forks one
 * supervisor per queued run as max_parallel allows. A run's outcome is read
 * back from its row when its supervisor is reaped; a row still queued or
 * running then is marked lost at once.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-int.h"
#include "lockcron/log.h"
#include "lockcron/notify.h"
#include "lockcron/supervisor.h"
#include "lockcron/timefmt.h"
#include "lockcron/util.h"

/* A "lock busy" line per job at most this often. */
#define SKIP_LOG_EVERY_MS	300000
/* Descriptors the record channels leave the daemon. */
#define FD_RESERVE		64

/* The events of one wake-up, copied out of the scheduler's callback. */
struct batch {
	struct lc_sched_event	*ev;
	size_t			 n, cap;
	int			 prune;
	char			**notify;	/* final rows to notify about */
	size_t			  nnotify;
	/* Jobs whose pending retry a later fire replaces, once committed. */
	const char		**unretry;
	size_t			  nunretry;
};

/* A queued run, with what its supervisor needs of its row. */
static struct drun *
drun_add(struct lc_daemon *d, const struct lc_job *job, const char *id,
    const struct lc_run *row)
{
	struct drun	*r = xcalloc(1, sizeof *r);

	snprintf(r->id, sizeof r->id, "%s", id);
	r->fire_id = row->fire_id != NULL ? xstrdup(row->fire_id) : NULL;
	r->scheduled_at = row->scheduled_at;
	r->attempt = row->attempt;
	r->job = xstrdup(job->name);
	r->pidfd = -1;
	r->chan = -1;
	r->overlap_wait = job->overlap == LC_OVERLAP_WAIT;
	d->runs = xreallocarray(d->runs, d->nruns + 1, sizeof *d->runs);
	d->runs[d->nruns++] = r;
	return (r);
}

/*
 * A run's record channel: a socket pair, unless that would leave the
 * daemon fewer than FD_RESERVE descriptors of its limit for its own needs
 * (the history, control connections, notifiers): then, as when
 * socketpair() fails, none, and the supervisor writes its record itself.
 * Said once, until channels work again.
 */
static void
chan_open(struct lc_daemon *d, const struct drun *r, int sv[2])
{
	const char	*why = NULL;

	sv[0] = sv[1] = -1;
	if (d->nchans + FD_RESERVE >= d->fd_limit)
		why = "too few descriptors left";
	else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv) != 0) {
		why = strerror(errno);
		sv[0] = sv[1] = -1;
	}
	if (why == NULL) {
		d->nchans++;
		d->chan_failing = 0;
		return;
	}
	if (!d->chan_failing)
		log_warn("job=%s: no record channel (%s); supervisors write "
		    "their records themselves", r->job, why);
	d->chan_failing = 1;
}

static void
chan_close(struct lc_daemon *d, struct drun *r)
{
	if (r->chan == -1)
		return;
	close(r->chan);
	r->chan = -1;
	d->nchans--;
}

static void
drun_remove(struct lc_daemon *d, struct drun *r)
{
	size_t	 i;

	for (i = 0; i < d->nruns; i++) {
		if (d->runs[i] != r)
			continue;
		memmove(&d->runs[i], &d->runs[i + 1],
		    (d->nruns - i - 1) * sizeof *d->runs);
		d->nruns--;
		break;
	}
	if (r->pidfd != -1)
		close(r->pidfd);
	chan_close(d, r);
	free(r->job);
	free(r->fire_id);
	free(r);
}

size_t
runs_active(const struct lc_daemon *d)
{
	size_t	 i, n = 0;

	for (i = 0; i < d->nruns; i++)
		n += d->runs[i]->pid != 0;
	return (n);
}

int
runs_is_paused(const struct lc_daemon *d, const char *job)
{
	size_t	 i;

	for (i = 0; i < d->npaused; i++)
		if (strcmp(d->paused[i], job) == 0)
			return (1);
	return (0);
}

static void
collect(const struct lc_sched_event *ev, void *arg)
{
	struct batch	*b = arg;

	if (ev->kind == LC_SCHED_PRUNE) {
		b->prune = 1;
		return;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ev = xreallocarray(b->ev, b->cap, sizeof *b->ev);
	}
	b->ev[b->n] = *ev;
	if (ev->fire_id != NULL)
		b->ev[b->n].fire_id = xstrdup(ev->fire_id);
	b->n++;
}

/*
 * The notifications of rows the daemon finished itself (lost, missed,
 * skipped, cancelled while queued) go out from a forked notifier, which
 * runs_reap() reaps: the loop never waits on the network. Call it with no
 * history handle open.
 */
static void
notify_rows(struct lc_daemon *d, char *const *ids, size_t n)
{
	pid_t	 pid;

	if (n == 0)
		return;
	daemon_history_close(d);
	if ((pid = lc_notify_fork(0, 1)) == -1) {
		log_error("cannot fork a notifier for %zu runs: %s", n,
		    strerror(errno));
		return;
	}
	if (pid == 0) {
		daemon_close_fds_in_child(-1);
		lc_notify_runs(d->cfg, ids, n);
		_exit(0);
	}
}

/* Logs a history write failure; the fire's job does not start. */
static void
write_failed(const struct lc_job *job, const char *what, char *cause)
{
	log_error("job=%s: cannot record %s, the run will not start: %s",
	    job->name, what, cause);
	free(cause);
}

/* Inserts a row that is final at once: missed or skipped. */
static void
record_final(struct lc_history *h, struct batch *b, const struct lc_job *job,
    enum lc_run_status st, enum lc_run_trigger trig, int64_t scheduled_at,
    const char *error, const char *fire_id, int attempt)
{
	struct lc_run	 row;
	char		 id[LC_UUID_BUFSZ], *cause = NULL;

	lc_history_run_init(&row);
	row.job = job->name;
	row.trigger = trig;
	row.status = st;
	row.scheduled_at = scheduled_at;
	row.error = (char *)error;
	row.fire_id = (char *)fire_id;
	row.attempt = attempt > 0 ? attempt : 1;
	if (lc_history_run_insert(h, &row, id, &cause) != 0)
		write_failed(job, lc_history_status_name(st), cause);
	else if (lc_notify_channels(job, st) != 0) {
		b->notify = xreallocarray(b->notify, b->nnotify + 1,
		    sizeof *b->notify);
		b->notify[b->nnotify++] = xstrdup(id);
	}
}

/* True when a run of the job is queued or has not got its lock yet. */
static int
has_waiting_run(struct lc_daemon *d, struct lc_history *h, const char *job)
{
	struct lc_event	*ev;
	size_t		 i, j, nev;
	int		 acquired;

	for (i = 0; i < d->nruns; i++) {
		if (strcmp(d->runs[i]->job, job) != 0)
			continue;
		if (d->runs[i]->pid == 0)
			return (1);
		if (d->runs[i]->seen.lock_acquired)
			continue;
		if (lc_history_events(h, d->runs[i]->id, &ev, &nev, NULL) != 0)
			return (1);
		acquired = 0;
		for (j = 0; j < nev; j++)
			acquired |= ev[j].kind == LC_EVENT_LOCK_ACQUIRED;
		lc_history_events_free(ev, nev);
		if (!acquired)
			return (1);
	}
	return (0);
}

/* Inserts a queued run; returns the new drun or NULL. */
static struct drun *
queue_run(struct lc_daemon *d, struct lc_history *h, const struct lc_job *job,
    enum lc_run_trigger trig, int64_t scheduled_at, const char *fire_id,
    int attempt, char **cause)
{
	struct lc_run	 row;
	char		 id[LC_UUID_BUFSZ];

	lc_history_run_init(&row);
	row.job = job->name;
	row.trigger = trig;
	row.status = LC_RUN_QUEUED;
	row.scheduled_at = scheduled_at;
	row.fire_id = (char *)fire_id;
	row.attempt = attempt > 0 ? attempt : 1;
	if (lc_history_run_insert(h, &row, id, cause) != 0)
		return (NULL);
	if (trig != LC_TRIGGER_MANUAL)
		lc_history_event_add(h, id, LC_EVENT_SCHEDULED, scheduled_at,
		    lc_history_trigger_name(trig), NULL);
	lc_history_event_add(h, id, LC_EVENT_QUEUED, LC_HISTORY_NONE, NULL,
	    NULL);
	return (drun_add(d, job, id, &row));
}

static enum lc_run_trigger
trigger_of(const struct lc_sched_event *ev)
{
	switch (ev->kind) {
	case LC_SCHED_CATCH_UP:
		return (LC_TRIGGER_CATCH_UP);
	case LC_SCHED_RETRY:
		return (LC_TRIGGER_RETRY);
	default:
		return (LC_TRIGGER_SCHEDULE);
	}
}

/* Clears a job's stored retry (it was cancelled or is being run). */
static void
state_clear_retry(struct lc_history *h, const char *job)
{
	struct lc_job_state	 st;

	lc_history_state_init(&st);
	if (lc_history_state_get(h, job, &st, NULL) == 0 &&
	    st.retry_attempt != 0) {
		st.retry_attempt = 0;
		st.retry_due_at = LC_HISTORY_NONE;
		free(st.retry_fire_id);
		st.retry_fire_id = NULL;
		st.retry_scheduled_at = LC_HISTORY_NONE;
		lc_history_state_put(h, &st, NULL);
	}
	lc_history_state_clear(&st);
}

/* One due run: skipped (paused, already waiting) or queued. */
static void
record_run(struct lc_daemon *d, struct lc_history *h, struct batch *b,
    const struct lc_sched_event *ev)
{
	const struct lc_job	*job = ev->job;
	enum lc_run_trigger	 trig = trigger_of(ev);
	struct drun		*r;
	const char		*reason = NULL;
	char			*cause = NULL, detail[96];
	size_t			 i;
	int			 cancelled;

	if (runs_is_paused(d, job->name))
		reason = "paused";
	else if (job->overlap == LC_OVERLAP_WAIT &&
	    has_waiting_run(d, h, job->name))
		reason = "already waiting";
	if (reason != NULL) {
		record_final(h, b, job, LC_RUN_SKIPPED, trig,
		    ev->scheduled_at * 1000, reason, ev->fire_id,
		    ev->attempt);
		/* A skipped retry is done with: job_state must not keep it
		 * for a restart to bring back. */
		if (ev->kind == LC_SCHED_RETRY)
			state_clear_retry(h, job->name);
		return;
	}
	cancelled = ev->kind != LC_SCHED_RETRY &&
	    lc_sched_has_retry(d->sched, job->name);
	for (i = 0; cancelled && i < b->nunretry; i++)
		cancelled = strcmp(b->unretry[i], job->name) != 0;
	r = queue_run(d, h, job, trig, ev->scheduled_at * 1000, ev->fire_id,
	    ev->attempt, &cause);
	if (r == NULL) {
		write_failed(job, "the fire", cause);
		return;
	}
	if (cancelled) {
		b->unretry = xreallocarray(b->unretry, b->nunretry + 1,
		    sizeof *b->unretry);
		b->unretry[b->nunretry++] = job->name;
	}
	if (cancelled || ev->kind == LC_SCHED_RETRY)
		state_clear_retry(h, job->name);
	if (cancelled) {
		snprintf(detail, sizeof detail, "a later fire started");
		lc_history_event_add(h, r->id, LC_EVENT_RETRY_CANCELLED,
		    LC_HISTORY_NONE, detail, NULL);
	}
}

/* A summary row for fires beyond the first LC_SCHED_MISSED_ROWS. */
static void
record_missed_many(struct lc_history *h, struct batch *bt,
    const struct lc_sched_event *ev)
{
	char	 a[LC_TIME_BUFSZ], b[LC_TIME_BUFSZ], *msg;

	xasprintf(&msg, "%s%lld missed fires from %s to %s",
	    ev->count_capped ? "at least " : "", (long long)ev->count,
	    lc_time_utc_ms(ev->first * 1000, a),
	    lc_time_utc_ms(ev->last * 1000, b));
	record_final(h, bt, ev->job, LC_RUN_MISSED, LC_TRIGGER_SCHEDULE,
	    ev->last * 1000, msg, NULL, 1);
	free(msg);
}

/* Stores the last fire handled of every job this batch touched. */
static void
store_last_fires(struct lc_daemon *d, struct lc_history *h,
    const struct batch *b)
{
	struct lc_job_state	 st;
	const char		*prev = NULL;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < b->n; i++) {
		const char *job = b->ev[i].job->name;

		if (b->ev[i].kind == LC_SCHED_RETRY ||
		    (prev != NULL && strcmp(prev, job) == 0))
			continue;
		prev = job;
		lc_history_state_init(&st);
		if (lc_history_state_get(h, job, &st, &cause) == 0) {
			st.last_fire_at = lc_sched_last(d->sched, job) * 1000;
			lc_history_state_put(h, &st, &cause);
		}
		if (cause != NULL) {
			log_error("job=%s: job_state: %s", job, cause);
			free(cause);
			cause = NULL;
		}
		lc_history_state_clear(&st);
	}
}

static void
prune(struct lc_daemon *d, struct lc_history *h)
{
	struct lc_history_prune_opts	 po;
	struct lc_history_prune_stats	 ps;
	char				*cause = NULL;

	if (d->cfg->keep_days == 0 && d->cfg->keep_runs == 0)
		return;
	memset(&po, 0, sizeof po);
	po.keep_days = d->cfg->keep_days;
	po.keep_runs = d->cfg->keep_runs;
	po.now = LC_HISTORY_NONE;
	memset(&ps, 0, sizeof ps);
	if (lc_history_prune(h, &po, &ps, &cause) != 0) {
		log_error("history pruning: %s", cause);
		free(cause);
	} else if (ps.runs > 0)
		log_info("history pruning: %lld runs, %lld events deleted",
		    (long long)ps.runs, (long long)ps.events);
}

/*
 * The fires of a batch the history would not take (locked by another
 * process for longer than the busy timeout, unwritable, full): handed back
 * to the scheduler, to be recorded once it takes them, late (or missed,
 * past the grace) but not lost. Tried again after 1 s, then 2, 4, ... 30:
 * an hour of a full disk is a few lines of log, not one a second.
 */
static void
batch_unrecorded(struct lc_daemon *d, const struct batch *b, int64_t now_ms)
{
	const struct lc_sched_event	*ev;
	size_t				 i;

	for (i = 0; i < b->n; i++) {
		ev = &b->ev[i];
		switch (ev->kind) {
		case LC_SCHED_RETRY:
			lc_sched_set_retry(d->sched, ev->job->name, ev->attempt,
			    now_ms, ev->fire_id, ev->scheduled_at);
			break;
		case LC_SCHED_MISSED_MANY:
			lc_sched_rewind(d->sched, ev->job->name, ev->first);
			break;
		default:
			lc_sched_rewind(d->sched, ev->job->name,
			    ev->scheduled_at);
			break;
		}
	}
	d->hist_backoff_ms = d->hist_backoff_ms == 0 ? 1000 :
	    d->hist_backoff_ms * 2 > 30000 ? 30000 : d->hist_backoff_ms * 2;
	d->hist_retry_at = now_ms + d->hist_backoff_ms;
	log_error("%zu fires not recorded yet; trying again in %lld s", b->n,
	    (long long)d->hist_backoff_ms / 1000);
}

void
runs_wake(struct lc_daemon *d, int64_t now_ms)
{
	struct batch		 b;
	struct lc_history	*h;
	size_t			 i, first_new = d->nruns;
	char			*cause = NULL;
	int			 recorded = 0;

	memset(&b, 0, sizeof b);
	if (now_ms < d->hist_retry_at)
		goto start;
	lc_sched_run_due(d->sched, now_ms, collect, &b);
	if (b.prune)
		lc_sched_set_prune(d->sched, now_ms + 86400LL * 1000);
	if (b.n == 0 && !b.prune)
		goto start;
	if ((h = daemon_history(d)) == NULL) {
		batch_unrecorded(d, &b, now_ms);
		goto done;
	}
	if (b.prune)
		prune(d, h);
	if (b.n > 0 && lc_history_begin(h, &cause) == 0) {
		for (i = 0; i < b.n; i++) {
			switch (b.ev[i].kind) {
			case LC_SCHED_MISSED:
				record_final(h, &b, b.ev[i].job, LC_RUN_MISSED,
				    LC_TRIGGER_SCHEDULE,
				    b.ev[i].scheduled_at * 1000, NULL, NULL, 1);
				break;
			case LC_SCHED_MISSED_MANY:
				record_missed_many(h, &b, &b.ev[i]);
				break;
			default:
				record_run(d, h, &b, &b.ev[i]);
				break;
			}
		}
		store_last_fires(d, h, &b);
		if (lc_history_commit(h, &cause) != 0) {
			lc_history_rollback(h);
			/* Nothing was recorded: nothing may start. */
			while (d->nruns > first_new)
				drun_remove(d, d->runs[d->nruns - 1]);
			while (b.nnotify > 0)
				free(b.notify[--b.nnotify]);
		} else {
			recorded = 1;
			for (i = 0; i < b.nunretry; i++)
				lc_sched_cancel_retry(d->sched, b.unretry[i]);
		}
	}
	if (cause != NULL) {
		log_error("history: %s", cause);
		free(cause);
	}
	if (b.n > 0 && !recorded)
		batch_unrecorded(d, &b, now_ms);
	else if (b.n > 0 && d->hist_backoff_ms != 0) {
		log_notice("the history takes writes again: %zu fires recorded",
		    b.n);
		d->hist_backoff_ms = 0;
	}
	daemon_history_done(d);
	notify_rows(d, b.notify, b.nnotify);
done:
	for (i = 0; i < b.n; i++)
		free((char *)b.ev[i].fire_id);
	free(b.ev);
	for (i = 0; i < b.nnotify; i++)
		free(b.notify[i]);
	free(b.notify);
	free(b.unretry);
start:
	runs_start_queued(d);
}

/* In the child: the supervisor for one run (chan: its record channel, or
 * -1), then _exit. */
static void __attribute__((noreturn))
supervise_child(struct lc_daemon *d, const struct lc_job *job,
    const struct drun *r, int chan)
{
	struct lc_supervise_opts	 o;
	struct lc_supervise_result	 res;
	sigset_t			 cancel;
	char				*cause = NULL;

	/* SIGTERM and SIGINT (a cancel) stay blocked until lc_supervise()
	 * handles them: one that comes this early must not kill us and
	 * leave the run lost instead of cancelled. */
	sigemptyset(&cancel);
	sigaddset(&cancel, SIGTERM);
	sigaddset(&cancel, SIGINT);
	sigprocmask(SIG_SETMASK, &cancel, NULL);
	signal(SIGPIPE, SIG_DFL);
	daemon_close_fds_in_child(chan);
	/* Our own session: a Ctrl-C meant for a foreground daemon, or its
	 * process group's end, never reaches the run. */
	setsid();
	memset(&o, 0, sizeof o);
	o.cfg = d->cfg;
	o.job = job;
	o.run_id = r->id;
	o.known = 1;
	o.fire_id = r->fire_id;
	o.attempt = r->attempt;
	o.scheduled_at = r->scheduled_at;
	o.log_start = 1;
	o.chan = chan > 0 ? chan : 0;
	if (lc_supervise(&o, &res, &cause) != 0) {
		log_error("job=%s run=%s: %s", job->name, r->id, cause);
		_exit(1);
	}
	_exit(0);
}

/* Ends a run the daemon never started (removed job, fork failure). */
static void
end_unstarted(struct lc_daemon *d, struct drun *r, enum lc_run_status st,
    const char *why)
{
	const struct lc_job	*job = lc_config_find_job(d->cfg, r->job);
	struct lc_history	*h;
	struct lc_run_end	 end;
	char			*id = r->id;
	int			 done;

	if ((h = daemon_history(d)) != NULL) {
		lc_history_end_init(&end, st);
		end.error = why;
		done = lc_history_run_finish(h, r->id, &end, NULL) == 0;
		daemon_history_done(d);
		if (done && job != NULL && lc_notify_channels(job, st) != 0)
			notify_rows(d, &id, 1);
	}
	log_info("job=%s run=%s status=%s error=\"%s\"", r->job, r->id,
	    lc_history_status_name(st), why);
	drun_remove(d, r);
}

void
runs_start_queued(struct lc_daemon *d)
{
	const struct lc_job	*job;
	struct drun		*r;
	size_t			 i, active = runs_active(d), started = 0;
	pid_t			 pid;
	int			 sv[2];

	for (i = 0; i < d->nruns; i++) {
		if (d->cfg->max_parallel > 0 &&
		    active >= (size_t)d->cfg->max_parallel)
			break;
		r = d->runs[i];
		if (r->pid != 0)
			continue;
		if ((job = lc_config_find_job(d->cfg, r->job)) == NULL) {
			end_unstarted(d, r, LC_RUN_CANCELLED,
			    "the job was removed from the configuration");
			i--;
			continue;
		}
		daemon_history_close(d);
		if (started == 0)
			lc_heap_settle();
		chan_open(d, r, sv);
		if ((pid = fork()) == -1) {
			log_error("job=%s: fork: %s", r->job, strerror(errno));
			if (sv[0] != -1) {
				close(sv[0]);
				close(sv[1]);
				d->nchans--;
			}
			end_unstarted(d, r, LC_RUN_LAUNCH_ERROR,
			    "the daemon could not fork a supervisor");
			i--;
			continue;
		}
		if (pid == 0)
			supervise_child(d, job, r, sv[1]);
		if (sv[1] != -1)
			close(sv[1]);
		r->chan = sv[0];
		r->pid = pid;
		active++;
		started++;
		/* The start line comes from the supervisor once the job has
		 * started: a skipped run has none, so a job whose lock stays
		 * busy cannot flood the log with start lines. */
		log_debug("job=%s run=%s: supervisor pid %ld", r->job, r->id,
		    (long)pid);
	}
	/* Their first units come soon: the history is opened while they
	 * start, not once they wait for it. */
	if (started > 0)
		daemon_history(d);
}

/* A failed or timed-out attempt earns another one, after a backoff. */
static void
schedule_retry(struct lc_daemon *d, struct lc_history *h,
    const struct lc_job *job, const struct lc_run *row)
{
	const struct lc_retries	*rt = &job->retries;
	struct lc_job_state	 st;
	char			 when[LC_TIME_BUFSZ], detail[128];
	double			 delay;
	int64_t			 due;

	if (row->attempt > rt->count)
		return;
	delay = (double)rt->delay * pow(rt->backoff > 0 ? rt->backoff : 1,
	    row->attempt - 1);
	if (rt->max_delay > 0 && delay > (double)rt->max_delay)
		delay = (double)rt->max_delay;
	due = lc_now_ms() + (int64_t)(delay * 1000);
	lc_sched_set_retry(d->sched, job->name, row->attempt + 1, due,
	    row->fire_id, row->scheduled_at / 1000);
	lc_history_state_init(&st);
	if (lc_history_state_get(h, job->name, &st, NULL) == 0) {
		st.retry_attempt = row->attempt + 1;
		st.retry_due_at = due;
		free(st.retry_fire_id);
		st.retry_fire_id = xstrdup(row->fire_id);
		st.retry_scheduled_at = row->scheduled_at;
		lc_history_state_put(h, &st, NULL);
	}
	lc_history_state_clear(&st);
	snprintf(detail, sizeof detail, "attempt %d at %s", row->attempt + 1,
	    lc_time_utc_ms(due, when));
	lc_history_event_add(h, row->id, LC_EVENT_RETRY_SCHEDULED,
	    LC_HISTORY_NONE, detail, NULL);
}

/* The end-of-run log line; "lock busy" ones are rate-limited per job. */
static void
log_end(struct lc_daemon *d, const struct lc_run *row)
{
	struct skiplog	*s = NULL;
	char		 dur[32], ex[16];
	int64_t		 now = lc_mono_ms();
	size_t		 i;

	if (row->status == LC_RUN_SKIPPED) {
		for (i = 0; i < d->nskips; i++)
			if (strcmp(d->skips[i].job, row->job) == 0)
				s = &d->skips[i];
		if (s == NULL) {
			d->skips = xreallocarray(d->skips, d->nskips + 1,
			    sizeof *d->skips);
			s = &d->skips[d->nskips++];
			s->job = xstrdup(row->job);
			s->last_ms = now - SKIP_LOG_EVERY_MS;
			s->suppressed = 0;
		}
		if (now - s->last_ms < SKIP_LOG_EVERY_MS) {
			s->suppressed++;
			return;
		}
	}
	if (row->exit_code >= 0)
		snprintf(ex, sizeof ex, "%d", row->exit_code);
	else if (row->signal > 0)
		snprintf(ex, sizeof ex, "sig%d", row->signal);
	else
		snprintf(ex, sizeof ex, "-");
	if (row->duration_ms != LC_HISTORY_NONE)
		lc_duration_format(row->duration_ms, dur, sizeof dur);
	else
		snprintf(dur, sizeof dur, "-");
	if (s != NULL && s->suppressed > 0)
		log_notice("job=%s run=%s status=%s exit=%s duration=%s "
		    "(%lld more skipped runs not logged)", row->job, row->id,
		    lc_history_status_name(row->status), ex, dur,
		    (long long)s->suppressed);
	else
		log_notice("job=%s run=%s status=%s exit=%s duration=%s",
		    row->job, row->id, lc_history_status_name(row->status), ex,
		    dur);
	if (s != NULL) {
		s->last_ms = now;
		s->suppressed = 0;
	}
}

/* A supervisor that is gone, and how (-1: a watched pidfd, no status). */
struct ended {
	struct drun	*run;
	int		 wstatus;
};

/* The job of a run the daemon saw fail or time out, which earns a retry
 * if the job is still there; else NULL. */
static const struct lc_job *
retry_job(const struct lc_daemon *d, const struct drun *r)
{
	if (r->seen.status != LC_RUN_FAILED &&
	    r->seen.status != LC_RUN_TIMED_OUT)
		return (NULL);
	return (lc_config_find_job(d->cfg, r->job));
}

/* A run whose end the daemon wrote itself: no need to read it back. */
static void
known_end(struct lc_daemon *d, struct lc_history *h, struct drun *r)
{
	const struct lc_job	*job;
	struct lc_run		 row;

	lc_history_run_init(&row);
	snprintf(row.id, sizeof row.id, "%s", r->id);
	row.job = r->job;
	row.fire_id = r->fire_id != NULL ? r->fire_id : r->id;
	row.attempt = r->attempt;
	row.scheduled_at = r->scheduled_at;
	row.status = r->seen.status;
	row.exit_code = r->seen.exit_code;
	row.signal = r->seen.signal;
	row.duration_ms = r->seen.duration_ms;
	if (row.duration_ms == LC_HISTORY_NONE && r->seen.running)
		row.duration_ms = r->seen.finished_at - r->seen.started_at;
	if (h != NULL && (job = retry_job(d, r)) != NULL)
		schedule_retry(d, h, job, &row);
	log_end(d, &row);
}

/*
 * A supervisor is gone: read its outcome, mark it lost if it left none.
 * Returns 1 when the run was marked lost and its job notifies of that.
 */
static int
run_ended(struct lc_daemon *d, struct lc_history *h, struct drun *r,
    int wstatus)
{
	const struct lc_job	*job = NULL;
	struct lc_run		 row;
	struct lc_run_end	 end;
	char			*cause = NULL, why[128];
	int			 lost = 0;

	if (r->seen.finished) {
		known_end(d, h, r);
		return (0);
	}
	lc_history_run_init(&row);
	if (h == NULL)
		goto out;
	if (lc_history_run_get(h, r->id, &row, NULL, NULL, &cause) != 0) {
		log_error("run=%s: %s", r->id, cause);
		free(cause);
		goto out;
	}
	if (row.status == LC_RUN_QUEUED || row.status == LC_RUN_RUNNING) {
		if (wstatus == -1)
			snprintf(why, sizeof why, "its supervisor (pid %ld) "
			    "died", (long)r->pid);
		else if (WIFSIGNALED(wstatus))
			snprintf(why, sizeof why, "its supervisor (pid %ld) "
			    "was killed by signal %d", (long)r->pid,
			    WTERMSIG(wstatus));
		else
			snprintf(why, sizeof why, "its supervisor (pid %ld) "
			    "exited with status %d before recording an end",
			    (long)r->pid, WEXITSTATUS(wstatus));
		lc_history_end_init(&end, LC_RUN_LOST);
		end.error = why;
		if (lc_history_run_finish(h, r->id, &end, &cause) != 0) {
			log_error("run=%s: %s", r->id, cause);
			free(cause);
		} else
			lost = 1;
		/* Its supervisor could not remove the secrets: we do. */
		secrets_remove(d, r->id);
		lc_history_run_clear(&row);
		lc_history_run_get(h, r->id, &row, NULL, NULL, NULL);
	}
	job = lc_config_find_job(d->cfg, r->job);
	if (job != NULL && (row.status == LC_RUN_FAILED ||
	    row.status == LC_RUN_TIMED_OUT))
		schedule_retry(d, h, job, &row);
	log_end(d, &row);
out:
	lc_history_run_clear(&row);
	return (lost && job != NULL &&
	    lc_notify_channels(job, LC_RUN_LOST) != 0);
}

/*
 * The ends of the supervisors gone since the last look, all read with one
 * open of the history (1,000 supervisors ending together cost the daemon
 * 1,000 opens), then forgotten; the lost ones notify afterwards, with the
 * history closed.
 */
static void
runs_ended(struct lc_daemon *d, struct ended *e, size_t n)
{
	struct lc_history	*h = NULL;
	char			**lost;
	size_t			  i, nlost = 0;
	int			  need = 0;

	if (n == 0)
		return;
	lost = xreallocarray(NULL, n, sizeof *lost);
	/* Most ends were written by the daemon itself: the history is
	 * opened only for a retry or an end to read back. */
	for (i = 0; i < n; i++)
		need |= !e[i].run->seen.finished ||
		    retry_job(d, e[i].run) != NULL;
	if (!need || (h = daemon_history(d)) != NULL) {
		for (i = 0; i < n; i++)
			if (run_ended(d, h, e[i].run, e[i].wstatus))
				lost[nlost++] = xstrdup(e[i].run->id);
	}
	notify_rows(d, lost, nlost);
	for (i = 0; i < n; i++)
		drun_remove(d, e[i].run);
	daemon_history_done(d);
	for (i = 0; i < nlost; i++)
		free(lost[i]);
	free(lost);
}

void
runs_reap(struct lc_daemon *d)
{
	struct ended	*e = NULL;
	size_t		 i, n = 0, cap = 0;
	pid_t		 pid;
	int		 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < d->nruns; i++) {
			if (d->runs[i]->pid != pid || d->runs[i]->pidfd != -1)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				e = xreallocarray(e, cap, sizeof *e);
			}
			e[n].run = d->runs[i];
			e[n++].wstatus = st;
			/* What it sent before it died is written first. */
			runs_chan_ready(d, d->runs[i]);
			break;
		}
	}
	runs_flush(d);
	runs_ended(d, e, n);
	free(e);
	runs_start_queued(d);
}

/* A supervisor's channel is readable: take the units it sent. */
void
runs_chan_ready(struct lc_daemon *d, struct drun *r)
{
	struct dunit	*u;
	int		 rc;

	while (r->chan != -1) {
		if (d->nunits == d->capunits) {
			d->capunits = d->capunits ? d->capunits * 2 : 16;
			d->units = xreallocarray(d->units, d->capunits,
			    sizeof *d->units);
			memset(&d->units[d->nunits], 0, (d->capunits -
			    d->nunits) * sizeof *d->units);
		}
		u = &d->units[d->nunits];
		if ((rc = lc_record_recv(r->chan, &u->pkt)) == 0)
			break;
		if (rc == -1) {
			/* It is gone (its end is read on reaping). */
			chan_close(d, r);
			break;
		}
		u->run = r;
		d->nunits++;
	}
}

/* Adds what a committed unit wrote to what the daemon knows of its run. */
static void
seen_merge(struct drun *r, const struct lc_record_seen *s)
{
	if (s->running) {
		r->seen.running = 1;
		r->seen.started_at = s->started_at;
	}
	r->seen.lock_acquired |= s->lock_acquired;
	if (s->finished) {
		r->seen.finished = 1;
		r->seen.status = s->status;
		r->seen.exit_code = s->exit_code;
		r->seen.signal = s->signal;
		r->seen.finished_at = s->finished_at;
		r->seen.duration_ms = s->duration_ms;
	}
}

/*
 * Writes the units the supervisors sent this turn, all in one transaction,
 * and answers each (lc_record_commit).
 */
void
runs_flush(struct lc_daemon *d)
{
	struct lc_history	*h;
	struct lc_record_in	*in;
	struct dunit		*u;
	char			*cause = NULL;
	size_t			 i;

	if (d->nunits == 0)
		return;
	in = xcalloc(d->nunits, sizeof *in);
	for (i = 0; i < d->nunits; i++) {
		u = &d->units[i];
		in[i].id = u->run->id;
		in[i].supervisor = u->run->pid;
		in[i].chan = u->run->chan;
		in[i].pkt = &u->pkt;
	}
	h = daemon_history(d);
	lc_record_commit(h, in, d->nunits, &cause);
	daemon_history_done(d);
	if (cause != NULL) {
		log_error("history: %s; the supervisors write their records",
		    cause);
		free(cause);
	}
	for (i = 0; i < d->nunits; i++) {
		u = &d->units[i];
		if (in[i].ok)
			seen_merge(u->run, &in[i].seen);
		u->run = NULL;
		/* A large output's buffer is not kept for the next turn. */
		if (u->pkt.cap > 65536) {
			lc_buf_free(&u->pkt);
			memset(&u->pkt, 0, sizeof u->pkt);
		}
	}
	d->nunits = 0;
	free(in);
	/* What a burst made the daemon keep goes back. */
	if (d->capunits > 64) {
		for (i = 0; i < d->capunits; i++)
			lc_buf_free(&d->units[i].pkt);
		free(d->units);
		d->units = NULL;
		d->capunits = 0;
	}
}

void
runs_pidfd_ready(struct lc_daemon *d, struct drun *r)
{
	struct ended	 e = { r, -1 };

	runs_ended(d, &e, 1);
	runs_start_queued(d);
}

/*
 * Watches the supervisors a previous daemon left running, so that
 * max_parallel, retries and lost-detection keep working across a restart.
 */
int
runs_adopt(struct lc_daemon *d, struct lc_history *h)
{
	struct lc_history_filter	 f;
	const struct lc_job		*job;
	struct lc_run			*rows = NULL;
	struct drun			*r;
	size_t				 i, n = 0;
	char				 host[256];
	int				 fd;

	if (gethostname(host, sizeof host) != 0)
		return (-1);
	host[sizeof host - 1] = '\0';
	lc_history_filter_init(&f);
	f.statuses = LC_RUN_MASK(LC_RUN_RUNNING);
	if (lc_history_list(h, &f, &rows, &n, NULL) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (rows[i].host == NULL || strcmp(rows[i].host, host) != 0 ||
		    rows[i].supervisor_pid <= 0)
			continue;
		fd = (int)syscall(SYS_pidfd_open, rows[i].supervisor_pid, 0);
		if (fd == -1)
			continue;
		/* The pid is the recorded supervisor only with its start. */
		if (lc_proc_start_time(rows[i].supervisor_pid) !=
		    rows[i].supervisor_start) {
			close(fd);
			continue;
		}
		job = lc_config_find_job(d->cfg, rows[i].job);
		r = xcalloc(1, sizeof *r);
		snprintf(r->id, sizeof r->id, "%s", rows[i].id);
		r->job = xstrdup(rows[i].job);
		r->pid = rows[i].supervisor_pid;
		r->pidfd = fd;
		r->chan = -1;
		r->overlap_wait = job != NULL &&
		    job->overlap == LC_OVERLAP_WAIT;
		d->runs = xreallocarray(d->runs, d->nruns + 1, sizeof *d->runs);
		d->runs[d->nruns++] = r;
		log_notice("job=%s run=%s: watching its running supervisor "
		    "(pid %ld) from before the restart", r->job, r->id,
		    (long)r->pid);
	}
	lc_history_runs_free(rows, n);
	return (0);
}

static int
is_reboot_job(const struct lc_job *job)
{
	size_t	 i;

	for (i = 0; i < job->nschedules; i++)
		if (lc_cronexpr_is_reboot(job->schedules[i]))
			return (1);
	return (0);
}

/* @reboot jobs run once per boot (by boot id), not once per daemon start. */
void
runs_reboot(struct lc_daemon *d, struct lc_history *h)
{
	struct lc_job_state	 st;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < d->cfg->njobs; i++) {
		const struct lc_job *job = &d->cfg->jobs[i];

		if (!job->enabled || !is_reboot_job(job))
			continue;
		lc_history_state_init(&st);
		if (lc_history_state_get(h, job->name, &st, &cause) != 0 ||
		    (st.reboot_boot_id != NULL &&
		    strcmp(st.reboot_boot_id, d->boot_id) == 0))
			goto next;
		free(st.reboot_boot_id);
		st.reboot_boot_id = xstrdup(d->boot_id);
		if (lc_history_begin(h, &cause) != 0)
			goto next;
		if (queue_run(d, h, job, LC_TRIGGER_REBOOT, lc_now_ms(), NULL,
		    1, &cause) == NULL ||
		    lc_history_state_put(h, &st, &cause) != 0 ||
		    lc_history_commit(h, &cause) != 0)
			lc_history_rollback(h);
next:
		if (cause != NULL) {
			log_error("job=%s: @reboot: %s", job->name, cause);
			free(cause);
			cause = NULL;
		}
		lc_history_state_clear(&st);
	}
}

/* lockcron run --no-wait: a manual run through the daemon. */
int
runs_manual(struct lc_daemon *d, const struct lc_job *job, char *id,
    char **cause)
{
	struct lc_history	*h;
	struct drun		*r;

	if ((h = lc_history_open(d->db_path, 0, d->cfg->history_group,
	    cause)) == NULL)
		return (-1);
	r = queue_run(d, h, job, LC_TRIGGER_MANUAL, lc_now_ms(), NULL, 1,
	    cause);
	lc_history_close(h);
	if (r == NULL)
		return (-1);
	snprintf(id, LC_UUID_BUFSZ, "%s", r->id);
	runs_start_queued(d);
	return (0);
}

/* Finds an active run by id prefix; NULL with *cause when not unique. */
static struct drun *
find_run(struct lc_daemon *d, const char *prefix, char **cause)
{
	struct drun	*found = NULL;
	size_t		 i, len = strlen(prefix);

	for (i = 0; i < d->nruns && len > 0; i++) {
		if (strncmp(d->runs[i]->id, prefix, len) != 0)
			continue;
		if (found != NULL) {
			lc_set_cause(cause, "run id prefix \"%s\" is "
			    "ambiguous", prefix);
			return (NULL);
		}
		found = d->runs[i];
	}
	if (found == NULL)
		lc_set_cause(cause, "no queued or running run \"%s\"", prefix);
	return (found);
}

/* May uid act on job? Root, the daemon's user, or the job's own user. */
static int
may_act(const struct lc_daemon *d, const char *jobname, uid_t uid)
{
	const struct lc_job	*job;
	struct passwd		*pw;

	if (uid == 0 || uid == geteuid())
		return (1);
	job = lc_config_find_job(d->cfg, jobname);
	if (job == NULL || job->user == NULL)
		return (0);
	return ((pw = getpwnam(job->user)) != NULL && pw->pw_uid == uid);
}

int
runs_cancel(struct lc_daemon *d, const char *prefix, uid_t uid, char **cause)
{
	struct drun	*r;

	if ((r = find_run(d, prefix, cause)) == NULL)
		return (-1);
	if (!may_act(d, r->job, uid)) {
		lc_set_cause(cause, "permission denied for job %s", r->job);
		return (-1);
	}
	if (r->pid == 0) {
		end_unstarted(d, r, LC_RUN_CANCELLED,
		    "cancelled before it started");
		return (0);
	}
	/* The supervisor ends the job's process group and records it. */
	if (kill(r->pid, SIGTERM) != 0) {
		lc_set_cause(cause, "cannot signal the supervisor: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

int
runs_set_paused(struct lc_daemon *d, const char *job, int on, char **cause)
{
	struct lc_history	*h;
	struct lc_job_state	 st;
	size_t			 i;
	int			 rc = -1;

	if ((h = lc_history_open(d->db_path, 0, d->cfg->history_group,
	    cause)) == NULL)
		return (-1);
	lc_history_state_init(&st);
	if (lc_history_state_get(h, job, &st, cause) != 0)
		goto out;
	st.paused = on;
	if (lc_history_state_put(h, &st, cause) != 0)
		goto out;
	for (i = 0; i < d->npaused; i++) {
		if (strcmp(d->paused[i], job) == 0) {
			free(d->paused[i]);
			d->paused[i] = d->paused[--d->npaused];
			break;
		}
	}
	if (on) {
		d->paused = xreallocarray(d->paused, d->npaused + 1,
		    sizeof *d->paused);
		d->paused[d->npaused++] = xstrdup(job);
	}
	rc = 0;
out:
	lc_history_state_clear(&st);
	lc_history_close(h);
	return (rc);
}

/* The ids of this host's queued and running rows, before reconciliation
 * judges them (NULL when there are none). */
char **
runs_unfinished(struct lc_history *h, size_t *n)
{
	struct lc_history_filter	 f;
	struct lc_run			*rows = NULL;
	char				**ids = NULL;
	size_t				 i, nrows = 0;

	*n = 0;
	lc_history_filter_init(&f);
	f.statuses = LC_RUN_MASK(LC_RUN_QUEUED) | LC_RUN_MASK(LC_RUN_RUNNING);
	if (lc_history_list(h, &f, &rows, &nrows, NULL) != 0 || nrows == 0)
		return (NULL);
	ids = xcalloc(nrows, sizeof *ids);
	for (i = 0; i < nrows; i++)
		ids[(*n)++] = xstrdup(rows[i].id);
	lc_history_runs_free(rows, nrows);
	return (ids);
}

/*
 * After reconciliation at start: the runs of the earlier daemon it marked
 * lost notify like any lost run. Frees ids; call with no handle open.
 */
void
runs_notify_lost(struct lc_daemon *d, char **ids, size_t n)
{
	struct lc_history	*h;
	const struct lc_job	*job;
	struct lc_run		 row;
	char			**lost;
	size_t			 i, nlost = 0;

	if (n == 0 || (h = daemon_history(d)) == NULL)
		goto out;
	lost = xcalloc(n, sizeof *lost);
	for (i = 0; i < n; i++) {
		lc_history_run_init(&row);
		if (lc_history_run_get(h, ids[i], &row, NULL, NULL, NULL) == 0 &&
		    row.status == LC_RUN_LOST &&
		    (job = lc_config_find_job(d->cfg, row.job)) != NULL &&
		    lc_notify_channels(job, LC_RUN_LOST) != 0)
			lost[nlost++] = ids[i];
		lc_history_run_clear(&row);
	}
	daemon_history_done(d);
	notify_rows(d, lost, nlost);
	free(lost);
out:
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
