/*
 * Reading config files: one open descriptor per file, checked (as root:
 * owned by root and not writable by group or others, as cron(8) demands of
 * crontabs) before a byte is parsed; @include directives found by a scan
 * that follows libconfig's own lexer, so they can be refused as root; a
 * long jobs list parsed in chunks re-read from the descriptor (see
 * config-split.c); and the drop-in directory listed in name order.
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

/* Reads the whole file from fd into a buffer of its size; NULL on error. */
static char *
read_all(struct cfg_ctx *ctx, int fd, size_t file, off_t size, size_t *lenp)
{
	char	*buf;
	size_t	 cap, len = 0;
	ssize_t	 n;

	if (size > CFG_FILE_MAX)
		goto big;
	cap = (size_t)size + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (len + 1 == cap) {
			if (cap > CFG_FILE_MAX)
				break;
			buf = xreallocarray(buf, 2, cap);
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cfg_error_at(ctx, file, 0, "cannot read: %s",
			    strerror(errno));
			free(buf);
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CFG_FILE_MAX) {
		free(buf);
		goto big;
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
big:
	cfg_error_at(ctx, file, 0, "larger than %d MiB",
	    CFG_FILE_MAX / 1024 / 1024);
	return (NULL);
}

/*
 * Opens a regular file (as root: root's, not writable by group or others),
 * or the copy that opts->replace_with puts in its place, and reads it whole. The descriptor stays open in ft: the chunks of a
 * long jobs list are read again from it, one at a time.
 */
static int
read_text(struct cfg_ctx *ctx, const char *path, struct cfg_text *ft)
{
	size_t	 file = ctx->file;

	if (ctx->opts->replace_path != NULL &&
	    strcmp(path, ctx->opts->replace_path) == 0)
		path = ctx->opts->replace_with;
	ft->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (ft->fd == -1) {
		cfg_error_at(ctx, file, 0, "cannot open: %s", strerror(errno));
		return (-1);
	}
	if (fstat(ft->fd, &ft->st) != 0 || !S_ISREG(ft->st.st_mode)) {
		cfg_error_at(ctx, file, 0, "not a regular file");
		return (-1);
	}
	if (check_owner(ctx, file, 0, path, &ft->st, "config file") != 0)
		return (-1);
	ft->text = read_all(ctx, ft->fd, file, ft->st.st_size, &ft->len);
	return (ft->text != NULL ? 0 : -1);
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
 * so that line numbers stay right and the rest can still be checked).
 * Returns how many directives there were. */
static size_t
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
	return (n);
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

/* Jobs per chunk when a long jobs list is read in parts (config-split.c);
 * 0 reads every file whole. Tests and the fuzzer vary it. */
size_t	 cfg_chunk_jobs = 500;

/* Parses text; on a syntax error reports nothing, *c is NULL and line and
 * why say where and what. */
static config_t *
parse(struct cfg_ctx *ctx, const char *text, int *line, const char **file,
    char **why)
{
	config_t	*c;

	c = xmalloc(sizeof *c);
	config_init(c);
	if (!ctx->opts->as_root)
		config_set_include_dir(c, ctx->incdir);
	if (config_read_string(c, text))
		return (c);
	*line = config_error_line(c);
	*file = NULL;
	if (config_error_file(c) != NULL)
		*file = xstrdup(config_error_file(c));
	*why = xstrdup(config_error_text(c));
	cfg_file_done(c);
	return (NULL);
}

/* Chunk k of the jobs list, read again from the file: "jobs=(...)". NULL
 * when the file no longer has those bytes. */
static char *
read_chunk(struct cfg_text *ft, size_t k, int *line)
{
	const struct cfg_split	*sp = &ft->split;
	size_t			 start, end, got = 0;
	char			*buf;
	ssize_t			 n;

	if (ft->text != NULL)
		return (cfg_split_chunk(ft->text, sp, k, line));
	start = k == 0 ? sp->open + 1 : sp->cuts[k - 1] + 1;
	end = k < sp->ncuts ? sp->cuts[k] : sp->close;
	*line = sp->lines[k];
	buf = xmalloc(end - start + 8);
	memcpy(buf, "jobs=(", 6);
	while (got < end - start) {
		n = pread(ft->fd, buf + 6 + got, end - start - got,
		    (off_t)(start + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return (NULL);
		}
		got += (size_t)n;
	}
	memcpy(buf + 6 + got, ")", 2);
	return (buf);
}

/* The file still is what was read: same inode, size and times. */
static int
unchanged(const struct cfg_text *ft)
{
	struct stat	 st;

	return (fstat(ft->fd, &st) == 0 && st.st_ino == ft->st.st_ino &&
	    st.st_size == ft->st.st_size &&
	    st.st_mtim.tv_sec == ft->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == ft->st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == ft->st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == ft->st.st_ctim.tv_nsec);
}

/*
 * Parses the file's text, without the body of its jobs list when that can
 * be read in chunks. On a syntax error, reports the one libconfig finds
 * first in the whole text: a chunk's error may come before the one in the
 * rest, and lines alone cannot always tell (a list on one line).
 */
static config_t *
parse_main(struct cfg_ctx *ctx, struct cfg_text *ft)
{
	const char	*file;
	config_t	*c;
	char		*text, *why;
	int		 line;

	ft->has_split = cfg_chunk_jobs > 0 && cfg_split_find(ft->text, ft->len,
	    cfg_chunk_jobs, &ft->split) == 0;
	if (ft->has_split) {
		text = cfg_split_main(ft->text, ft->len, &ft->split);
		c = parse(ctx, text, &line, &file, &why);
		free(text);
		if (c != NULL)
			return (c);
		free((char *)file);
		free(why);
	}
	if ((c = parse(ctx, ft->text, &line, &file, &why)) != NULL) {
		/* Cannot happen: the rest failed to parse on its own. */
		cfg_split_free(&ft->split);
		ft->has_split = 0;
		return (c);
	}
	cfg_error_at(ctx, cfg_file_of(ctx, file), line, "%s", why);
	free((char *)file);
	free(why);
	return (NULL);
}

/*
 * Reads and parses one file; NULL after reporting why. Makes the file
 * current (ctx->file, ctx->incdir) for the messages. Its jobs list may be
 * left for cfg_file_chunk().
 */
struct cfg_text *
cfg_file_open(struct cfg_ctx *ctx, const char *path)
{
	struct cfg_text	*ft;
	char		*dir;
	size_t		 i, nincl;

	ctx->file = cfg_file_add(ctx, path);
	dir = xstrdup(path);
	free(ctx->incdir);
	ctx->incdir = xstrdup(dirname(dir));
	free(dir);
	ft = xcalloc(1, sizeof *ft);
	ft->fd = -1;
	ft->njobs = ctx->cfg->njobs;
	if (read_text(ctx, path, ft) != 0 ||
	    check_nul(ctx, ft->text, ft->len) != 0)
		goto fail;
	nincl = check_includes(ctx, ft->text, ft->len);
	ft->mark = ctx->nmsgs;	/* what a chunk's syntax error replaces */
	if ((ft->c = parse_main(ctx, ft)) == NULL)
		goto fail;
	/*
	 * The chunks are read again from the file, one at a time: the text
	 * of 100,000 jobs need not stay beside their table. Not when it had
	 * @include lines: the text read is the one with them blanked out.
	 */
	if (nincl == 0) {
		free(ft->text);
		ft->text = NULL;
	}
	/* Every file libconfig opened itself, in order. */
	for (i = 0; i < ft->c->num_filenames; i++)
		cfg_file_of(ctx, ft->c->filenames[i]);
	if (ctx->opts->as_root && ft->c->num_filenames > 0) {
		cfg_error_at(ctx, ctx->file, 0, "@include is refused when "
		    "running as root");
		goto fail;
	}
	return (ft);
fail:
	cfg_file_close(ctx, ft);
	return (NULL);
}

/* A chunk failed: the file counts as unreadable, as libconfig would have
 * stopped there: forget its messages and the jobs read from it. */
static void
chunk_failed(struct cfg_ctx *ctx, struct cfg_text *ft)
{
	cfg_msgs_truncate(ctx, ft->mark);
	cfg_jobs_truncate(ctx, ft->njobs);
	ft->failed = 1;
}

/*
 * The next chunk of the jobs list, as a tree whose `jobs` holds its
 * elements; *base: how many elements came before. NULL when there is no
 * more, or (ft->failed) when a chunk has a syntax error: then that error
 * replaces every message about this file, as if libconfig had stopped.
 */
config_t *
cfg_file_chunk(struct cfg_ctx *ctx, struct cfg_text *ft, size_t *base)
{
	const char	*file;
	config_t	*c;
	char		*text, *why;
	int		 start, line;

	ctx->line_offset = 0;
	if (!ft->has_split || ft->failed ||
	    ft->next >= cfg_split_count(&ft->split))
		return (NULL);
	if ((text = read_chunk(ft, ft->next, &start)) == NULL ||
	    (ft->next + 1 == cfg_split_count(&ft->split) && !unchanged(ft))) {
		free(text);
		chunk_failed(ctx, ft);
		cfg_error_at(ctx, ctx->file, 0, "the file changed while it was "
		    "read; check it again");
		return (NULL);
	}
	c = parse(ctx, text, &line, &file, &why);
	free(text);
	if (c == NULL) {
		free((char *)file);
		chunk_failed(ctx, ft);
		cfg_error_at(ctx, ctx->file, line + start - 1, "%s", why);
		free(why);
		return (NULL);
	}
	if (ctx->opts->as_root && c->num_filenames > 0) {
		cfg_file_done(c);
		chunk_failed(ctx, ft);
		cfg_error_at(ctx, ctx->file, 0, "@include is refused when "
		    "running as root");
		return (NULL);
	}
	ctx->line_offset = start - 1;
	*base = ft->base;
	ft->base += (size_t)config_setting_length(config_lookup(c, "jobs"));
	ft->next++;
	return (c);
}

void
cfg_file_close(struct cfg_ctx *ctx, struct cfg_text *ft)
{
	if (ft == NULL)
		return;
	ctx->line_offset = 0;
	cfg_file_done(ft->c);
	cfg_split_free(&ft->split);
	free(ft->text);
	if (ft->fd != -1)
		close(ft->fd);
	free(ft);
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
	int		 line = cfg_setting_line(ctx, where);

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
