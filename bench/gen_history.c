/*
 * gen_history [-r RUNS] [-j JOBS] [-n NOW_MS] [-s SEED] PATH: writes a
 * history database of generated runs and events to PATH (which must not
 * exist), for benchmarks of the history commands.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/util.h"
#include "history_gen.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: gen_history [-r runs] [-j jobs] [-n now_ms] "
	    "[-s seed] path\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct gen_history_opts		 o;
	struct gen_history_stats	 s;
	struct stat			 sb;
	long long			 v;
	char				*cause = NULL;
	int				 ch;

	gen_history_init(&o);
	while ((ch = getopt(argc, argv, "r:j:n:s:")) != -1) {
		if (ch == '?' || lc_parse_int(optarg, ch == 'n' ? 0 : 1,
		    INT64_MAX, &v) != 0)
			usage();
		if (ch == 'r')
			o.runs = v;
		else if (ch == 'j' && v <= 100000)
			o.jobs = (int)v;
		else if (ch == 'n')
			o.now = v;
		else if (ch == 's')
			o.seed = (uint64_t)v;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	if (stat(argv[optind], &sb) == 0) {
		fprintf(stderr, "gen_history: %s exists\n", argv[optind]);
		return (1);
	}
	if (gen_history_fill(argv[optind], &o, &s, &cause) != 0) {
		fprintf(stderr, "gen_history: %s\n", cause);
		return (1);
	}
	printf("%lld runs, %lld events, %d jobs, %.1f s\n", (long long)s.runs,
	    (long long)s.events, o.jobs, s.seconds);
	return (0);
}
