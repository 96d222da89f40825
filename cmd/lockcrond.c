/*
 * lockcrond: the scheduler daemon. Parses its options, sets up logging and
 * hands over to the daemon module.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: lockcrond [-c FILE] [--pidfile FILE] "
	    "[--log stderr|syslog|FILE] [--check] [--version] [--help]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*log_target = "stderr";
	char		*cause = NULL;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "c:p:l:kVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
		case 'p':
		case 'k':
			break;
		case 'l':
			log_target = optarg;
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
	if (lc_log_open("lockcrond", log_target, &cause) != 0) {
		fprintf(stderr, "lockcrond: %s\n", cause);
		return (1);
	}
	log_error("the scheduling loop is not built yet");
	return (1);
}
