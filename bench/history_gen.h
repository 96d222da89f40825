/*
 * A generator of realistic history databases for benchmarks: many jobs
 * firing hourly, mostly succeeding, with failures, retries, timeouts,
 * skips, misses and their events. Deterministic for a given seed.
 */
#ifndef LOCKCRON_BENCH_HISTORY_GEN_H
#define LOCKCRON_BENCH_HISTORY_GEN_H

#include <stdint.h>

struct gen_history_opts {
	int64_t		 runs;		/* rows in runs, retries included */
	int		 jobs;		/* job-0000, job-0001, ... */
	int64_t		 now;		/* the newest fire is just before */
	uint64_t	 seed;
};

struct gen_history_stats {
	int64_t		 runs;
	int64_t		 events;
	double		 seconds;
};

/* Sets the defaults: 1,000,000 runs, 1,000 jobs, a fixed now and seed. */
void	gen_history_init(struct gen_history_opts *);
/* Creates path (which must not exist) through lc_history_open, then
 * fills it in one transaction. */
int	gen_history_fill(const char *path, const struct gen_history_opts *,
	    struct gen_history_stats *, char **cause);

#endif
