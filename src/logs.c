/*
 * lockcron logs: a run's output from the history, or from the live file
 * its supervisor streams, followed with inotify until the run ends. The
 * supervisor writes all output to the file before it finishes the row and
 * unlinks the file only after, so a reader that sees the row finished and
 * then reads its open file to the end has every byte.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lockcron/logs.h"
#include "lockcron/util.h"

#define ACTIVE	(LC_RUN_MASK(LC_RUN_QUEUED) | LC_RUN_MASK(LC_RUN_RUNNING))

char *
lc_logs_live_path(const char *state_dir, const char *run_id)
{
	char	*p;

	xasprintf(&p, "%s/live/%s.log", state_dir, run_id);
	return (p);
}

/* Writes all n bytes. */
static int
write_all(int fd, const char *p, size_t n, char **cause)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			lc_set_cause(cause, "write: %s", strerror(errno));
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Copies what fd in holds now to out, up to its current end. */
static int
copy_available(int in, int out, const char *path, char **cause)
{
	char	 buf[65536];
	ssize_t	 n;

	for (;;) {
		if ((n = read(in, buf, sizeof buf)) == -1) {
			if (errno == EINTR)
				continue;
			lc_set_cause(cause, "%s: %s", path, strerror(errno));
			return (-1);
		}
		if (n == 0)
			return (0);
		if (write_all(out, buf, (size_t)n, cause) != 0)
			return (-1);
	}
}

/* Opens the live file; -1 and errno ENOENT when there is none (yet). */
static int
open_live(const char *path, char **cause)
{
	int	 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		lc_set_cause(cause, "%s: %s", path, strerror(errno));
	return (fd);
}

static int
print_kept(const struct lc_run *r, int fd, char **cause)
{
	if (r->output == NULL || r->output_len == 0)
		return (0);
	return (write_all(fd, r->output, r->output_len, cause));
}

int
lc_logs_print(const char *state_dir, const struct lc_run *r, int fd,
    char **cause)
{
	char	*path;
	int	 live = -1, rc;

	if (!(LC_RUN_MASK(r->status) & ACTIVE))
		return (print_kept(r, fd, cause));
	path = lc_logs_live_path(state_dir, r->id);
	if ((live = open_live(path, cause)) == -1) {
		free(path);
		return (errno == ENOENT ? print_kept(r, fd, cause) : -1);
	}
	rc = copy_available(live, fd, path, cause);
	close(live);
	free(path);
	return (rc);
}

/* The state of one follow. */
struct follow {
	struct lc_history	*h;
	const char		*id;
	char			*path;
	char			*dir;
	int			 out;
	int			 live;		/* -1: not open yet */
	int			 ino;		/* -1: no inotify, poll only */
	int			 wd;		/* the directory's watch */
	struct lc_run		 row;
};

/* Watches the live directory (for the file to appear) or the file. */
static void
watch(struct follow *f)
{
	if (f->ino == -1)
		return;
	if (f->live == -1) {
		f->wd = inotify_add_watch(f->ino, f->dir, IN_CREATE |
		    IN_MOVED_TO);
		return;
	}
	/* Other runs' files in the directory are no news of ours. */
	if (f->wd != -1)
		inotify_rm_watch(f->ino, f->wd);
	f->wd = -1;
	inotify_add_watch(f->ino, f->path, IN_MODIFY | IN_CLOSE_WRITE |
	    IN_ATTRIB | IN_DELETE_SELF);
}

/* Sleeps until inotify has news or ms pass, then empties its queue. */
static void
wait_news(struct follow *f, int ms)
{
	struct pollfd	 pfd;
	char		 buf[4096];

	pfd.fd = f->ino;
	pfd.events = POLLIN;
	if (poll(f->ino != -1 ? &pfd : NULL, f->ino != -1, ms) > 0)
		while (read(f->ino, buf, sizeof buf) > 0)
			;
}

/* Says why a running row will never finish: its supervisor is gone. */
static int
supervisor_gone(const struct lc_run *r, char **cause)
{
	char	 host[256];
	int64_t	 start;

	if (r->status != LC_RUN_RUNNING || r->supervisor_pid <= 0 ||
	    r->supervisor_start == LC_HISTORY_NONE || r->host == NULL ||
	    gethostname(host, sizeof host) != 0 || strcmp(host, r->host) != 0)
		return (0);
	start = lc_proc_start_time(r->supervisor_pid);
	if (start == r->supervisor_start || (start == -1 && errno != ESRCH))
		return (0);
	lc_set_cause(cause, "run %s: its supervisor (pid %ld) is gone without "
	    "recording the end; lockcrond will mark it lost", r->id,
	    (long)r->supervisor_pid);
	return (1);
}

/* One look: copy new output, read the row; 1 when the run has ended. */
static int
look(struct follow *f, char **cause)
{
	if (f->live == -1) {
		if ((f->live = open_live(f->path, cause)) == -1 &&
		    errno != ENOENT)
			return (-1);
		if (f->live != -1)
			watch(f);
	}
	if (f->live != -1 && copy_available(f->live, f->out, f->path,
	    cause) != 0)
		return (-1);
	lc_history_run_clear(&f->row);
	if (lc_history_run_get(f->h, f->id, &f->row, NULL, NULL, cause) != 0)
		return (-1);
	if (LC_RUN_MASK(f->row.status) & ACTIVE)
		return (supervisor_gone(&f->row, cause) ? -1 : 0);
	/* Ended: every byte is in the file by now, or it was never seen. */
	if (f->live != -1)
		return (copy_available(f->live, f->out, f->path, cause) == 0 ?
		    1 : -1);
	return (print_kept(&f->row, f->out, cause) == 0 ? 1 : -1);
}

int
lc_logs_follow(struct lc_history *h, const char *state_dir,
    const struct lc_run *r, int fd, int poll_ms, char **cause)
{
	struct follow	 f;
	int		 rc;

	memset(&f, 0, sizeof f);
	f.h = h;
	f.id = r->id;
	f.out = fd;
	f.live = -1;
	f.wd = -1;
	f.path = lc_logs_live_path(state_dir, r->id);
	xasprintf(&f.dir, "%s/live", state_dir);
	f.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	lc_history_run_init(&f.row);
	watch(&f);
	while ((rc = look(&f, cause)) == 0)
		wait_news(&f, poll_ms);
	if (f.live != -1)
		close(f.live);
	if (f.ino != -1)
		close(f.ino);
	lc_history_run_clear(&f.row);
	free(f.path);
	free(f.dir);
	return (rc == 1 ? 0 : -1);
}
