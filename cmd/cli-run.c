/*
 * lockcron run: one run of a job through the very supervisor the daemon
 * uses, in the foreground; or, with --no-wait, started by the daemon.
 * And the other requests to the daemon: reload, cancel, pause, resume.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/ctl.h"
#include "lockcron/keystore.h"
#include "lockcron/supervisor.h"

/* Exit statuses of `run` (lockcron(1), EXIT STATUS). */
#define RUN_OWN_ERROR	125

/* Sends one request to the daemon; prints its error; 0, or -1. */
int
cli_daemon_request(const struct lc_config *cfg, json_t *req, json_t **reply)
{
	char	*path, *cause = NULL;
	int	 rc;

	xasprintf(&path, "%s/%s", cfg->runtime_dir, LC_CTL_SOCKET);
	rc = lc_ctl_request(path, req, 60000, reply, &cause);
	if (rc != 0) {
		cli_error("%s", cause);
		free(cause);
	} else if (!json_is_true(json_object_get(*reply, "ok"))) {
		const char *e = json_string_value(json_object_get(*reply,
		    "error"));

		cli_error("%s", e != NULL ? e : "the daemon refused");
		rc = -1;
	}
	free(path);
	return (rc);
}

static int
run_no_wait(const struct lc_config *cfg, const char *job)
{
	json_t	*req, *reply = NULL;
	int	 rc = RUN_OWN_ERROR;

	req = json_pack("{s:s, s:s}", "cmd", "run", "job", job);
	if (cli_daemon_request(cfg, req, &reply) == 0) {
		printf("%s\n", json_string_value(json_object_get(reply,
		    "run_id")));
		rc = CLI_OK;
	}
	json_decref(req);
	json_decref(reply);
	return (rc);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("run");
	struct lc_supervise_opts	 o;
	struct lc_supervise_result	 res;
	const struct lc_job		*job;
	struct lc_config		*cfg;
	const char			*path = NULL;
	char				*cause = NULL;
	int				 ch, no_wait = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			no_wait = 1;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (RUN_OWN_ERROR);
		}
	}
	if (optind != argc - 1) {
		cli_usage(self, 0);
		return (RUN_OWN_ERROR);
	}
	/* The daemon runs its own copy of the job: it needs no more of the
	 * config than where the daemon listens. */
	if (no_wait) {
		if ((cfg = cli_config_load_globals(path)) == NULL)
			return (RUN_OWN_ERROR);
		rc = run_no_wait(cfg, argv[optind]);
		lc_config_free(cfg);
		return (rc);
	}
	if ((cfg = cli_config_load(path, NULL)) == NULL)
		return (RUN_OWN_ERROR);
	if ((job = lc_config_find_job(cfg, argv[optind])) == NULL) {
		cli_error("no job \"%s\" in %s", argv[optind], cfg->path);
		lc_config_free(cfg);
		return (RUN_OWN_ERROR);
	}
	memset(&o, 0, sizeof o);
	o.cfg = cfg;
	o.job = job;
	o.trigger = LC_TRIGGER_MANUAL;
	o.attempt = 1;
	o.scheduled_at = lc_now_ms();
	o.foreground = 1;
	/* Only a job with secrets needs libcurl, loaded on first use. */
	if ((job->secrets.keystore != NULL &&
	    lc_keystore_global_init(&cause) != 0) ||
	    lc_supervise(&o, &res, &cause) != 0) {
		cli_error("run %s: %s", job->name, cause);
		free(cause);
		lc_config_free(cfg);
		return (RUN_OWN_ERROR);
	}
	rc = lc_supervise_exit_status(&res);
	if (res.status != LC_RUN_SUCCEEDED)
		cli_error("run %s of %s: %s%s%s", res.run_id, job->name,
		    lc_history_status_name(res.status),
		    res.error[0] != '\0' ? ": " : "", res.error);
	lc_config_free(cfg);
	return (rc);
}

/* reload, cancel, pause, resume: one request each. */
static int
simple_request(int argc, char **argv, const char *cmd, const char *key)
{
	struct lc_config	*cfg;
	const char		*path;
	json_t			*req, *reply = NULL, *errs;
	size_t			 i;
	int			 rc;

	if ((rc = cli_config_opts(cmd, argc, argv, key != NULL, &path)) != -1)
		return (rc);
	rc = CLI_OK;
	if ((cfg = cli_config_load_globals(path)) == NULL)
		return (CLI_USAGE);
	req = json_pack("{s:s}", "cmd", cmd);
	if (key != NULL)
		json_object_set_new(req, key, json_string(argv[optind]));
	if (cli_daemon_request(cfg, req, &reply) != 0) {
		errs = json_object_get(reply, "errors");
		for (i = 0; i < json_array_size(errs); i++)
			fprintf(stderr, "%s\n", json_string_value(
			    json_array_get(errs, i)));
		rc = errs != NULL ? CLI_USAGE : CLI_NO;
	} else if (strcmp(cmd, "reload") == 0)
		printf("reloaded: %lld jobs\n", (long long)json_integer_value(
		    json_object_get(reply, "jobs")));
	json_decref(req);
	json_decref(reply);
	lc_config_free(cfg);
	return (rc);
}

int
cmd_reload(int argc, char **argv)
{
	return (simple_request(argc, argv, "reload", NULL));
}

int
cmd_cancel(int argc, char **argv)
{
	return (simple_request(argc, argv, "cancel", "run"));
}

int
cmd_pause(int argc, char **argv)
{
	return (simple_request(argc, argv, "pause", "job"));
}

int
cmd_resume(int argc, char **argv)
{
	return (simple_request(argc, argv, "resume", "job"));
}
