/*
 * lockcron edit: `crontab -e` for lockcron. The config file, or the drop-in
 * that holds JOB, is edited on a copy in the same directory with the same
 * owner and mode; the whole configuration is checked as `check` does, with
 * the copy in the file's place; only a valid copy is installed, by
 * rename(), so the daemon never reads a half-written or invalid file; then
 * the daemon reloads.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/config.h"
#include "lockcron/ctl.h"

/* Exit statuses of `edit` (lockcron(1)). */
#define EDIT_FAILED	1	/* editor failed, file changed, reload refused */

struct edit {
	const char	*main;		/* the main config, as the loader names it */
	char		*target;	/* the edited file, as the loader names it */
	char		*real;		/* what rename() replaces */
	char		*tmp;		/* the copy being edited */
	struct stat	 st;		/* the original's */
	int		 exists;	/* the original exists */
	char		*orig;		/* its content */
	size_t		 origlen;
	int		 keep;		/* the copy is not to be removed */
};

/* The copy's path for the signal handler: removed if we are killed. */
static const char *volatile tmp_path;

static void
die_cb(int sig)
{
	if (tmp_path != NULL)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads a whole file; NULL with errno on failure. */
static char *
read_file(const char *path, size_t *lenp)
{
	struct lc_buf	 b = { 0 };
	char		 buf[8192];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (NULL);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			lc_buf_free(&b);
			errno = saved;
			return (NULL);
		}
		lc_buf_add(&b, buf, (size_t)n);
	}
	close(fd);
	*lenp = b.len;
	return (b.data != NULL ? lc_buf_steal(&b) : xstrdup(""));
}

/* Is file one of cfg's drop-ins (include_dir/NAME)? */
static int
is_dropin(const struct lc_config *cfg, const char *file)
{
	size_t	 len;

	if (cfg->include_dir == NULL)
		return (0);
	len = strlen(cfg->include_dir);
	while (len > 1 && cfg->include_dir[len - 1] == '/')
		len--;
	return (strncmp(file, cfg->include_dir, len) == 0 &&
	    file[len] == '/' && strchr(file + len + 1, '/') == NULL);
}

/*
 * The file that holds job: its src_file in the current config. Only the
 * main file and drop-ins can be checked with a copy in their place; a file
 * libconfig reads itself (@include) cannot.
 */
static char *
job_file(const char *main, const char *name)
{
	struct lc_config	*cfg;
	const struct lc_job	*job;
	char			*file = NULL;

	if ((cfg = cli_config_load(main, NULL)) == NULL) {
		cli_error("cannot look for job \"%s\": %s has errors; fix them "
		    "with `lockcron edit` (without a job)", name, main);
		return (NULL);
	}
	if ((job = lc_config_find_job(cfg, name)) == NULL)
		cli_error("no job \"%s\" in %s", name, main);
	else if (strcmp(job->src_file, main) != 0 &&
	    !is_dropin(cfg, job->src_file))
		cli_error("job \"%s\" is in %s, which %s @includes: edit that "
		    "file directly, then run `lockcron check`", name,
		    job->src_file, main);
	else
		file = xstrdup(job->src_file);
	lc_config_free(cfg);
	return (file);
}

/* Resolves the target and reads it; a missing main file starts empty. */
static int
edit_open(struct edit *e, int may_create)
{
	char	 buf[PATH_MAX], *dir, *cause = NULL;
	int	 rc;

	if (realpath(e->target, buf) != NULL)
		e->real = xstrdup(buf);
	else if (errno == ENOENT && may_create) {
		/* A first config: its directory too (~/.config/lockcron). */
		dir = xstrdup(e->target);
		if ((rc = lc_mkdir_p(dirname(dir), 0755, &cause)) != 0) {
			cli_error("%s", cause);
			free(cause);
		}
		free(dir);
		if (rc != 0)
			return (-1);
		e->real = xstrdup(e->target);
		e->st.st_uid = geteuid();
		e->st.st_gid = getegid();
		e->st.st_mode = S_IFREG | 0644;
		e->orig = xstrdup("");
		return (0);
	} else {
		cli_error("%s: %s", e->target, strerror(errno));
		return (-1);
	}
	if (stat(e->real, &e->st) != 0 || !S_ISREG(e->st.st_mode)) {
		cli_error("%s: not a regular file", e->real);
		return (-1);
	}
	if ((e->orig = read_file(e->real, &e->origlen)) == NULL) {
		cli_error("%s: %s", e->real, strerror(errno));
		return (-1);
	}
	e->exists = 1;
	return (0);
}

/* Gives fd the original's owner and mode (an editor may have replaced the
 * copy by a new file of its own) and flushes it to disk. */
static int
fix_copy(const struct edit *e, int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cli_error("%s: no longer a regular file", e->tmp);
		return (-1);
	}
	if ((st.st_uid != e->st.st_uid || st.st_gid != e->st.st_gid) &&
	    fchown(fd, e->st.st_uid, e->st.st_gid) != 0) {
		cli_error("cannot give %s the owner of %s: %s", e->tmp,
		    e->real, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, e->st.st_mode & 07777) != 0 || fsync(fd) != 0) {
		cli_error("%s: %s", e->tmp, strerror(errno));
		return (-1);
	}
	return (0);
}

/* The copy beside the target: a hidden name, never read as a drop-in. */
static int
edit_copy(struct edit *e)
{
	char	*dir, *base;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd, rc;

	dir = xstrdup(e->real);
	base = xstrdup(e->real);
	xasprintf(&e->tmp, "%s/.%s.XXXXXX", dirname(dir), basename(base));
	free(dir);
	free(base);
	if ((fd = mkostemp(e->tmp, O_CLOEXEC)) == -1) {
		cli_error("cannot create a copy in the directory of %s: %s",
		    e->real, strerror(errno));
		free(e->tmp);
		e->tmp = NULL;
		return (-1);
	}
	tmp_path = e->tmp;
	while (off < e->origlen) {
		if ((n = write(fd, e->orig + off, e->origlen - off)) == -1 &&
		    errno != EINTR)
			break;
		off += n > 0 ? (size_t)n : 0;
	}
	if (off < e->origlen) {
		cli_error("%s: %s", e->tmp, strerror(errno));
		close(fd);
		return (-1);
	}
	rc = fix_copy(e, fd);
	close(fd);
	return (rc);
}

/* Runs $VISUAL, else $EDITOR, else vi on the copy, as crontab(1) does:
 * through the shell, the file as "$1" so its name is never parsed. */
static int
run_editor(const struct edit *e)
{
	struct sigaction	 ign, old_int, old_quit;
	const char		*ed;
	char			*cmd;
	pid_t			 pid;
	int			 st = 0;

	if ((ed = getenv("VISUAL")) == NULL || *ed == '\0')
		if ((ed = getenv("EDITOR")) == NULL || *ed == '\0')
			ed = "vi";
	xasprintf(&cmd, "%s \"$1\"", ed);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	if ((pid = fork()) == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execl("/bin/sh", "sh", "-c", cmd, "sh", e->tmp, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(cmd);
	if (pid == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (pid != -1 && WIFEXITED(st))
			cli_error("the editor (%s) exited with status %d", ed,
			    WEXITSTATUS(st));
		else
			cli_error("the editor (%s) failed", ed);
		return (-1);
	}
	return (0);
}

/* Loads the configuration with the copy in the target's place. */
static struct lc_config *
validate(const struct edit *e, size_t *nerrors)
{
	struct lc_config_opts	 opts;
	struct lc_config_diag	 diag = { 0 };
	struct lc_config	*cfg;
	size_t			 i;

	memset(&opts, 0, sizeof opts);
	opts.as_root = geteuid() == 0;
	opts.replace_path = e->target;
	opts.replace_with = e->tmp;
	cfg = lc_config_load(e->main, &opts, &diag);
	for (i = 0; i < diag.nall; i++)
		fprintf(stderr, "%s\n", diag.all[i]);
	*nerrors = diag.nerrors;
	lc_config_diag_clear(&diag);
	return (cfg);
}

/* "edit again? [Y/n]" on stderr, the answer from stdin; end of file (no
 * one to ask) is a no. */
static int
ask_again(void)
{
	char	 line[64];

	fprintf(stderr, "edit again? [Y/n] ");
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL) {
		fprintf(stderr, "\n");
		return (0);
	}
	line[strcspn(line, " \t\r\n")] = '\0';
	return (line[0] == '\0' || strcasecmp(line, "y") == 0 ||
	    strcasecmp(line, "yes") == 0);
}

/* Did the copy change? Reads it back after fixing its owner and mode. */
static int
copy_changed(const struct edit *e, int *changed)
{
	char	*text;
	size_t	 len = 0;
	int	 fd, rc;

	if ((fd = open(e->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		cli_error("%s: %s", e->tmp, strerror(errno));
		return (-1);
	}
	rc = fix_copy(e, fd);
	close(fd);
	if (rc != 0)
		return (-1);
	if ((text = read_file(e->tmp, &len)) == NULL) {
		cli_error("%s: %s", e->tmp, strerror(errno));
		return (-1);
	}
	*changed = len != e->origlen || memcmp(text, e->orig, len) != 0;
	free(text);
	return (0);
}

/*
 * Edits until the copy is valid and returns the configuration it makes;
 * else NULL with *rc: the editor failed, nothing changed, or the errors
 * stay (the answer was no, or there is no one to ask).
 */
static struct lc_config *
edit_loop(struct edit *e, int *rc)
{
	struct lc_config	*cfg;
	size_t			 nerrors;
	int			 changed;

	for (;;) {
		*rc = EDIT_FAILED;
		if (run_editor(e) != 0 || copy_changed(e, &changed) != 0)
			return (NULL);
		if (!changed) {
			printf("no changes made to %s\n", e->target);
			*rc = CLI_OK;
			return (NULL);
		}
		if ((cfg = validate(e, &nerrors)) != NULL)
			return (cfg);
		cli_error("%s: %zu error%s: not installed", e->target, nerrors,
		    nerrors == 1 ? "" : "s");
		if (!ask_again()) {
			cli_error("%s left unchanged", e->target);
			*rc = CLI_USAGE;
			return (NULL);
		}
	}
}

/* Did anyone change or create the target since we read it? */
static int
target_moved(const struct edit *e)
{
	struct stat	 st;

	if (!e->exists)
		return (lstat(e->real, &st) == 0 || errno != ENOENT);
	return (stat(e->real, &st) != 0 || st.st_dev != e->st.st_dev ||
	    st.st_ino != e->st.st_ino || st.st_size != e->st.st_size ||
	    st.st_mtim.tv_sec != e->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != e->st.st_mtim.tv_nsec);
}

/* rename() over the target, then the directory to disk. */
static int
install(struct edit *e)
{
	char	*dir;
	int	 fd;

	if (target_moved(e)) {
		cli_error("%s changed while you were editing it; your version "
		    "is in %s", e->real, e->tmp);
		e->keep = 1;
		return (-1);
	}
	if (rename(e->tmp, e->real) != 0) {
		cli_error("cannot install %s: %s", e->real, strerror(errno));
		return (-1);
	}
	e->keep = 1;
	tmp_path = NULL;
	dir = xstrdup(e->real);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	printf("installed %s\n", e->real);
	return (0);
}

/* Asks the daemon to reload; one that does not answer is only a warning. */
static int
reload(const struct lc_config *cfg)
{
	json_t		*req, *reply = NULL, *errs;
	const char	*why;
	char		*path, *cause = NULL;
	size_t		 i;
	int		 rc = CLI_OK;

	xasprintf(&path, "%s/%s", cfg->runtime_dir, LC_CTL_SOCKET);
	req = json_pack("{s:s}", "cmd", "reload");
	if (lc_ctl_request(path, req, 60000, &reply, &cause) != 0) {
		fprintf(stderr, "lockcron: warning: not reloaded: %s\n", cause);
		free(cause);
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		why = json_string_value(json_object_get(reply, "error"));
		cli_error("lockcrond kept its configuration: %s",
		    why != NULL ? why : "the reload failed");
		errs = json_object_get(reply, "errors");
		for (i = 0; i < json_array_size(errs); i++)
			fprintf(stderr, "%s\n", json_string_value(
			    json_array_get(errs, i)));
		rc = EDIT_FAILED;
	} else
		printf("lockcrond reloaded: %lld jobs\n", (long long)
		    json_integer_value(json_object_get(reply, "jobs")));
	json_decref(req);
	json_decref(reply);
	free(path);
	return (rc);
}

/* Opens, copies, edits, installs and reloads; returns the exit status. */
static int
edit(struct edit *e, int may_create)
{
	struct lc_config	*cfg;
	int			 rc;

	if (edit_open(e, may_create) != 0 || edit_copy(e) != 0)
		return (EDIT_FAILED);
	if ((cfg = edit_loop(e, &rc)) == NULL)
		return (rc);
	rc = install(e) == 0 ? reload(cfg) : EDIT_FAILED;
	lc_config_free(cfg);
	return (rc);
}

int
cmd_edit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*self = cli_find("edit");
	struct edit			 e;
	char				*def = NULL;
	int				 ch, rc = CLI_USAGE;

	memset(&e, 0, sizeof e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			e.main = optarg;
			break;
		case 'h':
			cli_usage(self, 1);
			return (CLI_OK);
		default:
			cli_usage(self, 0);
			return (CLI_USAGE);
		}
	}
	if (optind < argc - 1) {
		cli_usage(self, 0);
		return (CLI_USAGE);
	}
	if (e.main == NULL)
		e.main = def = lc_config_default_path(geteuid() == 0);
	e.target = optind < argc ? job_file(e.main, argv[optind]) :
	    xstrdup(e.main);
	if (e.target != NULL) {
		signal(SIGHUP, die_cb);
		signal(SIGTERM, die_cb);
		rc = edit(&e, optind == argc);
	}
	if (e.tmp != NULL && !e.keep)
		unlink(e.tmp);
	tmp_path = NULL;
	free(e.target);
	free(e.real);
	free(e.tmp);
	free(e.orig);
	free(def);
	return (rc);
}
