/*
 * The scheduler. Each job has a fire timer (its next fire instant plus its
 * jitter) and maybe a retry timer, both in one binary min-heap, so finding
 * what is due costs O(log n) and an idle daemon computes nothing.
 *
 * Every fire instant is handled exactly once: `last` is the latest instant
 * handled and the next fire is always computed strictly after it, so a
 * backward clock step cannot repeat a fire and a forward one turns the
 * fires it jumped over into "missed" records instead of losing them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/scheduler.h"
#include "lockcron/util.h"

/* Counting the missed fires of a long outage stops here. */
#define MISSED_COUNT_CAP	10000000

/*
 * Jobs are stored in blocks of this many, allocated as one: a daemon of
 * 100,000 jobs keeps 64 bytes each (a retry's state only for jobs that
 * have had one), where a malloc per job and the retry state inline took
 * 160, and the pointers to them 8 more.
 */
#define SJOB_BLOCK	1024

struct sjob;

struct timer {
	int64_t		 due;	/* ms; INT64_MAX when not armed */
	struct sjob	*owner;
	uint32_t	 idx;	/* position in the heap, or NOT_IN_HEAP */
	uint32_t	 is_retry;
};
#define NOT_IN_HEAP	UINT32_MAX

/* A job's pending retry: allocated the first time it has one, kept after
 * (a retry event points into it while it is handed out). */
struct sretry {
	struct timer	 timer;
	int		 attempt;
	char		 fire_id[40];
	int64_t		 scheduled_at;
};

struct sjob {
	const struct lc_job	*job;
	int64_t			 jitter;	/* seconds */
	int64_t			 last;		/* last fire handled */
	int64_t			 next;		/* next fire, or -1 */
	struct timer		 fire;
	struct sretry		*retry;		/* NULL: never had one */
};

struct lc_sched {
	struct sjob	**blocks;	/* of SJOB_BLOCK jobs each */
	size_t		  njobs;
	struct sjob	**table;	/* open addressing by name */
	size_t		  tablesz;
	struct timer	**heap;
	size_t		  nheap, capheap;
	struct timer	  prune;	/* owner NULL */
};

/* The i-th job added. */
static struct sjob *
job_at(const struct lc_sched *s, size_t i)
{
	return (&s->blocks[i / SJOB_BLOCK][i % SJOB_BLOCK]);
}

/* True when a job has a retry armed. */
static int
retry_armed(const struct sjob *sj)
{
	return (sj->retry != NULL && sj->retry->timer.due != INT64_MAX);
}

/* --- the heap of timers -------------------------------------------------- */

static void
heap_swap(struct lc_sched *s, size_t a, size_t b)
{
	struct timer	*t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->idx = (uint32_t)a;
	s->heap[b]->idx = (uint32_t)b;
}

static void
heap_up(struct lc_sched *s, size_t i)
{
	while (i > 0 && s->heap[(i - 1) / 2]->due > s->heap[i]->due) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct lc_sched *s, size_t i)
{
	size_t	 l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < s->nheap && s->heap[l]->due < s->heap[m]->due)
			m = l;
		if (r < s->nheap && s->heap[r]->due < s->heap[m]->due)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void
heap_remove(struct lc_sched *s, struct timer *t)
{
	size_t	 i = t->idx;

	if (t->idx == NOT_IN_HEAP)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->idx = (uint32_t)i;
		heap_down(s, i);
		heap_up(s, i);
	}
	t->idx = NOT_IN_HEAP;
}

/* Arms (or re-arms) a timer; INT64_MAX disarms it. */
static void
timer_set(struct lc_sched *s, struct timer *t, int64_t due)
{
	heap_remove(s, t);
	t->due = due;
	if (due == INT64_MAX)
		return;
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof *s->heap);
	}
	t->idx = (uint32_t)s->nheap;
	s->heap[s->nheap++] = t;
	heap_up(s, t->idx);
}

/* --- jobs by name ---------------------------------------------------------- */

static uint64_t
hash_name(const char *p)
{
	uint64_t	 h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return (h);
}

static void
table_insert(struct lc_sched *s, struct sjob *sj)
{
	size_t	 i, mask = s->tablesz - 1;

	for (i = hash_name(sj->job->name) & mask; s->table[i] != NULL;
	    i = (i + 1) & mask) {
		if (strcmp(s->table[i]->job->name, sj->job->name) == 0) {
			s->table[i] = sj;
			return;
		}
	}
	s->table[i] = sj;
}

static void
table_grow(struct lc_sched *s)
{
	size_t	 i;

	s->tablesz = s->tablesz ? s->tablesz * 2 : 64;
	free(s->table);
	s->table = xcalloc(s->tablesz, sizeof *s->table);
	for (i = 0; i < s->njobs; i++)
		table_insert(s, job_at(s, i));
}

static struct sjob *
find(const struct lc_sched *s, const char *name)
{
	size_t	 i, mask;

	if (s->tablesz == 0)
		return (NULL);
	mask = s->tablesz - 1;
	for (i = hash_name(name) & mask; s->table[i] != NULL;
	    i = (i + 1) & mask)
		if (strcmp(s->table[i]->job->name, name) == 0)
			return (s->table[i]);
	return (NULL);
}

/* --- schedules ----------------------------------------------------------- */

int64_t
lc_sched_jitter(const struct lc_job *job)
{
	if (job->jitter <= 0)
		return (0);
	return ((int64_t)(hash_name(job->name) % (uint64_t)(job->jitter + 1)));
}

int
lc_sched_same_timing(const struct lc_job *a, const struct lc_job *b)
{
	size_t	 i;

	if (a->nschedules != b->nschedules || a->jitter != b->jitter ||
	    a->enabled != b->enabled ||
	    strcmp(lc_tz_name(a->tz), lc_tz_name(b->tz)) != 0)
		return (0);
	for (i = 0; i < a->nschedules; i++)
		if (strcmp(lc_cronexpr_text(a->schedules[i]),
		    lc_cronexpr_text(b->schedules[i])) != 0)
			return (0);
	return (1);
}

/* The earliest fire of any of the job's schedules after `after`, or -1. */
static int64_t
next_fire(const struct sjob *sj, int64_t after)
{
	int64_t	 best = -1, t;
	size_t	 i;

	if (!sj->job->enabled)
		return (-1);
	for (i = 0; i < sj->job->nschedules; i++) {
		if (lc_cronexpr_next(sj->job->schedules[i], sj->job->tz, after,
		    &t) == 0 && (best == -1 || t < best))
			best = t;
	}
	return (best);
}

static void
arm_fire(struct lc_sched *s, struct sjob *sj)
{
	sj->next = next_fire(sj, sj->last);
	timer_set(s, &sj->fire,
	    sj->next == -1 ? INT64_MAX : (sj->next + sj->jitter) * 1000);
}

struct lc_sched *
lc_sched_new(void)
{
	struct lc_sched	*s = xcalloc(1, sizeof *s);

	s->prune.due = INT64_MAX;
	s->prune.idx = NOT_IN_HEAP;
	return (s);
}

void
lc_sched_set_prune(struct lc_sched *s, int64_t due_ms)
{
	timer_set(s, &s->prune, due_ms);
}

int64_t
lc_sched_prune_due(const struct lc_sched *s)
{
	return (s->prune.due);
}

void
lc_sched_copy_retry(struct lc_sched *dst, const struct lc_sched *src,
    const char *job)
{
	const struct sjob	*from = find(src, job);

	if (from == NULL || !retry_armed(from))
		return;
	lc_sched_set_retry(dst, job, from->retry->attempt,
	    from->retry->timer.due, from->retry->fire_id,
	    from->retry->scheduled_at);
}

void
lc_sched_free(struct lc_sched *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->njobs; i++)
		free(job_at(s, i)->retry);
	for (i = 0; i < (s->njobs + SJOB_BLOCK - 1) / SJOB_BLOCK; i++)
		free(s->blocks[i]);
	free(s->blocks);
	free(s->table);
	free(s->heap);
	free(s);
}

void
lc_sched_add(struct lc_sched *s, const struct lc_job *job, int64_t last,
    int64_t now_ms)
{
	struct sjob	*sj;

	if ((sj = find(s, job->name)) == NULL) {
		if (s->njobs % SJOB_BLOCK == 0) {
			s->blocks = xreallocarray(s->blocks,
			    s->njobs / SJOB_BLOCK + 1, sizeof *s->blocks);
			s->blocks[s->njobs / SJOB_BLOCK] = xcalloc(SJOB_BLOCK,
			    sizeof **s->blocks);
		}
		sj = job_at(s, s->njobs++);
		sj->fire.idx = NOT_IN_HEAP;
		sj->fire.due = INT64_MAX;
		sj->fire.owner = sj;
		sj->job = job;
		/* Grown at three quarters full: linear probing stays short. */
		if (s->njobs * 4 > s->tablesz * 3)
			table_grow(s);
		else
			table_insert(s, sj);
	}
	sj->job = job;
	sj->jitter = lc_sched_jitter(job);
	/* Starting from now: the current second still counts as due. */
	if (last == LC_SCHED_NEVER)
		last = now_ms / 1000 - 1 - sj->jitter;
	sj->last = last;
	arm_fire(s, sj);
}

int64_t
lc_sched_last(const struct lc_sched *s, const char *job)
{
	const struct sjob	*sj = find(s, job);

	return (sj == NULL ? LC_SCHED_NEVER : sj->last);
}

void
lc_sched_rewind(struct lc_sched *s, const char *job, int64_t from)
{
	struct sjob	*sj = find(s, job);

	if (sj == NULL || sj->last < from)
		return;
	sj->last = from - 1;
	arm_fire(s, sj);
}

int64_t
lc_sched_next_fire(const struct lc_sched *s, const char *job)
{
	const struct sjob	*sj = find(s, job);

	return (sj == NULL ? -1 : sj->next);
}

void
lc_sched_set_retry(struct lc_sched *s, const char *job, int attempt,
    int64_t due_ms, const char *fire_id, int64_t scheduled_at)
{
	struct sjob	*sj = find(s, job);
	struct sretry	*r;

	if (sj == NULL)
		return;
	if ((r = sj->retry) == NULL) {
		r = sj->retry = xcalloc(1, sizeof *r);
		r->timer.idx = NOT_IN_HEAP;
		r->timer.due = INT64_MAX;
		r->timer.owner = sj;
		r->timer.is_retry = 1;
	}
	r->attempt = attempt;
	snprintf(r->fire_id, sizeof r->fire_id, "%s", fire_id);
	r->scheduled_at = scheduled_at;
	timer_set(s, &r->timer, due_ms);
}

int
lc_sched_cancel_retry(struct lc_sched *s, const char *job)
{
	struct sjob	*sj = find(s, job);

	if (sj == NULL || !retry_armed(sj))
		return (0);
	timer_set(s, &sj->retry->timer, INT64_MAX);
	return (1);
}

int
lc_sched_has_retry(const struct lc_sched *s, const char *job)
{
	const struct sjob	*sj = find(s, job);

	return (sj != NULL && retry_armed(sj));
}

int64_t
lc_sched_wakeup(const struct lc_sched *s)
{
	return (s->nheap == 0 ? INT64_MAX : s->heap[0]->due);
}

/* Collects missed fires: the first ones one by one, the rest summed up. */
struct missed {
	const struct lc_job	*job;
	lc_sched_cb		*cb;
	void			*arg;
	int64_t			 rows;
	struct lc_sched_event	 many;
};

static void
missed_add(struct missed *m, int64_t f)
{
	struct lc_sched_event	 ev;

	if (m->rows < LC_SCHED_MISSED_ROWS) {
		memset(&ev, 0, sizeof ev);
		ev.kind = LC_SCHED_MISSED;
		ev.job = m->job;
		ev.scheduled_at = f;
		m->cb(&ev, m->arg);
		m->rows++;
		return;
	}
	if (m->many.count++ == 0)
		m->many.first = f;
	m->many.last = f;
}

static void
emit(const struct lc_job *job, enum lc_sched_kind kind, int64_t f,
    lc_sched_cb *cb, void *arg)
{
	struct lc_sched_event	 ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.job = job;
	ev.scheduled_at = f;
	cb(&ev, arg);
}

/* How late (ms) a fire of the job is when handled at now_ms. */
static int64_t
lateness(const struct sjob *sj, int64_t f, int64_t now_ms)
{
	return (now_ms - (f + sj->jitter) * 1000);
}

/*
 * Handles every fire of a job that is due at now_ms. Those further behind
 * than the grace (downtime, suspend, a forward clock step) are missed,
 * with one catch-up run for the latest where the job asks for it; every
 * one within the grace runs, late as it may be, so that a daemon held up
 * for longer than a job's period (a loaded machine) loses no fire.
 */
static size_t
fire_due(struct lc_sched *s, struct sjob *sj, int64_t now_ms, lc_sched_cb *cb,
    void *arg)
{
	struct missed	 m;
	int64_t		 f, last_missed = -1, n = 0, nrun = 0;

	memset(&m, 0, sizeof m);
	m.job = sj->job;
	m.cb = cb;
	m.arg = arg;
	m.many.kind = LC_SCHED_MISSED_MANY;
	m.many.job = sj->job;
	for (f = sj->next; f != -1 && lateness(sj, f, now_ms) >
	    LC_SCHED_GRACE_MS; f = next_fire(sj, f)) {
		missed_add(&m, f);
		sj->last = last_missed = f;
		if (++n == MISSED_COUNT_CAP) {
			m.many.count_capped = 1;
			f = -1;		/* the rest on the next round */
			break;
		}
	}
	if (m.many.count > 0) {
		m.many.scheduled_at = m.many.last;
		cb(&m.many, arg);
	}
	for (; f != -1 && lateness(sj, f, now_ms) >= 0; f = next_fire(sj, f)) {
		emit(sj->job, LC_SCHED_RUN, f, cb, arg);
		sj->last = f;
		nrun++;
	}
	/* The catch-up is for the latest missed fire: not yet, while the
	 * count was capped and the rest of the outage comes next. */
	if (last_missed != -1 && nrun == 0 && !m.many.count_capped &&
	    sj->job->catch_up == LC_CATCH_UP_ONCE) {
		emit(sj->job, LC_SCHED_CATCH_UP, last_missed, cb, arg);
		nrun++;
	}
	if (last_missed == -1 && nrun == 0)
		return (0);
	arm_fire(s, sj);
	return ((size_t)(m.rows + (m.many.count > 0) + nrun));
}

static size_t
retry_due(struct lc_sched *s, struct sjob *sj, lc_sched_cb *cb, void *arg)
{
	struct lc_sched_event	 ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = LC_SCHED_RETRY;
	ev.job = sj->job;
	ev.scheduled_at = sj->retry->scheduled_at;
	ev.attempt = sj->retry->attempt;
	ev.fire_id = sj->retry->fire_id;
	timer_set(s, &sj->retry->timer, INT64_MAX);
	cb(&ev, arg);
	return (1);
}

size_t
lc_sched_run_due(struct lc_sched *s, int64_t now_ms, lc_sched_cb *cb,
    void *arg)
{
	struct timer	*t;
	size_t		 n = 0, k;

	while (s->nheap > 0 && s->heap[0]->due <= now_ms) {
		t = s->heap[0];
		if (t->owner == NULL) {
			struct lc_sched_event	 ev;

			memset(&ev, 0, sizeof ev);
			ev.kind = LC_SCHED_PRUNE;
			timer_set(s, t, INT64_MAX);
			cb(&ev, arg);
			n++;
		} else if (t->is_retry)
			n += retry_due(s, t->owner, cb, arg);
		else if ((k = fire_due(s, t->owner, now_ms, cb, arg)) == 0)
			timer_set(s, t, INT64_MAX);	/* never: it was due */
		else
			n += k;
	}
	return (n);
}
