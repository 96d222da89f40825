/*
 * lockcron import-crontab: a crontab(5) file as a lockcron config on
 * stdout, and what could not be converted on stderr.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lockcron/crontab.h"

#define MAX_CRONTAB	(16 * 1024 * 1024)

/* The user exists on this machine. */
static int
user_exists_cb(const char *name, void *arg)
{
	return (getpwnam(name) != NULL);
}

/* The path is a directory on this machine. */
static int
is_dir_cb(const char *path, void *arg)
{
	struct stat	 sb;

	return (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

/* Reads all of f; NULL (errno set) on error or when it is too large. */
static char *
read_all(FILE *f, size_t *len)
{
	struct lc_buf	 b = { 0 };
	char		 chunk[8192];
	size_t		 n;

	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > MAX_CRONTAB) {
			lc_buf_free(&b);
			errno = EFBIG;
			return (NULL);
		}
		lc_buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		lc_buf_free(&b);
		return (NULL);
	}
	*len = b.len;
	return (lc_buf_steal(&b));
}

/* Reads the crontab at path (NULL: standard input). */
static char *
read_crontab(const char *path, size_t *len)
{
	FILE	*f;
	char	*text;
	int	 saved;

	if (path == NULL)
		return (read_all(stdin, len));
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	text = read_all(f, len);
	saved = errno;
	fclose(f);
	errno = saved;
	return (text);
}

/* Prints the warnings as "FILE:LINE: message". */
static void
print_warnings(const struct lc_crontab *ct, const char *source)
{
	const char	*msg;
	size_t		 i;
	int		 line;

	for (i = 0; i < lc_crontab_nwarnings(ct); i++) {
		msg = lc_crontab_warning(ct, i, &line);
		if (line > 0)
			fprintf(stderr, "%s:%d: %s\n", source, line, msg);
		else
			fprintf(stderr, "%s: %s\n", source, msg);
	}
}

/*
 * Reads the options into opts and *path; returns -1 to go on, else the exit
 * status.
 */
static int
parse_options(int argc, char **argv, struct lc_crontab_opts *opts,
    const char **path)
{
	static const struct option longopts[] = {
		{ "system", no_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("import-crontab");
	int				 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+su:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			opts->kind = LC_CRONTAB_SYSTEM;
			break;
		case 'u':
			opts->user = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (argc - optind > 1) {
		cli_error("import-crontab: one crontab at a time");
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	if (opts->user != NULL && opts->kind == LC_CRONTAB_SYSTEM) {
		cli_error("import-crontab: --user is for a user crontab; a "
		    "system crontab names the user on each line");
		return (CLI_USAGE);
	}
	if (opts->user != NULL && *opts->user == '\0') {
		cli_error("import-crontab: --user needs a user name");
		return (CLI_USAGE);
	}
	if (opts->user != NULL)
		opts->kind = LC_CRONTAB_USER;
	*path = optind < argc && strcmp(argv[optind], "-") != 0 ?
	    argv[optind] : NULL;
	return (-1);
}

int
cmd_import_crontab(int argc, char **argv)
{
	struct lc_crontab_opts	 opts;
	struct lc_crontab	*ct;
	const char		*path = NULL;
	char			*text;
	size_t			 len;
	int			 rc;

	memset(&opts, 0, sizeof opts);
	if ((rc = parse_options(argc, argv, &opts, &path)) != -1)
		return (rc);
	if ((text = read_crontab(path, &len)) == NULL) {
		cli_error("import-crontab: %s: %s", path != NULL ? path :
		    "standard input", strerror(errno));
		return (CLI_USAGE);
	}
	opts.source = path;
	opts.user_exists_cb = user_exists_cb;
	opts.is_dir_cb = is_dir_cb;
	ct = lc_crontab_parse(text, len, &opts);
	fputs(lc_crontab_config(ct), stdout);
	print_warnings(ct, path != NULL ? path : "stdin");
	rc = lc_crontab_nfailed(ct) > 0 ? CLI_NO : CLI_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("import-crontab: writing the config: %s",
		    strerror(errno));
		rc = CLI_USAGE;
	}
	lc_crontab_free(ct);
	free(text);
	return (rc);
}
