/*
 * lockcron next: the next fire times of a schedule expression, or of a
 * job of the config (all its schedules merged, in its zone).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/cronexpr.h"
#include "lockcron/timefmt.h"
#include "lockcron/tz.h"

/* Joins the remaining arguments, so both quoted and unquoted fields work. */
static char *
join_args(int argc, char **argv)
{
	struct lc_buf	 b = { 0 };
	int		 i;

	for (i = 0; i < argc; i++) {
		if (i > 0)
			lc_buf_addstr(&b, " ");
		lc_buf_addstr(&b, argv[i]);
	}
	return (lc_buf_steal(&b));
}

/* A single word that is not a macro can only be a job's name. */
static int
is_job_name(int argc, char **argv)
{
	return (argc == 1 && argv[0][0] != '@' && argv[0][0] != '\0' &&
	    strspn(argv[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == strlen(argv[0]));
}

/* Prints count fire times of a job after t, its schedules merged. */
static int
next_job(const char *config, const char *name, const char *from,
    long long count)
{
	const struct lc_job	*job;
	struct lc_config	*cfg;
	char			 buf[LC_TIME_BUFSZ], *cause = NULL;
	int64_t			 t, next, ms;
	long long		 i;
	int			 rc = CLI_USAGE;

	if ((cfg = cli_config_load(config, NULL)) == NULL)
		return (CLI_USAGE);
	if ((job = lc_config_find_job(cfg, name)) == NULL) {
		cli_error("next: no job named \"%s\" in %s", name, cfg->path);
		goto out;
	}
	t = lc_now_ms() / 1000;
	if (from != NULL) {
		if (lc_time_parse(from, job->tz, &ms, &cause) != 0) {
			cli_error("--from: %s", cause);
			goto out;
		}
		t = ms / 1000 - (ms % 1000 < 0);
	}
	for (i = 0; i < count; i++) {
		if (cli_job_next(job, t, &next) != 0) {
			if (i == 0) {
				cli_error("job \"%s\" never fires on a "
				    "schedule", name);
				rc = CLI_NO;
				goto out;
			}
			break;
		}
		printf("%s\n", lc_time_local(next, job->tz, buf));
		t = next;
	}
	rc = CLI_OK;
out:
	free(cause);
	lc_config_free(cfg);
	return (rc);
}

int
cmd_next(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tz", required_argument, NULL, 'z' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("next");
	const char			*zone = NULL, *from = NULL;
	const char			*config = NULL;
	struct lc_cronexpr		*e = NULL;
	struct lc_tz			*tz = NULL;
	char				*text = NULL, *cause = NULL;
	char				 buf[LC_TIME_BUFSZ];
	long long			 count = 5, i;
	int64_t				 t, next, ms;
	int				 ch, rc = CLI_USAGE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+z:f:n:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'z':
			zone = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'n':
			if (lc_parse_int(optarg, 1, 100000, &count) != 0) {
				cli_error("-n: expected a count from 1 to "
				    "100000, got \"%s\"", optarg);
				return (CLI_USAGE);
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (optind >= argc) {
		cli_error("next: missing schedule expression");
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	if (is_job_name(argc - optind, argv + optind)) {
		if (zone != NULL) {
			cli_error("next: --tz does not apply to a job: it fires "
			    "in its own zone");
			return (CLI_USAGE);
		}
		return (next_job(config, argv[optind], from, count));
	}
	text = join_args(argc - optind, argv + optind);

	if ((tz = lc_tz_load(zone, &cause)) == NULL) {
		cli_error("%s", cause);
		goto out;
	}
	if (from == NULL)
		t = lc_now_ms() / 1000;
	else if (lc_time_parse(from, tz, &ms, &cause) != 0) {
		cli_error("--from: %s", cause);
		goto out;
	} else
		t = ms / 1000 - (ms % 1000 < 0);	/* floor to the second */
	if ((e = lc_cronexpr_parse(text, &cause)) == NULL) {
		cli_error("invalid schedule \"%s\": %s", text, cause);
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (lc_cronexpr_next(e, tz, t, &next) != 0) {
			if (i == 0) {
				cli_error("\"%s\" never fires%s", text,
				    lc_cronexpr_is_reboot(e) ?
				    " on a schedule (it runs once at boot)" :
				    " (no such date)");
				rc = CLI_NO;
				goto out;
			}
			break;
		}
		printf("%s\n", lc_time_local(next, tz, buf));
		t = next;
	}
	rc = CLI_OK;
out:
	free(cause);
	free(text);
	lc_cronexpr_free(e);
	lc_tz_free(tz);
	return (rc);
}
