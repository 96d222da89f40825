/*
 * lockcron check: validates the config and its drop-ins completely, as the
 * daemon would load them, and says so in one line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "lockcron/config.h"

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("check");
	struct lc_config		*cfg;
	const char			*path = NULL;
	int				 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (optind != argc) {
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	if ((cfg = cli_config_load(path, NULL)) == NULL)
		return (CLI_USAGE);
	printf("%zu job%s OK in %zu file%s\n", cfg->njobs,
	    cfg->njobs == 1 ? "" : "s", cfg->nfiles, cfg->nfiles == 1 ? "" : "s");
	lc_config_free(cfg);
	return (CLI_OK);
}
