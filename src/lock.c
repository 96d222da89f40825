/*
 * The claim step on one host: a flock(2) lock on a file in lock_dir, safe
 * against symlinks, FIFOs and devices planted in the directory, compatible
 * with flock(1) on the same file both ways. Lock files are never unlinked:
 * a new inode would be a new lock, and two runs could then overlap.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/lock.h"
#include "lockcron/util.h"

#define LOCK_ROOT_DIR	"/var/lib/lockcron/locks"
#define LOCK_OPEN_FLAGS	(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)
/* After the deadline the timer re-fires at this interval, so a signal that
 * lands between our deadline check and flock() going to sleep is not lost. */
#define LOCK_REFIRE_NS	50000000L

struct lc_lock {
	char	*path;
	uid_t	 uid;		/* the job's user: may own the file */
	int	 fd;		/* -1 when not open */
	int	 held;
};

static volatile sig_atomic_t lock_alarm;

char *
lc_lock_default_dir(int as_root)
{
	const char	*base;
	struct passwd	*pw;
	char		*dir;

	if (as_root)
		return (xstrdup(LOCK_ROOT_DIR));
	base = getenv("XDG_STATE_HOME");
	if (base != NULL && base[0] == '/') {
		xasprintf(&dir, "%s/lockcron/locks", base);
		return (dir);
	}
	base = getenv("HOME");
	if (base == NULL || base[0] != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir[0] != '/')
			return (NULL);
		base = pw->pw_dir;
	}
	xasprintf(&dir, "%s/.local/state/lockcron/locks", base);
	return (dir);
}

struct lc_lock *
lc_lock_new(const char *path, uid_t uid)
{
	struct lc_lock	*l;

	l = xcalloc(1, sizeof *l);
	l->path = xstrdup(path);
	l->uid = uid;
	l->fd = -1;
	return (l);
}

void
lc_lock_free(struct lc_lock *l)
{
	if (l == NULL)
		return;
	lc_lock_release(l);
	free(l->path);
	free(l);
}

const char *
lc_lock_path(const struct lc_lock *l)
{
	return (l->path);
}

int
lc_lock_fd(const struct lc_lock *l)
{
	return (l->held ? l->fd : -1);
}

void
lc_lock_release(struct lc_lock *l)
{
	/*
	 * close(), not LOCK_UN: the job shares this open file description,
	 * and LOCK_UN would free the lock under its feet.
	 */
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	l->held = 0;
}

/* Is dir (no trailing slash) the default lock directory for our user? */
static int
is_default_dir(const char *dir, size_t len)
{
	char	*def;
	int	 same;

	if ((def = lc_lock_default_dir(geteuid() == 0)) == NULL)
		return (0);
	same = strlen(def) == len && strncmp(def, dir, len) == 0;
	free(def);
	return (same);
}

/* mkdir -p of the first len bytes of path, each new level with mode. */
static int
make_dirs(const char *path, size_t len, mode_t mode, char **cause)
{
	char	*dir;
	int	 rc;

	dir = xstrndup(path, len);
	rc = lc_mkdir_p(dir, mode, cause);
	free(dir);
	return (rc);
}

/* Creates the file when missing; its directory only if it is the default. */
static int
create_lock(const char *path, char **cause)
{
	const char	*slash;
	size_t		 len;
	int		 fd;

	slash = strrchr(path, '/');
	len = slash == NULL ? 0 : (size_t)(slash - path);
	fd = open(path, LOCK_OPEN_FLAGS|O_CREAT|O_EXCL, 0644);
	if (fd == -1 && errno == ENOENT && len > 0 &&
	    is_default_dir(path, len)) {
		if (make_dirs(path, len, geteuid() == 0 ? 0755 : 0700,
		    cause) != 0)
			return (-2);
		fd = open(path, LOCK_OPEN_FLAGS|O_CREAT|O_EXCL, 0644);
	}
	/* The umask must not make the file unusable for flock(1) users. */
	if (fd != -1)
		(void)fchmod(fd, 0644);
	return (fd);
}

int
lc_lock_prepare(const char *path, char **cause)
{
	struct stat	 st;
	int		 fd;

	if (lstat(path, &st) == 0 || errno != ENOENT)
		return (0);
	if ((fd = create_lock(path, cause)) == -2)
		return (-1);
	if (fd == -1 && errno != EEXIST) {
		lc_set_cause(cause, "lock file %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fd != -1)
		close(fd);
	return (0);
}

/* The kind of a file in words, for error messages. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return ("a directory");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return ("a device");
	if (S_ISSOCK(mode))
		return ("a socket");
	return ("not a regular file");
}

/* Opens (or creates) the lock file and checks what it is and who owns it. */
static int
open_lock(struct lc_lock *l, char **cause)
{
	struct stat	 st;
	int		 fd, tries;

	for (tries = 0; tries < 3; tries++) {
		if ((fd = open(l->path, LOCK_OPEN_FLAGS)) != -1 ||
		    errno != ENOENT)
			break;
		if ((fd = create_lock(l->path, cause)) == -2)
			return (-1);
		if (fd != -1 || errno != EEXIST)
			break;
		/* Someone else created it in between: open theirs. */
	}
	if (fd == -1) {
		if (errno == ELOOP)
			lc_set_cause(cause, "lock file %s: is a symbolic link",
			    l->path);
		else
			lc_set_cause(cause, "lock file %s: %s", l->path,
			    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0) {
		lc_set_cause(cause, "lock file %s: %s", l->path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		lc_set_cause(cause, "lock file %s: is %s", l->path,
		    file_kind(st.st_mode));
		close(fd);
		return (-1);
	}
	if (st.st_uid != 0 && st.st_uid != l->uid) {
		lc_set_cause(cause, "lock file %s: owned by uid %lu, not by "
		    "root or the job's user (uid %lu)", l->path,
		    (unsigned long)st.st_uid, (unsigned long)l->uid);
		close(fd);
		return (-1);
	}
	l->fd = fd;
	return (0);
}

static void
lock_alarm_handler(int sig)
{
	lock_alarm = 1;
}

/* Arms a one-shot-then-repeating SIGALRM timer; 0 on success. */
static int
arm_timer(timer_t *timer, int64_t wait_s)
{
	struct sigevent		 sev;
	struct itimerspec	 its;

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &sev, timer) != 0)
		return (-1);
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)wait_s;
	its.it_interval.tv_nsec = LOCK_REFIRE_NS;
	if (timer_settime(*timer, 0, &its, NULL) != 0) {
		timer_delete(*timer);
		return (-1);
	}
	return (0);
}

/* Blocks in flock() until the lock is ours or wait_s seconds have passed. */
static enum lc_lock_result
wait_lock(struct lc_lock *l, int64_t wait_s, char **cause)
{
	struct sigaction	 sa, oldsa;
	sigset_t		 set, oldset;
	timer_t			 timer;
	enum lc_lock_result	 res;
	int64_t			 deadline;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = lock_alarm_handler;	/* no SA_RESTART: EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &oldsa);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &set, &oldset);
	lock_alarm = 0;
	deadline = lc_mono_ms() + wait_s * 1000;
	if (arm_timer(&timer, wait_s) != 0) {
		lc_set_cause(cause, "lock file %s: timer: %s", l->path,
		    strerror(errno));
		res = LC_LOCK_ERROR;
		goto out;
	}
	if (flock(l->fd, LOCK_EX) == 0)
		res = LC_LOCK_ACQUIRED;
	else if (errno != EINTR) {
		lc_set_cause(cause, "lock file %s: %s", l->path,
		    strerror(errno));
		res = LC_LOCK_ERROR;
	} else if (lock_alarm || lc_mono_ms() >= deadline)
		res = LC_LOCK_BUSY;
	else {
		/* flock() restarts after handlers with SA_RESTART: only one
		 * installed without it gets here, to wake us (a cancel). */
		res = LC_LOCK_INTERRUPTED;
	}
	/* Deleting first: a SIGALRM already sent is handled by us here. */
	timer_delete(timer);
out:
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	sigaction(SIGALRM, &oldsa, NULL);
	return (res);
}

enum lc_lock_result
lc_lock_acquire(struct lc_lock *l, int64_t wait_s, char **cause)
{
	enum lc_lock_result	 res;

	if (l->held)
		return (LC_LOCK_ACQUIRED);
	if (l->fd == -1 && open_lock(l, cause) != 0)
		return (LC_LOCK_ERROR);
	if (flock(l->fd, LOCK_EX|LOCK_NB) == 0)
		res = LC_LOCK_ACQUIRED;
	else if (errno != EWOULDBLOCK) {
		lc_set_cause(cause, "lock file %s: %s", l->path,
		    strerror(errno));
		res = LC_LOCK_ERROR;
	} else if (wait_s > 0)
		res = wait_lock(l, wait_s, cause);
	else
		res = LC_LOCK_BUSY;
	l->held = res == LC_LOCK_ACQUIRED;
	return (res);
}
