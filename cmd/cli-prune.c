/*
 * lockcron prune: deletes the finished runs the retention settings let
 * go (history.keep_days, history.keep_runs, or the options), in short
 * batches so the daemon never waits long; --dry-run only counts.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/history.h"

/* Opens the history for writing; a missing one is not created. */
static int
open_rw(struct cli_hist *ch, struct lc_history **h)
{
	char	*cause = NULL;

	*h = lc_history_open(ch->path, LC_HISTORY_NOCREATE,
	    ch->cfg->history_group, &cause);
	if (*h != NULL)
		return (CLI_OK);
	if (errno == ENOENT) {
		printf("nothing to prune: %s\n", cause);
		free(cause);
		return (CLI_OK);
	}
	cli_error("%s", cause);
	free(cause);
	return (CLI_USAGE);
}

static int
prune(struct cli_hist *ch, struct lc_history_prune_opts *po)
{
	struct lc_history_prune_stats	 ps;
	struct lc_history		*h;
	char				*cause = NULL;
	int				 rc;

	if (po->keep_days == 0 && po->keep_runs == 0) {
		printf("nothing to prune: keep_days and keep_runs are both 0 "
		    "(the history keeps every run)\n");
		return (CLI_OK);
	}
	if ((rc = open_rw(ch, &h)) != CLI_OK || h == NULL)
		return (rc);
	memset(&ps, 0, sizeof ps);
	if (lc_history_prune(h, po, &ps, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		rc = CLI_NO;
	} else
		printf("%s %lld runs and %lld events%s\n", po->dry_run ?
		    "would delete" : "deleted", (long long)ps.runs,
		    (long long)ps.events, po->dry_run ? " (dry run)" : "");
	lc_history_close(h);
	return (rc);
}

int
cmd_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep-days", required_argument, NULL, 'd' },
		{ "keep-runs", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct lc_history_prune_opts	 po;
	struct cli_hist			 ch;
	const char			*config = NULL;
	long long			 days = -1, runs = -1;
	int				 c, rc;

	memset(&po, 0, sizeof po);
	po.now = LC_HISTORY_NONE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			if (lc_parse_int(optarg, 0, 1000000, &days) != 0)
				return (cli_bad_usage("prune", "--keep-days: "
				    "expected a number of days, got \"%s\"",
				    optarg));
			break;
		case 'r':
			if (lc_parse_int(optarg, 0, 1000000000, &runs) != 0)
				return (cli_bad_usage("prune", "--keep-runs: "
				    "expected a number of runs, got \"%s\"",
				    optarg));
			break;
		case 'n':
			po.dry_run = 1;
			break;
		case 'h':
			cli_usage(cli_find("prune"), 1);
			return (CLI_OK);
		default:
			cli_usage(cli_find("prune"), 0);
			return (CLI_USAGE);
		}
	}
	if (optind != argc)
		return (cli_bad_usage("prune", "unexpected argument \"%s\"",
		    argv[optind]));
	if ((rc = cli_hist_open(&ch, config, CLI_HIST_STRICT |
	    CLI_HIST_QUIET)) == CLI_OK) {
		po.keep_days = days >= 0 ? days : ch.cfg->keep_days;
		po.keep_runs = runs >= 0 ? runs : ch.cfg->keep_runs;
		lc_history_close(ch.h);	/* the reader; prune writes */
		ch.h = NULL;
		rc = prune(&ch, &po);
	}
	cli_hist_close(&ch);
	return (rc);
}
