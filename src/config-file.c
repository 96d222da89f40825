/*
 * Reading config files: one open descriptor per file, checked (as root:
 * owned by root and not writable by group or others, as cron(8) demands of
 * crontabs) before a byte is parsed; @include directives found by a scan
 * that follows libconfig's own lexer, so they can be refused as root; and
 * the drop-in directory listed in name order.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-int.h"

/* One @include directive: where it is and the path it names. */
struct incl {
	int	 line;
	size_t	 start;		/* first byte of the directive */
	size_t	 end;		/* just past its closing quote */
	char	*path;		/* decoded */
};

size_t
cfg_file_add(struct cfg_ctx *ctx, const char *path)
{
	struct lc_config	*cfg = ctx->cfg;
	size_t			 i;

	for (i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], path) == 0)
			return (i);
	cfg->files = xreallocarray(cfg->files, cfg->nfiles + 1,
	    sizeof *cfg->files);
	cfg->files[cfg->nfiles] = xstrdup(path);
	return (cfg->nfiles++);
}

/* A path as a shell word, for the "fix it with" advice. */
static char *
shell_quote(const char *s)
{
	struct lc_buf	 b = { 0 };
	const char	*p;

	if (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/._+-:@%,=")] == '\0')
		return (xstrdup(s));
	lc_buf_addstr(&b, "'");
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			lc_buf_addstr(&b, "'\\''");
		else
			lc_buf_add(&b, p, 1);
	}
	lc_buf_addstr(&b, "'");
	return (lc_buf_steal(&b));
}

/*
 * As root, a file or directory others can change would let them run
 * commands as root: it must be owned by root and not writable by group or
 * others. Returns -1 (with one error per problem) when it is not.
 */
static int
check_owner(struct cfg_ctx *ctx, size_t file, int line, const char *path,
    const struct stat *st, const char *what)
{
	struct passwd	*pw;
	char		*q;
	int		 rc = 0;

	if (!ctx->opts->as_root)
		return (0);
	q = shell_quote(path);
	if (st->st_uid != 0) {
		pw = getpwuid(st->st_uid);
		cfg_error_at(ctx, file, line, "refusing %s %s: it is owned by "
		    "%s%s(uid %u), not root, and lockcron runs as root; fix it "
		    "with: chown root %s", what, path,
		    pw != NULL ? pw->pw_name : "", pw != NULL ? " " : "",
		    (unsigned int)st->st_uid, q);
		rc = -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		cfg_error_at(ctx, file, line, "refusing %s %s: it is writable "
		    "by %s (mode %04o) and lockcron runs as root; fix it with: "
		    "chmod go-w %s", what, path,
		    (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ?
		    "group and others" : (st->st_mode & S_IWGRP) ? "group" :
		    "others", (unsigned int)(st->st_mode & 07777), q);
		rc = -1;
	}
	free(q);
	return (rc);
}

/* Reads a whole regular file through one descriptor; NULL on error. */
static char *
read_text(struct cfg_ctx *ctx, const char *path, size_t file, size_t *lenp)
{
	struct lc_buf	 b = { 0 };
	struct stat	 st;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		cfg_error_at(ctx, file, 0, "cannot open: %s", strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfg_error_at(ctx, file, 0, "not a regular file");
		goto fail;
	}
	if (check_owner(ctx, file, 0, path, &st, "config file") != 0)
		goto fail;
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cfg_error_at(ctx, file, 0, "cannot read: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > CFG_FILE_MAX) {
			cfg_error_at(ctx, file, 0, "larger than %d MiB",
			    CFG_FILE_MAX / 1024 / 1024);
			goto fail;
		}
		lc_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*lenp = b.len;
	return (lc_buf_steal(&b));
fail:
	close(fd);
	lc_buf_free(&b);
	return (NULL);
}

/* Matches libconfig's include rule at p: ^[ \t]*@include[ \t]+\" */
static size_t
include_open(const char *p)
{
	const char	*q = p;

	q += strspn(q, " \t");
	if (strncmp(q, "@include", 8) != 0)
		return (0);
	q += 8;
	if (*q != ' ' && *q != '\t')
		return (0);
	q += strspn(q, " \t");
	return (*q == '"' ? (size_t)(q + 1 - p) : 0);
}

/* Reads the quoted include path at text[i]; returns the index past it. */
static size_t
include_path(const char *text, size_t len, size_t i, int *line, char **out)
{
	struct lc_buf	 b = { 0 };

	for (; i < len && text[i] != '"'; i++) {
		if (text[i] == '\\' && i + 1 < len &&
		    (text[i + 1] == '\\' || text[i + 1] == '"'))
			i++;
		else if (text[i] == '\n')
			(*line)++;
		lc_buf_add(&b, &text[i], 1);
	}
	*out = lc_buf_steal(&b);
	return (i < len ? i + 1 : len);
}

/*
 * Finds the @include directives libconfig would follow, with its lexer's
 * states: block comments, strings (where \" does not end the string) and
 * line comments; a directive counts only at the start of a line.
 */
static struct incl *
scan_includes(const char *text, size_t len, size_t *nout)
{
	struct incl	*v = NULL;
	size_t		 i = 0, n = 0, k;
	int		 line = 1, bol = 1;

	while (i < len) {
		if (bol && (k = include_open(text + i)) != 0) {
			v = xreallocarray(v, n + 1, sizeof *v);
			v[n].line = line;
			v[n].start = i;
			i = include_path(text, len, i + k, &line, &v[n].path);
			v[n++].end = i;
			bol = 0;
			continue;
		}
		bol = text[i] == '\n';
		if (text[i] == '\n')
			line++;
		if (text[i] == '#' || (text[i] == '/' && text[i + 1] == '/')) {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] == '/' && text[i + 1] == '*') {
			for (i += 2; i < len && !(text[i] == '*' &&
			    text[i + 1] == '/'); i++)
				line += text[i] == '\n';
			i += 2;
			continue;
		}
		if (text[i] == '"') {
			for (i++; i < len && text[i] != '"'; i++) {
				if (text[i] == '\\' && (text[i + 1] == '"' ||
				    text[i + 1] == '\\'))
					i++;
				else
					line += text[i] == '\n';
			}
			i++;
			continue;
		}
		i++;
	}
	*nout = n;
	return (v);
}

/* Reports and blanks out the @include lines we refuse (keeping newlines,
 * so that line numbers stay right and the rest can still be checked). */
static void
check_includes(struct cfg_ctx *ctx, char *text, size_t len)
{
	struct incl	*v;
	size_t		 n, i, j;
	int		 refuse;

	v = scan_includes(text, len, &n);
	for (i = 0; i < n; i++) {
		refuse = 1;
		if (ctx->opts->as_root)
			cfg_error_at(ctx, ctx->file, v[i].line, "@include is "
			    "refused when running as root (libconfig cannot "
			    "check the included file's owner and mode); put "
			    "jobs in a drop-in file in `include_dir` instead");
		else if (v[i].path[0] == '/')
			cfg_error_at(ctx, ctx->file, v[i].line, "@include "
			    "\"%s\": use a path relative to %s (libconfig "
			    "reads every @include from there)", v[i].path,
			    ctx->incdir);
		else
			refuse = 0;
		for (j = v[i].start; refuse && j < v[i].end && j < len; j++)
			if (text[j] != '\n')
				text[j] = ' ';
		free(v[i].path);
	}
	free(v);
}

/* Reports a NUL byte: libconfig would silently stop reading there. */
static int
check_nul(struct cfg_ctx *ctx, const char *text, size_t len)
{
	const char	*p;
	int		 line = 1;

	if ((p = memchr(text, '\0', len)) == NULL)
		return (0);
	for (; text < p; text++)
		line += *text == '\n';
	cfg_error_at(ctx, ctx->file, line, "the file contains a NUL byte");
	return (-1);
}

/*
 * Reads and parses one file; returns the tree, or NULL after reporting why.
 * Makes the file current (ctx->file, ctx->incdir) for the messages.
 */
config_t *
cfg_file_parse(struct cfg_ctx *ctx, const char *path, int dropin)
{
	config_t	*c;
	char		*text, *dir;
	size_t		 len, i;

	ctx->file = cfg_file_add(ctx, path);
	dir = xstrdup(path);
	free(ctx->incdir);
	ctx->incdir = xstrdup(dirname(dir));
	free(dir);
	if ((text = read_text(ctx, path, ctx->file, &len)) == NULL)
		return (NULL);
	if (check_nul(ctx, text, len) != 0) {
		free(text);
		return (NULL);
	}
	check_includes(ctx, text, len);
	c = xmalloc(sizeof *c);
	config_init(c);
	if (!ctx->opts->as_root)
		config_set_include_dir(c, ctx->incdir);
	if (!config_read_string(c, text)) {
		cfg_error_at(ctx, cfg_file_of(ctx, config_error_file(c)),
		    config_error_line(c), "%s", config_error_text(c));
		free(text);
		cfg_file_done(c);
		return (NULL);
	}
	free(text);
	/* Every file libconfig opened itself, in order. */
	for (i = 0; i < c->num_filenames; i++)
		cfg_file_of(ctx, c->filenames[i]);
	if (ctx->opts->as_root && c->num_filenames > 0) {
		cfg_error_at(ctx, ctx->file, 0, "@include is refused when "
		    "running as root");
		cfg_file_done(c);
		return (NULL);
	}
	return (c);
}

void
cfg_file_done(config_t *c)
{
	if (c == NULL)
		return;
	config_destroy(c);
	free(c);
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Checks the drop-in directory itself: as root, others must not add to it. */
static int
check_dir(struct cfg_ctx *ctx, const char *dir, const config_setting_t *where)
{
	struct stat	 st;
	size_t		 file = cfg_setting_file(ctx, where);
	int		 line = (int)config_setting_source_line(where);

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			cfg_warn(ctx, where, "`include_dir`: %s does not exist",
			    dir);
		else
			cfg_error(ctx, where, "`include_dir`: %s: %s", dir,
			    strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		cfg_error(ctx, where, "`include_dir`: %s is not a directory",
		    dir);
		return (-1);
	}
	return (check_owner(ctx, file, line, dir, &st, "include_dir"));
}

/* Every *.conf in dir (not hidden), sorted by name; NULL-terminated. */
char **
cfg_file_list_dropins(struct cfg_ctx *ctx, const char *dir,
    const config_setting_t *where)
{
	struct dirent	*de;
	DIR		*d;
	char		**v = NULL;
	size_t		 n = 0, len;

	if (check_dir(ctx, dir, where) != 0)
		return (NULL);
	if ((d = opendir(dir)) == NULL) {
		cfg_error(ctx, where, "`include_dir`: %s: %s", dir,
		    strerror(errno));
		return (NULL);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		xasprintf(&v[n++], "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
	}
	closedir(d);
	if (v == NULL)
		return (xcalloc(1, sizeof *v));
	qsort(v, n, sizeof *v, name_cmp);
	v[n] = NULL;
	return (v);
}
