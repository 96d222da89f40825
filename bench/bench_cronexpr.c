/*
 * Benchmark: nanoseconds per lc_cronexpr_next() call over 100,000 start
 * instants, per expression and zone, beside the cost of one localtime_r +
 * mktime pair measured in the same run. Prints medians of 9 repetitions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lockcron/cronexpr.h"
#include "lockcron/tz.h"

#define STARTS	100000
#define REPS	9

static int64_t starts[STARTS];
static volatile int64_t sink;

static double
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e9 + ts.tv_nsec);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return (v[n / 2]);
}

static double
bench_next(const struct lc_cronexpr *e, const struct lc_tz *tz)
{
	double	 runs[REPS], t0;
	int64_t	 next;
	int	 r, i;

	for (r = 0; r < REPS; r++) {
		t0 = now_ns();
		for (i = 0; i < STARTS; i++) {
			if (lc_cronexpr_next(e, tz, starts[i], &next) == 0)
				sink += next;
		}
		runs[r] = (now_ns() - t0) / STARTS;
	}
	return (median(runs, REPS));
}

static double
bench_libc(const char *zone)
{
	double		 runs[REPS], t0;
	struct tm	 tm;
	time_t		 t;
	int		 r, i;

	setenv("TZ", zone, 1);
	tzset();
	for (r = 0; r < REPS; r++) {
		t0 = now_ns();
		for (i = 0; i < STARTS; i++) {
			t = (time_t)starts[i];
			localtime_r(&t, &tm);
			tm.tm_min += 5;
			sink += mktime(&tm);
		}
		runs[r] = (now_ns() - t0) / STARTS;
	}
	return (median(runs, REPS));
}

int
main(void)
{
	static const char *exprs[] = {
		"*/5 * * * *", "30 2 * * 1-5", "0 0 29 2 *", "*/10 * * * * *"
	};
	static const char *zones[] = { "UTC", "America/New_York" };
	uint64_t	 x = 88172645463325252ULL;
	size_t		 e, z;
	int		 i;

	/* Start instants spread over 2000-2040. */
	for (i = 0; i < STARTS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		starts[i] = 946684800 + (int64_t)(x % (40ULL * 365 * 86400));
	}
	printf("%-18s %-18s %12s\n", "expression", "zone", "ns/next()");
	for (z = 0; z < 2; z++) {
		struct lc_tz	*tz = lc_tz_load(zones[z], NULL);

		if (tz == NULL) {
			fprintf(stderr, "cannot load %s\n", zones[z]);
			return (1);
		}
		for (e = 0; e < 4; e++) {
			struct lc_cronexpr *ce = lc_cronexpr_parse(exprs[e], NULL);

			printf("%-18s %-18s %12.1f\n", exprs[e], zones[z],
			    bench_next(ce, tz));
			lc_cronexpr_free(ce);
		}
		printf("%-18s %-18s %12.1f\n", "localtime_r+mktime", zones[z],
		    bench_libc(zones[z]));
		lc_tz_free(tz);
	}
	printf("(median of %d runs of %d calls each)\n", REPS, STARTS);
	return (0);
}
