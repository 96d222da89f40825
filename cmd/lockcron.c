/*
 * lockcron: the command-line interface. Dispatches to one function per
 * command; every command's logic lives in the library.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "check", "[-c FILE]",
	  "validate the config and its drop-ins", cmd_check },
	{ "list", "[-c FILE] [--format table|json|csv] [--from TIME]",
	  "list the jobs with their next fire times and last runs",
	  cmd_list },
	{ "next", "[--tz ZONE] [--from TIME] [-n COUNT] [-c FILE] EXPR|JOB",
	  "print the next fire times of a schedule or a job", cmd_next },
	{ "run", "[-c FILE] [--no-wait] JOB",
	  "run a job now, in the foreground or through the daemon", cmd_run },
	{ "cancel", "[-c FILE] RUN",
	  "cancel a queued or running run", cmd_cancel },
	{ "pause", "[-c FILE] JOB",
	  "pause a job: its fires are recorded as skipped", cmd_pause },
	{ "resume", "[-c FILE] JOB", "resume a paused job", cmd_resume },
	{ "reload", "[-c FILE]",
	  "make the daemon re-read its configuration", cmd_reload },
	{ "edit", "[-c FILE] [JOB]",
	  "edit the config (or JOB's drop-in), check it, install, reload",
	  cmd_edit },
	{ "history", "[-c FILE] [--status S[,S...]] [--trigger K[,K...]] "
	  "[--since TIME] [--until TIME] [--limit N] "
	  "[--format table|json|csv] [JOB...]",
	  "list runs, newest first", cmd_history },
	{ "show", "[-c FILE] [--format table|json] RUN",
	  "show a run: its fields, events and output", cmd_show },
	{ "status", "[-c FILE] [--format table|json|csv] [JOB...]",
	  "each job's last run, last success and next fire (exit 0, 1 or 3)",
	  cmd_status },
	{ "logs", "[-c FILE] [--follow] RUN",
	  "print a run's output, or follow it while it runs", cmd_logs },
	{ "metrics", "[-c FILE] [--output FILE]",
	  "print the history as Prometheus metrics", cmd_metrics },
	{ "prune", "[-c FILE] [--keep-days N] [--keep-runs N] [--dry-run]",
	  "delete old runs from the history", cmd_prune },
	{ "import-crontab", "[--system] [--user NAME] [FILE|-]",
	  "convert a crontab(5) file into lockcron jobs", cmd_import_crontab },
};

void
cli_error(const char *fmt, ...)
{
	va_list	 ap;

	fputs("lockcron: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_usage(const struct cli_command *cmd, int to_stdout)
{
	fprintf(to_stdout ? stdout : stderr, "usage: lockcron %s %s\n",
	    cmd->name, cmd->args);
}

const struct cli_command *
cli_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < LC_NELEM(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return (&commands[i]);
	return (NULL);
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: lockcron [--version] [--help] [-c FILE] COMMAND "
	    "[ARGS]\n\n"
	    "commands:\n");
	for (i = 0; i < LC_NELEM(commands); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\n'lockcron COMMAND --help' describes a command; "
	    "lockcron(1) has the details.\n");
}

int
main(int argc, char **argv)
{
	const struct cli_command	*cmd;

	if (argc < 2) {
		usage(stderr);
		return (CLI_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return (CLI_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("lockcron %s\n", PACKAGE_VERSION);
		return (CLI_OK);
	}
	/* A global -c FILE, before the command, stands for every command's. */
	if (argc >= 3 && (strcmp(argv[1], "-c") == 0 ||
	    strcmp(argv[1], "--config") == 0)) {
		setenv("LOCKCRON_CONFIG", argv[2], 1);
		argc -= 2;
		argv += 2;
		if (argc < 2) {
			usage(stderr);
			return (CLI_USAGE);
		}
	}
	if ((cmd = cli_find(argv[1])) == NULL) {
		cli_error("unknown command \"%s\"", argv[1]);
		usage(stderr);
		return (CLI_USAGE);
	}
	return (cmd->fn(argc - 1, argv + 1));
}
