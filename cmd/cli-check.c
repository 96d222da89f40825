/*
 * lockcron check: validates the config and its drop-ins completely, as the
 * daemon would load them, and says so in one line.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "lockcron/config.h"

int
cmd_check(int argc, char **argv)
{
	struct lc_config	*cfg;
	const char		*path;
	int			 rc;

	if ((rc = cli_config_opts("check", argc, argv, 0, &path)) != -1)
		return (rc);
	if ((cfg = cli_config_load(path, NULL)) == NULL)
		return (CLI_USAGE);
	printf("%zu job%s OK in %zu file%s\n", cfg->njobs,
	    cfg->njobs == 1 ? "" : "s", cfg->nfiles, cfg->nfiles == 1 ? "" : "s");
	lc_config_free(cfg);
	return (CLI_OK);
}
