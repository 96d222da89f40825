/*
 * Loading the config for a CLI command: the path from -c, $LOCKCRON_CONFIG
 * or the default, and every warning and error printed on stderr.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"

struct lc_config *
cli_config_load(const char *path, size_t *nerrors)
{
	struct lc_config_opts	 opts = { 0 };
	struct lc_config_diag	 diag = { 0 };
	struct lc_config	*cfg;
	char			*def = NULL;
	size_t			 i;

	opts.as_root = geteuid() == 0;
	if (path == NULL)
		path = def = lc_config_default_path(opts.as_root);
	cfg = lc_config_load(path, &opts, &diag);
	for (i = 0; i < diag.nall; i++)
		fprintf(stderr, "%s\n", diag.all[i]);
	if (nerrors != NULL)
		*nerrors = diag.nerrors;
	lc_config_diag_clear(&diag);
	free(def);
	return (cfg);
}
