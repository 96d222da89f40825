/*
 * lockcron show RUN: one run by id or unique prefix, every field, its
 * event timeline and its output; or one JSON object (docs/json.md).
 * Also the run lookup `logs` shares.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockcron/history.h"
#include "lockcron/runview.h"

int
cli_run_get(struct cli_hist *ch, const char *cmd, const char *prefix,
    struct lc_run *r)
{
	char	*cause = NULL;
	int	 err;

	lc_history_run_init(r);
	if (ch->h == NULL) {
		cli_error("no run matches %s: %s", prefix, ch->missing);
		return (CLI_NO);
	}
	if (lc_history_run_get(ch->h, prefix, r, NULL, NULL, &cause) == 0)
		return (CLI_OK);
	err = errno;
	cli_error("%s", cause);
	free(cause);
	if (err == ENOENT)
		return (CLI_NO);
	if (err == EINVAL)
		cli_usage(cli_find(cmd), 0);
	return (CLI_USAGE);	/* not an id, ambiguous, unreadable */
}

int
cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct lc_runview	 v;
	enum lc_output_format	 format = LC_OUTPUT_TABLE;
	struct cli_hist		 ch;
	struct lc_event		*ev = NULL;
	struct lc_run		 r;
	const char		*config = NULL;
	char			*cause = NULL, *text;
	size_t			 nev = 0;
	int			 c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'F':
			if (cli_parse_format(optarg, &format) != 0) {
				cli_usage(cli_find("show"), 0);
				return (CLI_USAGE);
			}
			if (format == LC_OUTPUT_CSV)
				return (cli_bad_usage("show", "--format: a run "
				    "is shown as a table or JSON, not CSV"));
			break;
		case 'h':
			cli_usage(cli_find("show"), 1);
			return (CLI_OK);
		default:
			cli_usage(cli_find("show"), 0);
			return (CLI_USAGE);
		}
	}
	if (argc - optind != 1)
		return (cli_bad_usage("show", "expected one run id or prefix"));
	if ((rc = cli_hist_open(&ch, config, CLI_HIST_QUIET)) != CLI_OK ||
	    (rc = cli_run_get(&ch, "show", argv[optind], &r)) != CLI_OK) {
		cli_hist_close(&ch);
		return (rc);
	}
	if (lc_history_events(ch.h, r.id, &ev, &nev, &cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		rc = CLI_USAGE;
	} else {
		v.tz = ch.tz;
		v.format = format;
		text = lc_runview_show(&v, &r, ev, nev);
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
			cli_error("cannot write the run");
			rc = CLI_NO;
		}
		free(text);
	}
	lc_history_events_free(ev, nev);
	lc_history_run_clear(&r);
	cli_hist_close(&ch);
	return (rc);
}
