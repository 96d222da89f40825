/*
 * Loading the config for a CLI command: the path from -c, $LOCKCRON_CONFIG
 * or the default, and every warning and error printed on stderr.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"

static struct lc_config *
load(const char *path, int globals_only, size_t *nerrors)
{
	struct lc_config_opts	 opts = { 0 };
	struct lc_config_diag	 diag = { 0 };
	struct lc_config	*cfg;
	char			*def = NULL;
	size_t			 i;

	opts.as_root = geteuid() == 0;
	opts.globals_only = globals_only;
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

struct lc_config *
cli_config_load(const char *path, size_t *nerrors)
{
	return (load(path, 0, nerrors));
}

/*
 * For a request to lockcrond, which has its own copy of the jobs: only the
 * global settings (where the control socket is). A job or a drop-in being
 * edited into shape must not stop an operator from cancelling or pausing
 * a run; a reload is checked by the daemon, which sends its errors back.
 */
struct lc_config *
cli_config_load_globals(const char *path)
{
	return (load(path, 1, NULL));
}

/*
 * The options of a command that takes only -c FILE and --help, then exactly
 * nargs operands (optind points at them). Returns -1 to go on, else the
 * status to exit with.
 */
int
cli_config_opts(const char *name, int argc, char **argv, int nargs,
    const char **path)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find(name);
	int				 ch;

	*path = NULL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*path = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (optind != argc - nargs) {
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	return (-1);
}
