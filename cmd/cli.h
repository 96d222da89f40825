/*
 * The lockcron CLI: one function per command, each in cmd/cli-NAME.c.
 */
#ifndef LOCKCRON_CLI_H
#define LOCKCRON_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "lockcron/util.h"

struct lc_config;

/* Exit statuses shared by every command (see lockcron(1), EXIT STATUS). */
#define CLI_OK		0
#define CLI_NO		1	/* a negative answer: never fires, a job failed */
#define CLI_USAGE	2	/* bad arguments or invalid input */

struct cli_command {
	const char	*name;
	const char	*args;
	const char	*summary;
	int		(*fn)(int, char **);
};

/* Prints "lockcron: message" on stderr. */
void	 cli_error(const char *fmt, ...) LC_PRINTF(1, 2);
/* Prints a usage line for cmd on stderr (or stdout for --help). */
void	 cli_usage(const struct cli_command *, int to_stdout);
const struct cli_command *cli_find(const char *name);

/* Loads the config (path NULL: the default), printing every problem on
 * stderr; NULL when it has errors. */
struct lc_config *cli_config_load(const char *path, size_t *nerrors);
struct lc_config *cli_config_load_globals(const char *path);

/* Parses -c FILE and --help, then expects nargs operands at optind;
 * -1 to go on, else the exit status. */
int	 cli_config_opts(const char *name, int argc, char **argv, int nargs,
	     const char **path);

/* The earliest fire of any of a job's schedules after t; -1: never. */
struct lc_job;
int	 cli_job_next(const struct lc_job *, int64_t t, int64_t *next);

/* Sends one request to the daemon of cfg, printing its error; 0 or -1.
 * *reply is set whenever the daemon answered. */
#include <jansson.h>
int	 cli_daemon_request(const struct lc_config *, json_t *req,
	     json_t **reply);

/* The history of a config, for the history commands (cmd/cli-hist.c). */
#include "lockcron/output.h"
struct lc_history;
struct lc_tz;
#define CLI_HIST_JOBS	0x1	/* load the jobs too (status, list) */
#define CLI_HIST_STRICT	0x2	/* an unusable config is an error */
#define CLI_HIST_QUIET	0x4	/* say nothing about a missing history */
#define CLI_HIST_LENIENT 0x8	/* an unreadable history: a warning */
struct cli_hist {
	struct lc_config	*cfg;		/* NULL: unusable */
	char			*state_dir;
	char			*timezone;	/* NULL: the system's */
	struct lc_tz		*tz;		/* tables' wall clock */
	char			*path;		/* STATE_DIR/history.db */
	struct lc_history	*h;		/* NULL: none yet */
	char			*missing;	/* why h is NULL */
};
/*
 * Loads the config and opens its history read-only. A missing history
 * leaves h NULL (and says so unless QUIET): CLI_OK. An unreadable or
 * corrupt one, or with STRICT an unusable config, is an error printed on
 * stderr: CLI_USAGE. Close in every case.
 */
int	 cli_hist_open(struct cli_hist *, const char *config, int flags);
/* The same for a config already loaded (the caller keeps it). */
int	 cli_hist_attach(struct cli_hist *, const struct lc_config *,
	     int flags);
void	 cli_hist_close(struct cli_hist *);
/* A run by id or unique prefix (cmd/cli-show.c): CLI_OK, CLI_NO when
 * no run matches, CLI_USAGE otherwise (the error printed). */
struct lc_run;
int	 cli_run_get(struct cli_hist *, const char *cmd, const char *prefix,
	     struct lc_run *);
/* --format's value, or an error printed on stderr and -1. */
int	 cli_parse_format(const char *, enum lc_output_format *);
/* A one-line error and the usage of command cmd; returns CLI_USAGE. */
int	 cli_bad_usage(const char *cmd, const char *fmt, ...) LC_PRINTF(2, 3);

int	 cmd_check(int, char **);
int	 cmd_list(int, char **);
int	 cmd_next(int, char **);
int	 cmd_import_crontab(int, char **);
int	 cmd_run(int, char **);
int	 cmd_reload(int, char **);
int	 cmd_cancel(int, char **);
int	 cmd_pause(int, char **);
int	 cmd_resume(int, char **);
int	 cmd_edit(int, char **);
int	 cmd_history(int, char **);
int	 cmd_show(int, char **);
int	 cmd_status(int, char **);
int	 cmd_metrics(int, char **);
int	 cmd_logs(int, char **);
int	 cmd_prune(int, char **);

#endif
