/*
 * lockcron logs RUN [--follow]: the run's captured output, or, following
 * a running run, its output as the supervisor streams it until it ends.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/history.h"
#include "lockcron/logs.h"

#define FOLLOW_POLL_MS	1000	/* the longest wait between looks */

int
cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_hist	 ch;
	struct lc_run	 r;
	const char	*config = NULL;
	char		*cause = NULL;
	int		 c, rc, follow = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			follow = 1;
			break;
		case 'h':
			cli_usage(cli_find("logs"), 1);
			return (CLI_OK);
		default:
			cli_usage(cli_find("logs"), 0);
			return (CLI_USAGE);
		}
	}
	if (argc - optind != 1)
		return (cli_bad_usage("logs", "expected one run id or prefix"));
	if ((rc = cli_hist_open(&ch, config, CLI_HIST_QUIET)) != CLI_OK ||
	    (rc = cli_run_get(&ch, "logs", argv[optind], &r)) != CLI_OK) {
		cli_hist_close(&ch);
		return (rc);
	}
	if ((follow ? lc_logs_follow(ch.h, ch.state_dir, &r, STDOUT_FILENO,
	    FOLLOW_POLL_MS, &cause) : lc_logs_print(ch.state_dir, &r,
	    STDOUT_FILENO, &cause)) != 0) {
		cli_error("%s", cause);
		free(cause);
		rc = CLI_NO;
	}
	lc_history_run_clear(&r);
	cli_hist_close(&ch);
	return (rc);
}
