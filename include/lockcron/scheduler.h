/*
 * The scheduler: when each job fires next, which fires are due at a given
 * instant, which were missed (downtime, suspend, a forward clock step), and
 * when pending retries are due. Pure code: "now" is always an argument, so
 * tests move the clock by hand; the daemon turns its events into runs.
 */
#ifndef LOCKCRON_SCHEDULER_H
#define LOCKCRON_SCHEDULER_H

#include <stdint.h>

#include "lockcron/config.h"

/* "Never handled a fire": the job starts from now, nothing is missed. */
#define LC_SCHED_NEVER		INT64_MIN
/* A fire whose instant is this far behind when it is handled (after a
 * suspend or a forward clock step) is recorded missed, not run late. */
#define LC_SCHED_GRACE_MS	10000
/* Missed fires recorded one by one; later ones go into one summary. */
#define LC_SCHED_MISSED_ROWS	100

struct lc_sched;

enum lc_sched_kind {
	LC_SCHED_RUN,		/* run this fire now (trigger "schedule") */
	LC_SCHED_CATCH_UP,	/* run for the latest missed fire */
	LC_SCHED_MISSED,	/* record one missed fire */
	LC_SCHED_MISSED_MANY,	/* record `count` missed fires, first..last */
	LC_SCHED_RETRY,		/* a pending retry is due */
	LC_SCHED_PRUNE		/* time for the daily history pruning */
};

struct lc_sched_event {
	enum lc_sched_kind	 kind;
	const struct lc_job	*job;
	int64_t			 scheduled_at;	/* seconds: the fire instant */
	int64_t			 count;		/* MISSED_MANY */
	int64_t			 first, last;	/* MISSED_MANY */
	int			 count_capped;	/* count is a lower bound */
	int			 attempt;	/* RETRY */
	const char		*fire_id;	/* RETRY */
};

typedef void lc_sched_cb(const struct lc_sched_event *, void *);

struct lc_sched	*lc_sched_new(void);
void		 lc_sched_free(struct lc_sched *);
/*
 * Adds a job. last is the last fire instant (seconds) already handled, or
 * LC_SCHED_NEVER to start from now_ms. Disabled jobs and @reboot-only jobs
 * are accepted and never fire.
 */
void		 lc_sched_add(struct lc_sched *, const struct lc_job *,
		     int64_t last, int64_t now_ms);
/* The last fire handled for a job by name, or LC_SCHED_NEVER. */
int64_t		 lc_sched_last(const struct lc_sched *, const char *job);
/*
 * Hands a job's fires from the instant from (seconds) on out again, as if
 * they had not been handled: the daemon could not record them. Those then
 * due run, those further behind than the grace are missed, as always.
 */
void		 lc_sched_rewind(struct lc_sched *, const char *job,
		     int64_t from);
/* The next fire instant (seconds) of a job, or -1 when none. */
int64_t		 lc_sched_next_fire(const struct lc_sched *, const char *job);
/* A stable per-job delay in [0, job->jitter] seconds. */
int64_t		 lc_sched_jitter(const struct lc_job *);
/* Two jobs fire identically (schedules, zone, jitter, enabled). */
int		 lc_sched_same_timing(const struct lc_job *,
		     const struct lc_job *);

/* Schedules (or replaces) a job's pending retry. */
void		 lc_sched_set_retry(struct lc_sched *, const char *job,
		     int attempt, int64_t due_ms, const char *fire_id,
		     int64_t scheduled_at);
/* Drops a job's pending retry; returns 1 when there was one. */
int		 lc_sched_cancel_retry(struct lc_sched *, const char *job);
int		 lc_sched_has_retry(const struct lc_sched *, const char *job);

/* Copies a job's pending retry from another scheduler (a reload). */
void		 lc_sched_copy_retry(struct lc_sched *, const struct lc_sched *,
		     const char *job);
/* Arms the one housekeeping timer (history pruning); INT64_MAX disarms. */
void		 lc_sched_set_prune(struct lc_sched *, int64_t due_ms);
/* When the housekeeping timer is due (ms), or INT64_MAX when disarmed. */
int64_t		 lc_sched_prune_due(const struct lc_sched *);

/* The earliest instant (ms) anything is due, or INT64_MAX. */
int64_t		 lc_sched_wakeup(const struct lc_sched *);
/*
 * Hands every event due at now_ms to cb, in time order, and advances each
 * job past what it handled. Returns the number of events.
 */
size_t		 lc_sched_run_due(struct lc_sched *, int64_t now_ms,
		     lc_sched_cb *, void *arg);

#endif
