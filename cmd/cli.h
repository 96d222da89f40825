/*
 * The lockcron CLI: one function per command, each in cmd/cli-NAME.c.
 */
#ifndef LOCKCRON_CLI_H
#define LOCKCRON_CLI_H

#include "lockcron/util.h"

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

int	 cmd_next(int, char **);
int	 cmd_import_crontab(int, char **);

#endif
