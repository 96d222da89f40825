/*
 * lockcrond: the scheduler daemon. Parses its options, sets up logging and
 * hands over to the daemon module.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/config.h"
#include "lockcron/daemon.h"
#include "lockcron/log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: lockcrond [-c FILE] [--pidfile FILE] "
	    "[--log stderr|syslog|FILE] [--check] [--version] [--help]\n");
}

/* --check: validate, print every problem, exit 0 or 2. */
static int
check(const char *path, int as_root)
{
	struct lc_config_opts	 opts = { .as_root = as_root };
	struct lc_config_diag	 diag;
	struct lc_config	*cfg;
	size_t			 i;

	memset(&diag, 0, sizeof diag);
	cfg = lc_config_load(path, &opts, &diag);
	for (i = 0; i < diag.nwarnings; i++)
		fprintf(stderr, "%s\n", diag.warnings[i]);
	for (i = 0; i < diag.nerrors; i++)
		fprintf(stderr, "%s\n", diag.errors[i]);
	lc_config_diag_clear(&diag);
	if (cfg == NULL)
		return (2);
	printf("%zu job%s OK in %zu file%s\n", cfg->njobs,
	    cfg->njobs == 1 ? "" : "s", cfg->nfiles, cfg->nfiles == 1 ? "" : "s");
	lc_config_free(cfg);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'k' },
		{ "boot-id-file", required_argument, NULL, 'B' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct lc_daemon_opts	 opts;
	char			*cause = NULL, *path = NULL;
	int			 ch, do_check = 0;

	memset(&opts, 0, sizeof opts);
	opts.as_root = geteuid() == 0;
	while ((ch = getopt_long(argc, argv, "c:p:l:kVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'p':
			opts.pidfile = optarg;
			break;
		case 'l':
			opts.log_target = optarg;
			break;
		case 'k':
			do_check = 1;
			break;
		case 'B':
			opts.boot_id_file = optarg;
			break;
		case 'V':
			printf("lockcrond %s\n", PACKAGE_VERSION);
			return (0);
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}
	if (opts.config_path == NULL)
		opts.config_path = path = lc_config_default_path(opts.as_root);
	if (do_check)
		return (check(opts.config_path, opts.as_root));
	if (lc_log_open("lockcrond", opts.log_target != NULL ?
	    opts.log_target : "stderr", &cause) != 0) {
		fprintf(stderr, "lockcrond: %s\n", cause);
		return (1);
	}
	/* No lc_keystore_global_init() here: the daemon never talks to a
	 * keystore, and libcurl's TLS set-up would triple its memory. Each
	 * supervisor initialises it on first use; the daemon only loads it
	 * (src/curl-load.c) when a job needs it. */
	if (lc_daemon_run(&opts, &cause) != 0) {
		log_error("%s", cause);
		fprintf(stderr, "lockcrond: %s\n", cause);
		free(cause);
		free(path);
		return (1);
	}
	free(path);
	return (0);
}
