/*
 * histgen PATH [RUNS [JOBS]]: writes a generated history (bench/histgen.c:
 * deterministic runs, events and outputs, the schema of lc_history_open)
 * to PATH, which must not exist. For tests/history-cli.sh.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lockcron/util.h"
#include "histgen.h"

int
main(int argc, char **argv)
{
	struct histgen_opts	 o;
	struct histgen_stats	 s;
	long long		 v;
	char			*cause = NULL;

	histgen_init(&o);
	if (argc < 2 || argc > 4 ||
	    (argc > 2 && lc_parse_int(argv[2], 1, 100000000, &v) != 0) ||
	    (argc > 2 && (o.runs = v) == 0) ||
	    (argc > 3 && lc_parse_int(argv[3], 1, 100000, &v) != 0) ||
	    (argc > 3 && (o.jobs = (int)v) == 0)) {
		fprintf(stderr, "usage: histgen path [runs [jobs]]\n");
		return (2);
	}
	if (histgen_fill(argv[1], &o, &s, &cause) != 0) {
		fprintf(stderr, "histgen: %s\n", cause);
		return (1);
	}
	printf("%lld runs, %lld events\n", (long long)s.runs,
	    (long long)s.events);
	return (0);
}
