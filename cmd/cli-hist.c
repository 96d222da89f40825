/*
 * What the history commands share: finding the history through the config
 * (only its global settings, unless the command needs the jobs), opening it
 * read-only with messages that say which file and why, the zone tables
 * show times in, and the options they all parse.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/history.h"
#include "lockcron/tz.h"

/* Loads the config, printing its errors unless quiet; NULL on errors. */
static struct lc_config *
load(const char *path, int globals_only, int quiet)
{
	struct lc_config_opts	 opts = { 0 };
	struct lc_config_diag	 diag = { 0 };
	struct lc_config	*cfg;
	size_t			 i;

	opts.as_root = geteuid() == 0;
	opts.globals_only = globals_only;
	cfg = lc_config_load(path, &opts, &diag);
	for (i = 0; !quiet && i < diag.nerrors; i++)
		fprintf(stderr, "%s\n", diag.errors[i]);
	lc_config_diag_clear(&diag);
	return (cfg);
}

/*
 * The config and where the history is. Readers go on with what they can:
 * a config whose jobs have errors still names the state directory, and
 * without a usable config the default one is read (and the message says
 * so). CLI_HIST_STRICT commands stop instead.
 */
static int
find_state(struct cli_hist *ch, const char *path, int flags)
{
	struct lc_config	*globals;
	char			*def = NULL;

	if (path == NULL)
		path = def = lc_config_default_path(geteuid() == 0);
	globals = ch->cfg = load(path, !(flags & CLI_HIST_JOBS), 0);
	if (globals == NULL && (flags & CLI_HIST_JOBS))
		globals = load(path, 1, 1);
	if (globals == NULL && (flags & CLI_HIST_STRICT)) {
		free(def);
		return (-1);
	}
	if (globals != NULL) {
		ch->state_dir = xstrdup(globals->state_dir);
		if (globals->timezone != NULL)
			ch->timezone = xstrdup(globals->timezone);
	} else {
		ch->state_dir = lc_config_default_state_dir(geteuid() == 0);
		cli_error("%s cannot be used: reading the history of the "
		    "default state directory, %s", path, ch->state_dir);
	}
	if (globals != ch->cfg)
		lc_config_free(globals);
	free(def);
	return (0);
}

/* Says why the history cannot be read, plainly. */
static void
open_error(const char *path, int err, const char *cause)
{
	switch (err) {
	case EACCES:
	case EPERM:
		cli_error("%s: cannot read the history: %s", path,
		    strerror(err));
		break;
	case EBADMSG:
		cli_error("%s: the history database is corrupt or not "
		    "lockcron's (%s)", path, cause);
		break;
	default:
		cli_error("%s", cause);
		break;
	}
}

/* The zone and the read-only history of a found state directory. */
static int
open_db(struct cli_hist *ch, int flags)
{
	char	*cause = NULL;
	int	 err;

	if ((ch->tz = lc_tz_load(ch->timezone, NULL)) == NULL)
		ch->tz = lc_tz_load("UTC", NULL);
	ch->path = lc_history_default_path(ch->state_dir);
	ch->h = lc_history_open(ch->path, LC_HISTORY_READONLY, NULL, &cause);
	if (ch->h != NULL)
		return (CLI_OK);
	err = errno;
	if (err == ENOENT || ((flags & CLI_HIST_LENIENT) && (err == EACCES ||
	    err == EPERM))) {
		ch->missing = cause;
		if (err != ENOENT)
			cli_error("warning: %s: cannot read the history: %s",
			    ch->path, strerror(err));
		else if (!(flags & CLI_HIST_QUIET))
			cli_error("%s", cause);
		return (CLI_OK);
	}
	open_error(ch->path, err, cause);
	free(cause);
	return (CLI_USAGE);
}

int
cli_hist_open(struct cli_hist *ch, const char *config, int flags)
{
	memset(ch, 0, sizeof *ch);
	if (find_state(ch, config, flags) != 0)
		return (CLI_USAGE);
	return (open_db(ch, flags));
}

int
cli_hist_attach(struct cli_hist *ch, const struct lc_config *cfg, int flags)
{
	memset(ch, 0, sizeof *ch);
	ch->state_dir = xstrdup(cfg->state_dir);
	if (cfg->timezone != NULL)
		ch->timezone = xstrdup(cfg->timezone);
	return (open_db(ch, flags));
}

void
cli_hist_close(struct cli_hist *ch)
{
	lc_history_close(ch->h);
	lc_config_free(ch->cfg);
	lc_tz_free(ch->tz);
	free(ch->state_dir);
	free(ch->timezone);
	free(ch->path);
	free(ch->missing);
	memset(ch, 0, sizeof *ch);
}

int
cli_parse_format(const char *s, enum lc_output_format *f)
{
	if (lc_output_parse_format(s, f) == 0)
		return (0);
	cli_error("--format: expected table, json or csv, got \"%s\"", s);
	return (-1);
}

/* Prints a one-line error and the usage of cmd; returns CLI_USAGE. */
int
cli_bad_usage(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fputs("lockcron: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(cli_find(cmd), 0);
	return (CLI_USAGE);
}
