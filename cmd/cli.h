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

/* The earliest fire of any of a job's schedules after t; -1: never. */
struct lc_job;
int	 cli_job_next(const struct lc_job *, int64_t t, int64_t *next);

/* Sends one request to the daemon of cfg, printing its error; 0 or -1.
 * *reply is set whenever the daemon answered. */
#include <jansson.h>
int	 cli_daemon_request(const struct lc_config *, json_t *req,
	     json_t **reply);

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

#endif
