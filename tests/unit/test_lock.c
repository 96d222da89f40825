/*
 * Unit tests for lock: real files in a private temporary directory, real
 * flock(1) processes on the same files, real processes that hold, inherit
 * and lose the lock. The non-root paths run in a child that drops to
 * nobody.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/lock.h"
#include "lockcron/proc.h"
#include "lockcron/util.h"

static char	 tmp[] = "/tmp/lockcron-test_lock.XXXXXX";
static uid_t	 nobody_uid;
static gid_t	 nobody_gid;

static int
setup(void **state)
{
	struct passwd	*pw;

	if (mkdtemp(tmp) == NULL || chmod(tmp, 0755) != 0)
		return (-1);
	if ((pw = getpwnam("nobody")) == NULL)
		return (-1);
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	return (0);
}

static int
teardown(void **state)
{
	char	*cmd;
	int	 rc;

	xasprintf(&cmd, "rm -rf '%s'", tmp);
	rc = system(cmd);
	free(cmd);
	return (rc);
}

static char *
tmp_path(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmp, name);
	return (p);
}

/* Runs a shell command; returns its exit status (or -1). */
static int
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 st;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	st = system(cmd);
	free(cmd);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * Starts `flock FILE sh -c 'echo ready; exec sleep SECS'` and returns once
 * flock(1) holds the lock (the job said "ready"). *pid is flock's.
 */
static void
flock_hold(const char *path, const char *secs, pid_t *pid)
{
	char	 buf[16];
	int	 p[2];

	assert_int_equal(pipe(p), 0);
	if ((*pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		setpgid(0, 0);
		execlp("flock", "flock", path, "sh", "-c",
		    "echo ready; exec sleep \"$0\"", secs, (char *)NULL);
		_exit(127);
	}
	assert_true(*pid > 0);
	close(p[1]);
	assert_int_equal(read(p[0], buf, sizeof buf), 6);
	close(p[0]);
}

/* Ends the flock(1) holder started by flock_hold(). */
static void
flock_end(pid_t pid)
{
	int	 st;

	kill(-pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void
test_default_dir(void **state)
{
	char	*d, *home, *xdg;

	d = lc_lock_default_dir(1);
	assert_string_equal(d, "/var/lib/lockcron/locks");
	free(d);
	home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	xdg = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) :
	    NULL;
	setenv("XDG_STATE_HOME", "/srv/state", 1);
	d = lc_lock_default_dir(0);
	assert_string_equal(d, "/srv/state/lockcron/locks");
	free(d);
	/* A relative XDG_STATE_HOME is ignored, as the spec says. */
	setenv("XDG_STATE_HOME", "relative", 1);
	setenv("HOME", "/home/etl", 1);
	d = lc_lock_default_dir(0);
	assert_string_equal(d, "/home/etl/.local/state/lockcron/locks");
	free(d);
	unsetenv("XDG_STATE_HOME");
	d = lc_lock_default_dir(0);
	assert_string_equal(d, "/home/etl/.local/state/lockcron/locks");
	free(d);
	if (home != NULL)
		setenv("HOME", home, 1);
	if (xdg != NULL)
		setenv("XDG_STATE_HOME", xdg, 1);
	free(home);
	free(xdg);
}

static void
test_create_and_keep(void **state)
{
	struct lc_lock	*l;
	struct stat	 st1, st2;
	char		*path, *dir, *cause = NULL;
	mode_t		 old;

	/* Created 0644 whatever the umask; never unlinked. */
	path = tmp_path("create.lock");
	old = umask(077);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ACQUIRED);
	umask(old);
	assert_string_equal(lc_lock_path(l), path);
	assert_true(lc_lock_fd(l) >= 3);
	assert_int_equal(fcntl(lc_lock_fd(l), F_GETFD) & FD_CLOEXEC,
	    FD_CLOEXEC);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 07777, 0644);
	/* Taking it again through the same handle is not an error. */
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ACQUIRED);
	lc_lock_release(l);
	assert_int_equal(lc_lock_fd(l), -1);
	lc_lock_release(l);
	lc_lock_free(l);
	lc_lock_free(NULL);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);

	/* A missing directory that is not the default is not created. */
	dir = tmp_path("no-such-dir/x.lock");
	l = lc_lock_new(dir, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ERROR);
	assert_non_null(strstr(cause, dir));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	lc_lock_free(l);
	free(dir);
	free(path);
}

static void
test_against_flock1(void **state)
{
	struct lc_lock	*l;
	char		*path, *cause = NULL;
	pid_t		 holder;
	int64_t		 t0, took;

	path = tmp_path("flock1.lock");
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ACQUIRED);

	/* We hold it: flock -n fails at once, flock -w times out. */
	assert_int_equal(sh("flock -n '%s' true", path), 1);
	t0 = lc_mono_ms();
	assert_int_equal(sh("flock -w 0.3 '%s' true", path), 1);
	assert_true(lc_mono_ms() - t0 >= 250);
	lc_lock_release(l);
	assert_int_equal(sh("flock -n '%s' true", path), 0);

	/* flock(1) holds it: our try is busy, our wait times out. */
	flock_hold(path, "30", &holder);
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_BUSY);
	t0 = lc_mono_ms();
	assert_int_equal(lc_lock_acquire(l, 1, &cause), LC_LOCK_BUSY);
	took = lc_mono_ms() - t0;
	assert_true(took >= 950);
	assert_true(took < 3000);
	assert_int_equal(lc_lock_fd(l), -1);
	/* Its command inherited the lock and dies a moment after it. */
	flock_end(holder);
	assert_int_equal(lc_lock_acquire(l, 5, &cause), LC_LOCK_ACQUIRED);
	lc_lock_release(l);

	/* flock(1) lets go while we wait: we get it then, not at the end. */
	flock_hold(path, "0.4", &holder);
	t0 = lc_mono_ms();
	assert_int_equal(lc_lock_acquire(l, 10, &cause), LC_LOCK_ACQUIRED);
	took = lc_mono_ms() - t0;
	assert_true(took >= 200);
	assert_true(took < 5000);
	assert_int_equal(waitpid(holder, NULL, 0), holder);
	assert_int_equal(sh("flock -n '%s' true", path), 1);
	lc_lock_free(l);
	free(path);
	assert_null(cause);
}

static volatile sig_atomic_t user_alarms;

static void
user_alarm(int sig)
{
	user_alarms++;
}

static void
test_wait_restores_signals(void **state)
{
	struct sigaction	 sa, now;
	sigset_t		 block, before, after;
	struct lc_lock		*l;
	char			*path;
	pid_t			 holder;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = user_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &before);
	sigprocmask(SIG_SETMASK, NULL, &before);

	path = tmp_path("signals.lock");
	flock_hold(path, "30", &holder);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 1, NULL), LC_LOCK_BUSY);
	sigaction(SIGALRM, NULL, &now);
	assert_ptr_equal(now.sa_handler, user_alarm);
	sigprocmask(SIG_SETMASK, NULL, &after);
	assert_true(sigismember(&after, SIGALRM));
	assert_true(sigismember(&after, SIGUSR2));
	assert_int_equal(user_alarms, 0);
	flock_end(holder);
	lc_lock_free(l);
	free(path);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
}

static void
on_usr1(int sig)
{
}

static void
test_wait_interrupted(void **state)
{
	struct sigaction	 sa, old;
	struct timespec		 ts = { 0, 300000000 };
	struct lc_lock		*l;
	char			*path;
	pid_t			 holder, poker;
	int64_t			 t0, took;

	path = tmp_path("interrupt.lock");
	flock_hold(path, "30", &holder);
	l = lc_lock_new(path, geteuid());

	/* A handler with SA_RESTART: the wait goes on to its deadline. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, &old);
	if ((poker = fork()) == 0) {
		nanosleep(&ts, NULL);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = lc_mono_ms();
	assert_int_equal(lc_lock_acquire(l, 1, NULL), LC_LOCK_BUSY);
	assert_true(lc_mono_ms() - t0 >= 950);
	assert_int_equal(waitpid(poker, NULL, 0), poker);

	/* Without SA_RESTART (a cancel): the wait ends at once. */
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	if ((poker = fork()) == 0) {
		nanosleep(&ts, NULL);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	t0 = lc_mono_ms();
	assert_int_equal(lc_lock_acquire(l, 10, NULL), LC_LOCK_INTERRUPTED);
	took = lc_mono_ms() - t0;
	assert_true(took >= 200);
	assert_true(took < 5000);
	assert_int_equal(lc_lock_fd(l), -1);
	assert_int_equal(waitpid(poker, NULL, 0), poker);
	sigaction(SIGUSR1, &old, NULL);
	flock_end(holder);
	lc_lock_free(l);
	free(path);
}

/* One of several processes: takes the lock 25 times through fresh handles
 * and logs entering and leaving its critical section. */
static void __attribute__((noreturn))
contender(const char *path, const char *log)
{
	struct lc_lock		*l;
	struct timespec		 ts = { 0, 2000000 };
	char			 line[64];
	int			 fd, i, n;

	fd = open(log, O_WRONLY|O_APPEND|O_CREAT, 0644);
	for (i = 0; i < 25; i++) {
		l = lc_lock_new(path, geteuid());
		if (lc_lock_acquire(l, 30, NULL) != LC_LOCK_ACQUIRED)
			_exit(1);
		n = snprintf(line, sizeof line, "B %ld\n", (long)getpid());
		if (write(fd, line, (size_t)n) != n)
			_exit(2);
		nanosleep(&ts, NULL);
		n = snprintf(line, sizeof line, "E %ld\n", (long)getpid());
		if (write(fd, line, (size_t)n) != n)
			_exit(2);
		lc_lock_free(l);
	}
	_exit(0);
}

static void
test_no_overlap(void **state)
{
	char	*path, *log, kind, prev = 'E';
	pid_t	 pids[4];
	long	 pid, inside = 0;
	FILE	*f;
	int	 i, st, lines = 0;

	path = tmp_path("overlap.lock");
	log = tmp_path("overlap.log");
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0)
			contender(path, log);
		assert_true(pids[i] > 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_non_null(f = fopen(log, "r"));
	while (fscanf(f, " %c %ld", &kind, &pid) == 2) {
		/* Strictly B/E pairs from one process at a time. */
		assert_true(kind != prev);
		if (kind == 'B')
			inside = pid;
		else
			assert_int_equal(pid, inside);
		prev = kind;
		lines++;
	}
	fclose(f);
	assert_int_equal(lines, 4 * 25 * 2);
	free(path);
	free(log);
}

/*
 * The taker: locks, starts a job that inherits the lock fd and prints its
 * pid on our pipe, then waits for the run (and gets killed -9 meanwhile).
 */
static void __attribute__((noreturn))
taker(const char *path, int out)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct lc_lock		*l;
	char			*cmd;
	int			 fds[2];

	l = lc_lock_new(path, geteuid());
	if (lc_lock_acquire(l, 0, NULL) != LC_LOCK_ACQUIRED)
		_exit(1);
	/* The job inherits the lock fd and our pipe, which it closes. */
	fds[0] = lc_lock_fd(l);
	fds[1] = out;
	xasprintf(&cmd, "echo $$ >&%d; exec %d>&-; exec sleep 30", out, out);
	memset(&spec, 0, sizeof spec);
	spec.command = cmd;
	spec.workdir = "/";
	spec.keep_fds = fds;
	spec.nkeep_fds = 2;
	lc_proc_run(&spec, &res);
	_exit(0);
}

static void
test_lock_outlives_taker(void **state)
{
	struct lc_lock	*l;
	char		*path, buf[32];
	pid_t		 tk, job;
	ssize_t		 n;
	int		 p[2], st;

	path = tmp_path("inherit.lock");
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if ((tk = fork()) == 0) {
		close(p[0]);
		taker(path, p[1]);
	}
	assert_true(tk > 0);
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	job = atoi(buf);
	close(p[0]);
	assert_true(job > 0);

	/* kill -9 the process that took the lock: the job still holds it. */
	kill(tk, SIGKILL);
	assert_int_equal(waitpid(tk, &st, 0), tk);
	assert_true(kill(job, 0) == 0);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, NULL), LC_LOCK_BUSY);
	assert_int_equal(sh("flock -n '%s' true", path), 1);

	/* When the job ends, the lock is free: no unlink, same file. */
	kill(job, SIGKILL);
	assert_int_equal(lc_lock_acquire(l, 10, NULL), LC_LOCK_ACQUIRED);
	lc_lock_free(l);
	free(path);
}

static void
test_refused_files(void **state)
{
	struct lc_lock	*l;
	struct stat	 st;
	char		*path, *target, *cause = NULL;
	int		 fd;

	/* A symlink: refused, and its target neither created nor opened. */
	path = tmp_path("link.lock");
	target = tmp_path("link-target");
	assert_int_equal(symlink(target, path), 0);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ERROR);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "symbolic link"));
	assert_int_equal(lstat(target, &st), -1);
	lc_lock_free(l);
	free(cause);
	free(path);
	free(target);

	/* A FIFO: refused, without blocking in open(). */
	path = tmp_path("fifo.lock");
	assert_int_equal(mkfifo(path, 0644), 0);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ERROR);
	assert_non_null(strstr(cause, "is a FIFO"));
	lc_lock_free(l);
	free(cause);
	free(path);

	/* A directory. */
	path = tmp_path("dir.lock");
	assert_int_equal(mkdir(path, 0755), 0);
	l = lc_lock_new(path, geteuid());
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ERROR);
	assert_non_null(strstr(cause, "is a directory"));
	lc_lock_free(l);
	free(cause);
	free(path);

	/* Owned by another user: refused for root's job, fine for theirs. */
	if (geteuid() != 0)
		skip();
	path = tmp_path("other.lock");
	fd = open(path, O_RDONLY|O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chown(path, nobody_uid, nobody_gid), 0);
	l = lc_lock_new(path, 0);
	cause = NULL;
	assert_int_equal(lc_lock_acquire(l, 0, &cause), LC_LOCK_ERROR);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "owned by uid"));
	lc_lock_free(l);
	free(cause);
	l = lc_lock_new(path, nobody_uid);
	assert_int_equal(lc_lock_acquire(l, 0, NULL), LC_LOCK_ACQUIRED);
	lc_lock_free(l);
	free(path);
}

/* As nobody: the default directory is created (0700), the file is ours,
 * a root-owned lock file is accepted, and another directory is not made. */
static int
nonroot_default_dir(void)
{
	struct lc_lock	*l;
	struct stat	 st;
	char		*state, *dir, *path[3];
	int		 rc = 0, i;

	xasprintf(&state, "%s/nobody-home/state", tmp);
	setenv("XDG_STATE_HOME", state, 1);
	free(state);
	if ((dir = lc_lock_default_dir(0)) == NULL)
		return (1);
	xasprintf(&path[0], "%s/job.lock", dir);
	xasprintf(&path[1], "%s/root-owned.lock", tmp);
	xasprintf(&path[2], "%s/nobody-home/elsewhere/job.lock", tmp);
	for (i = 0; i < 3 && rc == 0; i++) {
		l = lc_lock_new(path[i], getuid());
		if (lc_lock_acquire(l, 0, NULL) !=
		    (i == 2 ? LC_LOCK_ERROR : LC_LOCK_ACQUIRED))
			rc = 2 + i;
		lc_lock_free(l);
	}
	if (rc == 0 && (stat(dir, &st) != 0 || (st.st_mode & 07777) != 0700))
		rc = 10;
	if (rc == 0 && (stat(path[0], &st) != 0 || st.st_uid != getuid() ||
	    (st.st_mode & 07777) != 0644))
		rc = 11;
	for (i = 0; i < 3; i++)
		free(path[i]);
	free(dir);
	unsetenv("XDG_STATE_HOME");
	return (rc);
}

static void
test_nonroot(void **state)
{
	char	*home, *root_lock;
	pid_t	 pid;
	int	 st, fd;

	home = tmp_path("nobody-home");
	assert_int_equal(mkdir(home, 0755), 0);
	root_lock = tmp_path("root-owned.lock");
	fd = open(root_lock, O_RDONLY|O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	if (geteuid() != 0) {
		/* Already not root: run the checks here. */
		assert_int_equal(nonroot_default_dir(), 0);
		free(home);
		free(root_lock);
		return;
	}
	assert_int_equal(chown(home, nobody_uid, nobody_gid), 0);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) != 0 || setgid(nobody_gid) != 0 ||
		    setuid(nobody_uid) != 0)
			_exit(100);
		_exit(nonroot_default_dir());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(home);
	free(root_lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_create_and_keep),
		cmocka_unit_test(test_against_flock1),
		cmocka_unit_test(test_wait_restores_signals),
		cmocka_unit_test(test_wait_interrupted),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_lock_outlives_taker),
		cmocka_unit_test(test_refused_files),
		cmocka_unit_test(test_nonroot),
	};

	return (cmocka_run_group_tests_name("lock", tests, setup, teardown));
}
