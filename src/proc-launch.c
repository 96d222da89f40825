/*
 * Launching a job: who it runs as, its environment and exec candidates,
 * all prepared before fork(); then the child itself, which only makes
 * system calls and reports a failure as errno plus a stage name through a
 * close-on-exec pipe. Also the privilege-dropped helper that opens a job's
 * output file with the job user's rights.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/proc.h"
#include "lockcron/util.h"
#include "proc-int.h"

#define PROC_DEFAULT_SHELL	"/bin/sh"
#define PROC_DEFAULT_PATH	"/usr/bin:/bin"

void
proc_close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Records a launch error in the result. */
void
proc_launch_error(struct lc_proc_result *res, const char *stage, int err,
    const char *fmt, ...)
{
	va_list	 ap;

	free(res->error);
	va_start(ap, fmt);
	xvasprintf(&res->error, fmt, ap);
	va_end(ap);
	res->end = LC_PROC_LAUNCH_ERROR;
	res->error_errno = err;
	snprintf(res->stage, sizeof res->stage, "%s", stage);
	res->not_found = strcmp(stage, "exec") == 0 && err == ENOENT;
}

void
proc_ident_clear(struct proc_ident *id)
{
	free(id->name);
	free(id->home);
	free(id->groups);
	memset(id, 0, sizeof *id);
}

/* The user's supplementary groups, as initgroups(3) would set them. */
static void
ident_groups(struct proc_ident *id)
{
	int	 n;

	n = 16;
	id->groups = xreallocarray(NULL, n, sizeof *id->groups);
	while (getgrouplist(id->name, id->gid, id->groups, &n) == -1) {
		if (n < 16)
			n = 16;
		n *= 2;
		id->groups = xreallocarray(id->groups, n, sizeof *id->groups);
	}
	id->ngroups = n;
}

/* Resolves user and group; as non-root only our own identity works. */
int
proc_ident_load(const char *user, const char *group, struct proc_ident *id,
    struct lc_proc_result *res)
{
	struct passwd	*pw;
	struct group	*gr;

	memset(id, 0, sizeof *id);
	errno = 0;
	pw = user == NULL ? getpwuid(geteuid()) : getpwnam(user);
	if (pw == NULL) {
		if (user == NULL)
			proc_launch_error(res, "user", errno ? errno : ENOENT,
			    "no passwd entry for uid %lu",
			    (unsigned long)geteuid());
		else
			proc_launch_error(res, "user", errno ? errno : ENOENT,
			    "unknown user '%s'", user);
		return (-1);
	}
	id->name = xstrdup(pw->pw_name);
	id->home = xstrdup(pw->pw_dir);
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			proc_launch_error(res, "group", errno ? errno : ENOENT,
			    "unknown group '%s'", group);
			return (-1);
		}
		id->gid = gr->gr_gid;
	}
	/* With neither user nor group, the job keeps the daemon's identity,
	 * supplementary groups included: nothing to look up or change (the
	 * group lookup alone loads the NSS modules in every supervisor). */
	if (geteuid() == 0 && (user != NULL || group != NULL)) {
		id->change = 1;
		ident_groups(id);
		return (0);
	}
	if (geteuid() == 0) {
		id->gid = getegid();
		return (0);
	}
	/* Not root: we can only be ourselves, with our own group. */
	if (group == NULL)
		id->gid = getegid();
	if (id->uid != geteuid() || id->gid != getegid()) {
		proc_launch_error(res, "user", EPERM, "cannot run as %s%s%s: "
		    "switching users needs root", id->name,
		    group != NULL ? ":" : "", group != NULL ? group : "");
		return (-1);
	}
	return (0);
}

/* Adds or replaces "NAME=value" in a NULL-terminated vector of n entries. */
static int
env_put(char ***envp, size_t *n, char *entry)
{
	const char	*eq;
	size_t		 i, len;

	if ((eq = strchr(entry, '=')) == NULL || eq == entry)
		return (-1);
	len = (size_t)(eq - entry) + 1;
	for (i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], entry, len) == 0) {
			(*envp)[i] = entry;
			return (0);
		}
	}
	*envp = xreallocarray(*envp, *n + 2, sizeof **envp);
	(*envp)[(*n)++] = entry;
	(*envp)[*n] = NULL;
	return (0);
}

/* An allocated entry the launch owns. */
static char *
env_own(struct proc_launch *pl, const char *name, const char *value)
{
	char	*s;

	xasprintf(&s, "%s=%s", name, value);
	pl->owned = xreallocarray(pl->owned, pl->nowned + 1,
	    sizeof *pl->owned);
	pl->owned[pl->nowned++] = s;
	return (s);
}

/*
 * The environment, as cron builds it: HOME, LOGNAME, USER, SHELL and a
 * default PATH, then the job's variables, then the caller's. Later entries
 * replace earlier ones of the same name. Values are never copied or shown:
 * the caller's may be secrets.
 */
static int
build_env(struct proc_launch *pl, const char *shell,
    struct lc_proc_result *res)
{
	const struct lc_proc_spec	*spec = pl->spec;
	char *const			*lists[2];
	size_t				 n = 0, i, j;

	lists[0] = spec->env;
	lists[1] = spec->extra_env;
	pl->envp = xcalloc(1, sizeof *pl->envp);
	env_put(&pl->envp, &n, env_own(pl, "HOME", pl->id.home));
	env_put(&pl->envp, &n, env_own(pl, "LOGNAME", pl->id.name));
	env_put(&pl->envp, &n, env_own(pl, "USER", pl->id.name));
	env_put(&pl->envp, &n, env_own(pl, "SHELL", shell));
	env_put(&pl->envp, &n, env_own(pl, "PATH", PROC_DEFAULT_PATH));
	for (i = 0; i < LC_NELEM(lists); i++) {
		for (j = 0; lists[i] != NULL && lists[i][j] != NULL; j++) {
			if (env_put(&pl->envp, &n, lists[i][j]) != 0) {
				proc_launch_error(res, "env", EINVAL, "%s "
				    "environment entry %zu is not NAME=value",
				    i == 0 ? "job" : "extra", j + 1);
				return (-1);
			}
		}
	}
	return (0);
}

/* The job's PATH value, from the built environment. */
static const char *
env_path(char **envp)
{
	for (; *envp != NULL; envp++) {
		if (strncmp(*envp, "PATH=", 5) == 0)
			return (*envp + 5);
	}
	return ("");
}

/* Where execve() will look for argv[0], in order, as execvp(3) does. */
static void
build_paths(struct proc_launch *pl)
{
	const char	*file = pl->argv[0], *p, *end;
	size_t		 n = 0;
	int		 len;

	if (strchr(file, '/') != NULL) {
		pl->paths = xcalloc(2, sizeof *pl->paths);
		pl->paths[0] = xstrdup(file);
		return;
	}
	pl->paths = xcalloc(1, sizeof *pl->paths);
	for (p = env_path(pl->envp); ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		len = (int)(end - p);
		pl->paths = xreallocarray(pl->paths, n + 2, sizeof *pl->paths);
		/* An empty element means the working directory. */
		if (len == 0)
			xasprintf(&pl->paths[n++], "%s", file);
		else
			xasprintf(&pl->paths[n++], "%.*s/%s", len, p, file);
		pl->paths[n] = NULL;
		if (*end == '\0')
			break;
	}
}

/* Builds argv, environment and exec candidates; -1 is a launch error. */
int
proc_launch_prepare(struct proc_launch *pl, struct lc_proc_result *res)
{
	const struct lc_proc_spec	*spec = pl->spec;
	const char			*shell;
	size_t				 n;

	shell = spec->shell != NULL ? spec->shell : PROC_DEFAULT_SHELL;
	if ((spec->command == NULL) == (spec->argv == NULL) ||
	    (spec->argv != NULL && spec->argv[0] == NULL)) {
		proc_launch_error(res, "command", EINVAL,
		    "exactly one of command and argv must be given");
		return (-1);
	}
	if (proc_ident_load(spec->user, spec->group, &pl->id, res) != 0)
		return (-1);
	pl->workdir = spec->workdir != NULL ? spec->workdir : pl->id.home;
	if (build_env(pl, shell, res) != 0)
		return (-1);
	if (spec->command != NULL) {
		pl->argv = xcalloc(4, sizeof *pl->argv);
		pl->argv[0] = xstrdup(shell);
		pl->argv[1] = xstrdup("-c");
		pl->argv[2] = xstrdup(spec->command);
	} else {
		for (n = 0; spec->argv[n] != NULL; n++)
			;
		pl->argv = xcalloc(n + 1, sizeof *pl->argv);
		while (n-- > 0)
			pl->argv[n] = xstrdup(spec->argv[n]);
	}
	build_paths(pl);
	return (0);
}

static void
strv_free(char **v)
{
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
proc_launch_free(struct proc_launch *pl)
{
	size_t	 i;

	proc_ident_clear(&pl->id);
	strv_free(pl->argv);
	strv_free(pl->paths);
	free(pl->envp);
	for (i = 0; i < pl->nowned; i++)
		free(pl->owned[i]);
	free(pl->owned);
	proc_close_fd(&pl->in_rd);
	proc_close_fd(&pl->out_wr);
	proc_close_fd(&pl->err_wr);
	proc_close_fd(&pl->errpipe_wr);
}

/* In the child: report why we cannot exec, and die. */
static void __attribute__((noreturn))
child_fail(const struct proc_launch *pl, const char *stage, int err)
{
	struct proc_child_err	 ce;
	ssize_t			 n;

	memset(&ce, 0, sizeof ce);
	ce.err = err;
	snprintf(ce.stage, sizeof ce.stage, "%s", stage);
	do
		n = write(pl->errpipe_wr, &ce, sizeof ce);
	while (n == -1 && errno == EINTR);
	_exit(127);
}

/* In the child: stdio from the pipes, every other fd but the kept ones
 * marked close-on-exec. */
static void
child_fds(const struct proc_launch *pl)
{
	const struct lc_proc_spec	*spec = pl->spec;
	int				 src[3], i, fd, max;
	size_t				 k;

	/* Above 2 first, so no dup2() below clobbers a later source. */
	src[0] = fcntl(pl->in_rd, F_DUPFD_CLOEXEC, 3);
	src[1] = fcntl(pl->out_wr, F_DUPFD_CLOEXEC, 3);
	src[2] = fcntl(pl->err_wr, F_DUPFD_CLOEXEC, 3);
	for (i = 0; i < 3; i++) {
		if (src[i] == -1 || dup2(src[i], i) == -1)
			child_fail(pl, "stdio", errno);
	}
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		max = (int)sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = 3; fd < max; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (k = 0; k < spec->nkeep_fds; k++) {
		if (fcntl(spec->keep_fds[k], F_SETFD, 0) != 0)
			child_fail(pl, "fds", errno);
	}
}

/* In the child: execve() each candidate as execvp(3) would. */
static void __attribute__((noreturn))
child_exec(const struct proc_launch *pl)
{
	size_t	 i;
	int	 err = ENOENT, eacces = 0;

	for (i = 0; pl->paths[i] != NULL; i++) {
		execve(pl->paths[i], pl->argv, pl->envp);
		err = errno;
		if (err == EACCES)
			eacces = 1;
		else if (err != ENOENT && err != ENOTDIR && err != ESTALE &&
		    err != ENODEV && err != ETIMEDOUT)
			break;
	}
	if (pl->paths[i] == NULL && pl->paths[1] != NULL)
		err = eacces ? EACCES : ENOENT;
	else if (pl->paths[i] == NULL && eacces)
		err = EACCES;
	child_fail(pl, "exec", err);
}

/* The job's child, after vfork(): only system calls from here on. */
void
proc_child_main(const struct proc_launch *pl)
{
	const struct lc_proc_spec	*spec = pl->spec;
	struct sigaction		 sa;
	sigset_t			 none;
	int				 sig;

	if (setpgid(0, 0) != 0)
		child_fail(pl, "setpgid", errno);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	child_fds(pl);
	errno = 0;
	if (spec->nice != 0 && nice(spec->nice) == -1 && errno != 0)
		child_fail(pl, "nice", errno);
	/* The system calls themselves: glibc's wrappers would also set the
	 * credentials of the threads it believes this process has (in a
	 * vfork child, the parent's bookkeeping); the child has one. */
	if (pl->id.change) {
		if (syscall(SYS_setgroups, (size_t)pl->id.ngroups,
		    pl->id.groups) != 0)
			child_fail(pl, "setgroups", errno);
		if (syscall(SYS_setgid, pl->id.gid) != 0)
			child_fail(pl, "setgid", errno);
		if (syscall(SYS_setuid, pl->id.uid) != 0)
			child_fail(pl, "setuid", errno);
	}
	if (chdir(pl->workdir) != 0)
		child_fail(pl, "chdir", errno);
	if (spec->has_umask)
		umask(spec->umask);
	child_exec(pl);
}

/* Turns what the child reported into the launch error's text. */
void
proc_child_error(const struct proc_launch *pl, const struct proc_child_err *ce,
    struct lc_proc_result *res)
{
	const char	*stage = ce->stage, *e = strerror(ce->err);

	if (strcmp(stage, "exec") == 0 && ce->err == ENOENT &&
	    pl->spec->argv != NULL && strchr(pl->argv[0], '/') == NULL)
		proc_launch_error(res, stage, ce->err, "%s: command not found",
		    pl->argv[0]);
	else if (strcmp(stage, "exec") == 0)
		proc_launch_error(res, stage, ce->err, "exec %s: %s",
		    pl->argv[0], e);
	else if (strcmp(stage, "chdir") == 0)
		proc_launch_error(res, stage, ce->err, "chdir %s: %s",
		    pl->workdir, e);
	else if (strncmp(stage, "set", 3) == 0)
		proc_launch_error(res, stage, ce->err, "%s (user %s): %s",
		    stage, pl->id.name, e);
	else if (strcmp(stage, "nice") == 0)
		proc_launch_error(res, stage, ce->err, "nice %d: %s",
		    pl->spec->nice, e);
	else
		proc_launch_error(res, stage, ce->err, "%s: %s", stage, e);
}

/* Opens an output file for appending; a regular file only. */
static int
output_open(const char *path, struct proc_child_err *ce)
{
	struct stat	 st;
	int		 fd, fl;

	/* O_NONBLOCK: a FIFO planted there must not hang us. */
	fd = open(path, O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC|
	    O_NOCTTY|O_NONBLOCK, 0640);
	if (fd == -1) {
		ce->err = errno;
		snprintf(ce->stage, sizeof ce->stage, "open");
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ce->err = EINVAL;
		snprintf(ce->stage, sizeof ce->stage, "type");
		close(fd);
		return (-1);
	}
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return (fd);
}

static void
drop_failed(struct proc_child_err *ce, const char *stage)
{
	ce->err = errno;
	snprintf(ce->stage, sizeof ce->stage, "%s", stage);
}

/* The helper child: become the user, open, send the fd (or why not). */
static void __attribute__((noreturn))
output_child(int sock, const struct proc_ident *id, const char *path)
{
	struct proc_child_err	 ce;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} u;
	int			 fd = -1;

	memset(&ce, 0, sizeof ce);
	if (setgroups((size_t)id->ngroups, id->groups) != 0)
		drop_failed(&ce, "setgroups");
	else if (setgid(id->gid) != 0)
		drop_failed(&ce, "setgid");
	else if (setuid(id->uid) != 0)
		drop_failed(&ce, "setuid");
	else
		fd = output_open(path, &ce);
	memset(&msg, 0, sizeof msg);
	iov.iov_base = &ce;
	iov.iov_len = sizeof ce;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&u, 0, sizeof u);
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof u.buf;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
	_exit(0);
}

/* Receives the helper's answer: the descriptor, or -1 and why. */
static int
output_receive(int sock, struct proc_child_err *ce)
{
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} u;
	ssize_t			 n;
	int			 fd = -1;

	memset(&msg, 0, sizeof msg);
	memset(ce, 0, sizeof *ce);
	iov.iov_base = ce;
	iov.iov_len = sizeof *ce;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof *ce) {
		ce->err = n == -1 ? errno : EPROTO;
		snprintf(ce->stage, sizeof ce->stage, "helper");
		return (-1);
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return (fd);
}

/* Forks a helper that opens path as the user and passes the fd back. */
static int
output_open_as(const struct proc_ident *id, const char *path,
    struct proc_child_err *ce)
{
	pid_t	 pid;
	int	 sv[2], fd, status;

	if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sv) != 0) {
		ce->err = errno;
		snprintf(ce->stage, sizeof ce->stage, "socketpair");
		return (-1);
	}
	if ((pid = fork()) == -1) {
		ce->err = errno;
		snprintf(ce->stage, sizeof ce->stage, "fork");
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	if (pid == 0) {
		close(sv[0]);
		output_child(sv[1], id, path);
	}
	close(sv[1]);
	fd = output_receive(sv[0], ce);
	close(sv[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (fd);
}

int
lc_proc_open_output(const char *path, const char *user, const char *group,
    char **cause)
{
	struct lc_proc_result	 res;
	struct proc_ident	 id;
	struct proc_child_err	 ce;
	int			 fd;

	memset(&res, 0, sizeof res);
	memset(&ce, 0, sizeof ce);
	if (proc_ident_load(user, group, &id, &res) != 0) {
		lc_set_cause(cause, "output file %s: %s", path, res.error);
		lc_proc_result_clear(&res);
		proc_ident_clear(&id);
		return (-1);
	}
	if (id.change && id.uid != geteuid())
		fd = output_open_as(&id, path, &ce);
	else
		fd = output_open(path, &ce);
	if (fd == -1 && strcmp(ce.stage, "type") == 0)
		lc_set_cause(cause, "output file %s: not a regular file", path);
	else if (fd == -1 && ce.err == ELOOP)
		lc_set_cause(cause, "output file %s: is a symbolic link", path);
	else if (fd == -1 && strcmp(ce.stage, "open") == 0)
		lc_set_cause(cause, "output file %s: %s", path,
		    strerror(ce.err));
	else if (fd == -1)
		lc_set_cause(cause, "output file %s: %s (user %s): %s", path,
		    ce.stage, id.name, strerror(ce.err));
	proc_ident_clear(&id);
	return (fd);
}

