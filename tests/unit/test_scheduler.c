/*
 * Unit tests for the scheduler, with the clock moved by hand: on-time
 * fires, missed fires after downtime and clock steps, catch-up, retries,
 * jitter, reloads in the same second as a fire.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lockcron/scheduler.h"

#define MAXEV	4096
#define T0	1795485600LL	/* 2026-11-24T02:00:00Z, a minute boundary */

struct log {
	struct lc_sched_event	 ev[MAXEV];
	size_t			 n;
};

static struct lc_tz	*utc;

static void
record(const struct lc_sched_event *ev, void *arg)
{
	struct log	*l = arg;

	assert_true(l->n < MAXEV);
	l->ev[l->n++] = *ev;
}

/* A job with one or more schedules, built by hand (no config file). */
static struct lc_job *
job_new(const char *name, const char *s1, const char *s2)
{
	struct lc_job	*j = calloc(1, sizeof *j);

	j->name = strdup(name);
	j->schedules = calloc(2, sizeof *j->schedules);
	j->schedules[j->nschedules++] = lc_cronexpr_parse(s1, NULL);
	assert_non_null(j->schedules[0]);
	if (s2 != NULL) {
		j->schedules[j->nschedules++] = lc_cronexpr_parse(s2, NULL);
		assert_non_null(j->schedules[1]);
	}
	j->tz = utc;
	j->enabled = 1;
	return (j);
}

static void
job_free(struct lc_job *j)
{
	size_t	 i;

	for (i = 0; i < j->nschedules; i++)
		lc_cronexpr_free(j->schedules[i]);
	free(j->schedules);
	free(j->name);
	free(j);
}

static size_t
count_kind(const struct log *l, enum lc_sched_kind k)
{
	size_t	 i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->ev[i].kind == k;
	return (n);
}

static int
setup(void **state)
{
	utc = lc_tz_load("UTC", NULL);
	return (utc == NULL);
}

static int
teardown(void **state)
{
	lc_tz_free(utc);
	return (0);
}

/* A per-second job fires once per second, each fire exactly once. */
static void
test_each_second_once(void **state)
{
	struct lc_job	*j = job_new("sec", "* * * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	int64_t		 t;

	lc_sched_add(s, j, LC_SCHED_NEVER, T0 * 1000 + 300);
	/* the current second counts as due, once */
	assert_int_equal(lc_sched_wakeup(s), T0 * 1000);
	for (t = T0 * 1000 + 300; t < (T0 + 10) * 1000; t += 250)
		lc_sched_run_due(s, t, record, &l);
	assert_int_equal(l.n, 10);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.ev[i].kind, LC_SCHED_RUN);
		assert_int_equal(l.ev[i].scheduled_at, T0 + (int64_t)i);
	}
	assert_int_equal(lc_sched_wakeup(s), (T0 + 10) * 1000);
	lc_sched_free(s);
	job_free(j);
}

/* A brand-new job starts from now: nothing missed, nothing caught up. */
static void
test_new_job_nothing_missed(void **state)
{
	struct lc_job	*j = job_new("min", "* * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	j->catch_up = LC_CATCH_UP_ONCE;
	lc_sched_add(s, j, LC_SCHED_NEVER, (T0 + 30) * 1000);
	lc_sched_run_due(s, (T0 + 30) * 1000, record, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 60) * 1000);
	lc_sched_free(s);
	job_free(j);
}

/* Downtime: fires in between are missed, one row each up to 100. */
static void
test_missed_after_downtime(void **state)
{
	struct lc_job	*j = job_new("min", "* * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	/* last handled T0; the daemon comes back at T0 + 10m30s */
	lc_sched_add(s, j, T0, (T0 + 630) * 1000);
	lc_sched_run_due(s, (T0 + 630) * 1000, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED), 10);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 0);
	assert_int_equal(count_kind(&l, LC_SCHED_CATCH_UP), 0);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 60);
	assert_int_equal(l.ev[9].scheduled_at, T0 + 600);
	/* and the job goes on: never stopped by missed fires */
	assert_int_equal(lc_sched_wakeup(s), (T0 + 660) * 1000);
	assert_int_equal(lc_sched_last(s, "min"), T0 + 600);
	lc_sched_free(s);
	job_free(j);
}

/* Over 100 missed fires: 100 rows, then one summary with count and range. */
static void
test_missed_many_and_catch_up(void **state)
{
	struct lc_job	*j = job_new("half", "*/30 * * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	size_t		 i;

	j->catch_up = LC_CATCH_UP_ONCE;
	/* back an hour later, 15 s after the last fire: beyond the grace */
	lc_sched_add(s, j, T0, (T0 + 3615) * 1000);
	lc_sched_run_due(s, (T0 + 3615) * 1000, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED), 100);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED_MANY), 1);
	assert_int_equal(count_kind(&l, LC_SCHED_CATCH_UP), 1);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 0);
	for (i = 0; i < l.n; i++) {
		if (l.ev[i].kind == LC_SCHED_MISSED_MANY) {
			/* 120 fires T0+30 .. T0+3600: 100 rows, 20 summed */
			assert_int_equal(l.ev[i].first, T0 + 3030);
			assert_int_equal(l.ev[i].last, T0 + 3600);
			assert_int_equal(l.ev[i].count, 20);
		}
		if (l.ev[i].kind == LC_SCHED_CATCH_UP)
			assert_int_equal(l.ev[i].scheduled_at, T0 + 3600);
	}
	/* the catch-up comes last, and the job goes on */
	assert_int_equal(l.ev[l.n - 1].kind, LC_SCHED_CATCH_UP);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 3630) * 1000);
	lc_sched_free(s);
	job_free(j);
}

/*
 * An outage longer than one round can count (10,000,000 fires: 116 days of
 * a per-second job): the rest is counted on the next round, no catch-up
 * runs in between (the fires within the grace run instead), and the job
 * goes on firing.
 */
static void
test_missed_beyond_cap(void **state)
{
	struct lc_job	*j = job_new("sec", "* * * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	int64_t		 now = (T0 + 12000000) * 1000 + 500, total = 0;
	size_t		 i, rounds = 0, catch_up = 0;

	(void)state;
	j->catch_up = LC_CATCH_UP_ONCE;
	lc_sched_add(s, j, T0, T0 * 1000);
	while (lc_sched_wakeup(s) <= now && rounds < 10) {
		l.n = 0;
		lc_sched_run_due(s, now, record, &l);
		rounds++;
		for (i = 0; i < l.n; i++) {
			if (l.ev[i].kind == LC_SCHED_MISSED)
				total++;
			else if (l.ev[i].kind == LC_SCHED_MISSED_MANY)
				total += l.ev[i].count;
			else if (l.ev[i].kind == LC_SCHED_CATCH_UP)
				catch_up++;
		}
	}
	assert_int_equal(rounds, 1);	/* run_due goes on until done */
	/* T0+1 .. T0+11999990 missed (further than 10 s behind), the last
	 * ten within the grace run. */
	assert_int_equal(total, 12000000 - 10);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 10);
	assert_int_equal(catch_up, 0);
	/* And it goes on, every second. */
	l.n = 0;
	assert_int_equal(lc_sched_run_due(s, now + 1000, record, &l), 1);
	assert_int_equal(l.ev[0].kind, LC_SCHED_RUN);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 12000001);
	lc_sched_free(s);
	job_free(j);
}

/* A late wake-up within the grace still runs the fire. */
static void
test_late_within_grace_runs(void **state)
{
	struct lc_job	*j = job_new("min", "* * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	lc_sched_add(s, j, T0, T0 * 1000);
	lc_sched_run_due(s, (T0 + 60) * 1000 + 3000, record, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].kind, LC_SCHED_RUN);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 60);
	lc_sched_free(s);
	job_free(j);
}

/* A backward clock step never fires an instant twice. */
static void
test_backward_step_no_repeat(void **state)
{
	struct lc_job	*j = job_new("min", "* * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	lc_sched_add(s, j, T0, T0 * 1000);
	lc_sched_run_due(s, (T0 + 60) * 1000, record, &l);
	assert_int_equal(l.n, 1);
	/* the clock steps back an hour: nothing is due again */
	lc_sched_run_due(s, (T0 - 3600) * 1000, record, &l);
	lc_sched_run_due(s, (T0 + 60) * 1000, record, &l);
	assert_int_equal(l.n, 1);
	lc_sched_run_due(s, (T0 + 120) * 1000, record, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ev[1].scheduled_at, T0 + 120);
	lc_sched_free(s);
	job_free(j);
}

/* A forward step: skipped fires are missed, the current one runs. */
static void
test_forward_step(void **state)
{
	struct lc_job	*j = job_new("min", "*/10 * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	lc_sched_add(s, j, T0, T0 * 1000);
	lc_sched_run_due(s, (T0 + 3600) * 1000 + 5, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED), 5);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 1);
	assert_int_equal(l.ev[l.n - 1].scheduled_at, T0 + 3600);
	lc_sched_free(s);
	job_free(j);
}

/* Jitter delays the launch by a stable amount; the fire instant stays. */
static void
test_jitter(void **state)
{
	struct lc_job	*j = job_new("etl-nightly", "0 3 * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	int64_t		 jit;

	j->jitter = 600;
	jit = lc_sched_jitter(j);
	assert_true(jit >= 0 && jit <= 600);
	assert_int_equal(jit, lc_sched_jitter(j));
	lc_sched_add(s, j, T0, T0 * 1000);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 3600 + jit) * 1000);
	lc_sched_run_due(s, (T0 + 3600 + jit) * 1000 - 1, record, &l);
	assert_int_equal(l.n, 0);
	lc_sched_run_due(s, (T0 + 3600 + jit) * 1000, record, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 3600);
	lc_sched_free(s);
	job_free(j);
}

/* Several schedules merge; an instant both name fires once. */
static void
test_two_schedules(void **state)
{
	struct lc_job	*j = job_new("two", "0 * * * *", "*/20 * * * *");
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	int64_t		 t;

	lc_sched_add(s, j, T0, T0 * 1000);
	for (t = T0 + 1; t <= T0 + 7200; t++)
		lc_sched_run_due(s, t * 1000, record, &l);
	assert_int_equal(l.n, 6);	/* :20 :40 :00 :20 :40 :00 */
	lc_sched_free(s);
	job_free(j);
}

/* Retries are due at their time and can be cancelled. */
static void
test_retry(void **state)
{
	struct lc_job	*j = job_new("r", "0 3 * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };

	lc_sched_add(s, j, T0, T0 * 1000);
	lc_sched_set_retry(s, "r", 2, (T0 + 30) * 1000, "fire-1", T0);
	assert_true(lc_sched_has_retry(s, "r"));
	assert_int_equal(lc_sched_wakeup(s), (T0 + 30) * 1000);
	lc_sched_run_due(s, (T0 + 30) * 1000, record, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].kind, LC_SCHED_RETRY);
	assert_int_equal(l.ev[0].attempt, 2);
	assert_string_equal(l.ev[0].fire_id, "fire-1");
	assert_int_equal(l.ev[0].scheduled_at, T0);
	assert_false(lc_sched_has_retry(s, "r"));
	lc_sched_set_retry(s, "r", 3, (T0 + 90) * 1000, "fire-1", T0);
	assert_int_equal(lc_sched_cancel_retry(s, "r"), 1);
	assert_int_equal(lc_sched_cancel_retry(s, "r"), 0);
	lc_sched_run_due(s, (T0 + 120) * 1000, record, &l);
	assert_int_equal(l.n, 1);
	lc_sched_free(s);
	job_free(j);
}

/* A reload in the same second as a fire neither skips nor repeats it. */
static void
test_reload_same_second(void **state)
{
	struct lc_job	*j = job_new("sec", "* * * * * *", NULL);
	struct lc_job	*j2 = job_new("sec", "* * * * * *", NULL);
	struct lc_sched	*a = lc_sched_new(), *b;
	struct log	 l = { .n = 0 };

	lc_sched_add(a, j, T0, T0 * 1000);
	lc_sched_run_due(a, (T0 + 1) * 1000, record, &l);	/* fires T0+1 */
	/* reload at T0+2.000, before the fire of T0+2 was handled */
	b = lc_sched_new();
	lc_sched_add(b, j2, lc_sched_last(a, "sec"), (T0 + 2) * 1000);
	lc_sched_free(a);
	lc_sched_run_due(b, (T0 + 2) * 1000 + 10, record, &l);
	/* reload again right after it was handled, same second */
	a = lc_sched_new();
	lc_sched_add(a, j, lc_sched_last(b, "sec"), (T0 + 2) * 1000 + 20);
	lc_sched_run_due(a, (T0 + 2) * 1000 + 30, record, &l);
	lc_sched_run_due(a, (T0 + 3) * 1000, record, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 1);
	assert_int_equal(l.ev[1].scheduled_at, T0 + 2);
	assert_int_equal(l.ev[2].scheduled_at, T0 + 3);
	assert_true(lc_sched_same_timing(j, j2));
	lc_sched_free(a);
	lc_sched_free(b);
	job_free(j);
	job_free(j2);
}

/* Disabled and @reboot jobs never wake the scheduler. */
static void
test_disabled_and_reboot(void **state)
{
	struct lc_job	*j = job_new("off", "* * * * * *", NULL);
	struct lc_job	*r = job_new("boot", "@reboot", NULL);
	struct lc_sched	*s = lc_sched_new();

	j->enabled = 0;
	lc_sched_add(s, j, LC_SCHED_NEVER, T0 * 1000);
	lc_sched_add(s, r, LC_SCHED_NEVER, T0 * 1000);
	assert_int_equal(lc_sched_wakeup(s), INT64_MAX);
	assert_int_equal(lc_sched_next_fire(s, "off"), -1);
	lc_sched_free(s);
	job_free(j);
	job_free(r);
}

/* Many jobs: the wake-up is the earliest, and each fires on its own. */
static void
test_many_jobs_heap(void **state)
{
	struct lc_job	*jobs[1000];
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	char		 name[32], expr[32];
	int		 i;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "job%d", i);
		snprintf(expr, sizeof expr, "%d %d * * * *", i % 60,
		    (i / 60) % 60);
		jobs[i] = job_new(name, expr, NULL);
		lc_sched_add(s, jobs[i], T0, T0 * 1000);
	}
	assert_int_equal(lc_sched_wakeup(s), (T0 + 1) * 1000);
	for (i = 1; i <= 999; i++)
		lc_sched_run_due(s, (T0 + i) * 1000, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 999);
	for (i = 0; i < 999; i++)
		assert_int_equal(l.ev[i].scheduled_at, T0 + i + 1);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 3600) * 1000);
	for (i = 0; i < 1000; i++)
		job_free(jobs[i]);
	lc_sched_free(s);
}

/*
 * A wake-up late by more than a job's period (a loaded machine): every
 * fire within the grace runs, in order; only those beyond it are missed.
 */
static void
test_several_late_within_grace(void **state)
{
	struct lc_job	*j = job_new("sec", "* * * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	size_t		 i;

	(void)state;
	lc_sched_add(s, j, T0, T0 * 1000);
	assert_int_equal(lc_sched_run_due(s, (T0 + 3) * 1000 + 500, record,
	    &l), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(l.ev[i].kind, LC_SCHED_RUN);
		assert_int_equal(l.ev[i].scheduled_at, T0 + 1 + (int64_t)i);
	}
	assert_int_equal(lc_sched_last(s, "sec"), T0 + 3);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 4) * 1000);
	/* At T0+18.5 s, T0+4..T0+8 are beyond the grace, T0+9..T0+18 not. */
	l.n = 0;
	lc_sched_run_due(s, (T0 + 18) * 1000 + 500, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED), 5);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 10);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 4);
	assert_int_equal(l.ev[4].scheduled_at, T0 + 8);
	assert_int_equal(l.ev[5].kind, LC_SCHED_RUN);
	assert_int_equal(l.ev[5].scheduled_at, T0 + 9);
	assert_int_equal(l.ev[14].scheduled_at, T0 + 18);
	assert_int_equal(count_kind(&l, LC_SCHED_CATCH_UP), 0);
	lc_sched_free(s);
	job_free(j);
}

/*
 * Fires the daemon could not record are handed out again: at once those
 * still within the grace, as missed those that fell behind it meanwhile;
 * a rewind to a later instant than the last handled changes nothing.
 */
static void
test_rewind(void **state)
{
	struct lc_job	*j = job_new("sec", "* * * * * *", NULL);
	struct lc_job	*m = job_new("min", "* * * * *", NULL);
	struct lc_sched	*s = lc_sched_new();
	struct log	 l = { .n = 0 };
	size_t		 i;

	(void)state;
	lc_sched_add(s, j, T0, T0 * 1000);
	lc_sched_add(s, m, T0 - 60, T0 * 1000);
	/* T0+1..T0+3 and the minute job's T0 are handed out, then not
	 * recorded: rewound. */
	assert_int_equal(lc_sched_run_due(s, (T0 + 3) * 1000 + 500, record,
	    &l), 4);
	lc_sched_rewind(s, "sec", T0 + 1);
	lc_sched_rewind(s, "min", T0);
	lc_sched_rewind(s, "nosuch", T0);
	assert_int_equal(lc_sched_last(s, "sec"), T0);
	assert_int_equal(lc_sched_wakeup(s), T0 * 1000);
	/* Two seconds later: the same fires again, and the new ones. */
	l.n = 0;
	assert_int_equal(lc_sched_run_due(s, (T0 + 5) * 1000 + 500, record,
	    &l), 6);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 6);
	assert_int_equal(l.ev[0].scheduled_at, T0);	/* min */
	for (i = 1; i < 6; i++)
		assert_int_equal(l.ev[i].scheduled_at, T0 + (int64_t)i);
	/* Rewound again and handed out 12 s later: T0+1 and T0+2 are now
	 * beyond the grace, missed; the rest run; nothing twice. */
	lc_sched_rewind(s, "sec", T0 + 1);
	l.n = 0;
	lc_sched_run_due(s, (T0 + 12) * 1000 + 500, record, &l);
	assert_int_equal(count_kind(&l, LC_SCHED_MISSED), 2);
	assert_int_equal(count_kind(&l, LC_SCHED_RUN), 10);
	assert_int_equal(l.ev[0].scheduled_at, T0 + 1);
	assert_int_equal(l.ev[2].scheduled_at, T0 + 3);
	/* A rewind past what was handled is nothing. */
	lc_sched_rewind(s, "sec", T0 + 100);
	assert_int_equal(lc_sched_last(s, "sec"), T0 + 12);
	lc_sched_free(s);
	job_free(j);
	job_free(m);
}

/* The housekeeping timer: due once, then disarmed until set again. */
static void
test_prune_timer(void **state)
{
	struct lc_sched	*s = lc_sched_new();
	struct log	 l;

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(lc_sched_prune_due(s), INT64_MAX);
	lc_sched_set_prune(s, (T0 + 60) * 1000);
	assert_int_equal(lc_sched_prune_due(s), (T0 + 60) * 1000);
	assert_int_equal(lc_sched_wakeup(s), (T0 + 60) * 1000);
	assert_int_equal(lc_sched_run_due(s, (T0 + 59) * 1000, record, &l), 0);
	assert_int_equal(lc_sched_run_due(s, (T0 + 61) * 1000, record, &l), 1);
	assert_int_equal(l.ev[0].kind, LC_SCHED_PRUNE);
	assert_int_equal(lc_sched_prune_due(s), INT64_MAX);
	assert_int_equal(lc_sched_wakeup(s), INT64_MAX);
	lc_sched_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_second_once),
		cmocka_unit_test(test_new_job_nothing_missed),
		cmocka_unit_test(test_missed_after_downtime),
		cmocka_unit_test(test_missed_many_and_catch_up),
		cmocka_unit_test(test_late_within_grace_runs),
		cmocka_unit_test(test_backward_step_no_repeat),
		cmocka_unit_test(test_forward_step),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_two_schedules),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_reload_same_second),
		cmocka_unit_test(test_disabled_and_reboot),
		cmocka_unit_test(test_many_jobs_heap),
		cmocka_unit_test(test_prune_timer),
		cmocka_unit_test(test_several_late_within_grace),
		cmocka_unit_test(test_rewind),
		cmocka_unit_test(test_missed_beyond_cap),
	};

	return (cmocka_run_group_tests_name("scheduler", tests, setup,
	    teardown));
}
