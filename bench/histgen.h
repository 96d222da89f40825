/*
 * A generator of large, realistic history databases for the benchmarks of
 * the history commands: jobs firing hourly, mostly succeeding, with
 * failures and their retries, timeouts, kills, skips, misses, lost runs,
 * failure streaks, a few running rows, and the events of each run.
 * Deterministic for a given seed.
 */
#ifndef LOCKCRON_BENCH_HISTGEN_H
#define LOCKCRON_BENCH_HISTGEN_H

#include <stdint.h>

struct histgen_opts {
	int64_t		 runs;		/* rows of runs, retries included */
	int		 jobs;		/* job-0000, job-0001, ... */
	int64_t		 now;		/* ms; the newest fire is before it */
	uint64_t	 seed;
};

struct histgen_stats {
	int64_t		 runs;
	int64_t		 events;
	double		 seconds;
};

/* 1,000,000 runs over 1,000 jobs, now 2026-11-24T00:00:00Z, seed 1. */
void	 histgen_init(struct histgen_opts *);
/* The name of job i, in a static buffer. */
const char *histgen_job(int i);
/* Creates path (which must not exist) with lc_history_open, then fills
 * it in one transaction of prepared statements. */
int	 histgen_fill(const char *path, const struct histgen_opts *,
	     struct histgen_stats *, char **cause);

#endif
