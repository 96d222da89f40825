/*
 * Notifier processes: sending blocks on the network, so it is never done
 * by a supervisor (the next run must not wait for its lock) nor by the
 * daemon's loop.
 *
 * The supervisor's notifier is forked before the run opens the history,
 * takes its lock or fetches a secret, so none of those is ever in its
 * memory or among its descriptors. It is detached at once (a double fork:
 * not a descendant the supervisor's end-of-run sweep would kill) and waits
 * on a socket for two lines: "S RUN_ID" when the job has started (the start
 * ping), "E RUN_ID" once the row is finished and the lock released (the
 * rest). The supervisor writes them without blocking and exits; end of file
 * without "E" (the supervisor died) sends nothing: the daemon then marks
 * the run lost and notifies about that itself.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/log.h"
#include "lockcron/notify.h"
#include "lockcron/util.h"

struct lc_notifier {
	int	 fd;
};

/* The notifier's own session, default signals, /dev/null for stdio. */
static void
child_setup(int keep_stderr)
{
	static const int	 sigs[] = {
		SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1,
		SIGUSR2
	};
	sigset_t		 none;
	size_t			 i;
	int			 null;

	setsid();
	for (i = 0; i < LC_NELEM(sigs); i++)
		signal(sigs[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
}

/* Double fork: the notifier is reparented before we return. */
static pid_t
fork_detached(void)
{
	pid_t	 pid, grandchild;
	int	 was = 0, st = 0, saved;

	/* A subreaper would inherit it back: lift the flag meanwhile. */
	if (prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0) == 0 && was)
		prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	if ((pid = fork()) == 0) {
		if ((grandchild = fork()) != 0)
			_exit(grandchild == -1 ? 1 : 0);
		return (0);
	}
	saved = errno;
	if (pid > 0)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	if (was)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (pid == -1) {
		errno = saved;
		return (-1);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = EAGAIN;
		return (-1);
	}
	return (1);
}

pid_t
lc_notify_fork(int detach, int keep_stderr)
{
	pid_t	 pid;

	pid = detach ? fork_detached() : fork();
	if (pid == 0)
		child_setup(keep_stderr);
	return (pid);
}

static struct lc_history *
open_history(const struct lc_config *cfg)
{
	struct lc_history	*h;
	char			*path, *cause = NULL;

	path = lc_history_default_path(cfg->state_dir);
	if ((h = lc_history_open(path, 0, cfg->history_group, &cause)) == NULL) {
		log_error("notifier: %s", cause);
		free(cause);
	}
	free(path);
	return (h);
}

/* The notifier: reads "S id" and "E id" lines until "E" or end of file. */
static void __attribute__((noreturn))
notifier_main(const struct lc_config *cfg, const struct lc_job *job, int fd)
{
	struct lc_history	*h;
	FILE			*f;
	char			 line[128], *cause = NULL;
	int			 end = 0;

	if ((f = fdopen(fd, "r")) == NULL)
		_exit(1);
	while (!end && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((line[0] != 'S' && line[0] != 'E') || line[1] != ' ')
			continue;
		end = line[0] == 'E';
		if ((h = open_history(cfg)) == NULL)
			continue;
		if (!end)
			lc_notify_start(h, job, line + 2);
		else if (lc_notify_end(h, job, line + 2, &cause) != 0) {
			log_error("job=%s run=%s: notifier: %s", job->name,
			    line + 2, cause);
			free(cause);
		}
		lc_history_close(h);
	}
	_exit(0);
}

struct lc_notifier *
lc_notifier_new(const struct lc_config *cfg, const struct lc_job *job,
    int keep_stderr)
{
	struct lc_notifier	*nt;
	int			 sv[2];
	pid_t			 pid;

	if (!lc_notify_configured(job))
		return (NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_error("job=%s: no notifications: socketpair: %s",
		    job->name, strerror(errno));
		return (NULL);
	}
	if ((pid = lc_notify_fork(1, keep_stderr)) == 0) {
		close(sv[0]);
		notifier_main(cfg, job, sv[1]);
	}
	close(sv[1]);
	if (pid == -1) {
		log_error("job=%s: no notifications: cannot fork a notifier: "
		    "%s", job->name, strerror(errno));
		close(sv[0]);
		return (NULL);
	}
	nt = xcalloc(1, sizeof *nt);
	nt->fd = sv[0];
	return (nt);
}

/* One line to the notifier; never blocks, never raises SIGPIPE. */
static void
tell(struct lc_notifier *nt, char what, const char *id)
{
	char	 line[64];
	int	 n;

	n = snprintf(line, sizeof line, "%c %s\n", what, id);
	if (send(nt->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
		log_warn("run=%s: the notifier is gone: %s", id,
		    strerror(errno));
}

void
lc_notifier_started(struct lc_notifier *nt, const char *id)
{
	if (nt != NULL)
		tell(nt, 'S', id);
}

void
lc_notifier_end(struct lc_notifier *nt, const char *id)
{
	if (nt == NULL)
		return;
	tell(nt, 'E', id);
	lc_notifier_free(nt);
}

void
lc_notifier_free(struct lc_notifier *nt)
{
	if (nt == NULL)
		return;
	close(nt->fd);
	free(nt);
}
