/*
 * Unit tests for proc: real jobs run through lc_proc_run() from this
 * process, which is made a subreaper like the supervisor. Files live in a
 * private temporary directory. Run as root (CI), the user switch and the
 * output-file helper are exercised for real; the non-root paths are tested
 * in a child that drops to nobody.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
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
#include <unistd.h>

#include "lockcron/proc.h"
#include "lockcron/util.h"

static char	 tmp[] = "/tmp/lockcron-test_proc.XXXXXX";
static uid_t	 nobody_uid;
static gid_t	 nobody_gid;

/* Everything the job wrote, per stream. */
struct capture {
	struct lc_buf	 out;
	struct lc_buf	 err;
	int		 chunks;
	pid_t		 started_pid;
	int64_t		 started_ms;
	size_t		 out_at_start;
};

static void
started_cb(pid_t pid, int64_t start_ms, void *arg)
{
	struct capture	*c = arg;

	c->started_pid = pid;
	c->started_ms = start_ms;
	c->out_at_start = c->out.len;
}

static void
capture_cb(enum lc_proc_stream stream, const char *buf, size_t len,
    void *arg)
{
	struct capture	*c = arg;

	lc_buf_add(stream == LC_PROC_STDOUT ? &c->out : &c->err, buf, len);
	c->chunks++;
}

static void
capture_free(struct capture *c)
{
	lc_buf_free(&c->out);
	lc_buf_free(&c->err);
}

/* A spec with output captured and a short kill grace. */
static void
spec_init(struct lc_proc_spec *spec, struct capture *c)
{
	memset(spec, 0, sizeof *spec);
	memset(c, 0, sizeof *c);
	spec->workdir = tmp;
	spec->kill_grace_ms = 1000;
	spec->output_cb = capture_cb;
	spec->started_cb = started_cb;
	spec->cb_arg = c;
}

/* Runs a shell command; returns lc_proc_run's value. */
static int
run_sh(const char *cmd, struct capture *c, struct lc_proc_result *res)
{
	struct lc_proc_spec	 spec;

	spec_init(&spec, c);
	spec.command = cmd;
	return (lc_proc_run(&spec, res));
}

static void
rm_rf(const char *dir)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

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
	return (lc_proc_set_subreaper(NULL));
}

static int
teardown(void **state)
{
	rm_rf(tmp);
	return (0);
}

/* Is a process with this pid still there (not even a zombie)? */
static int
alive(pid_t pid)
{
	return (pid > 0 && kill(pid, 0) == 0);
}

/* Reads whitespace-separated pids from a file into v; returns the count. */
static int
read_pids(const char *path, pid_t *v, int max)
{
	FILE	*f;
	long	 p;
	int	 n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (n < max && fscanf(f, "%ld", &p) == 1)
		v[n++] = (pid_t)p;
	fclose(f);
	return (n);
}

/* Runs fn in a child that has dropped to nobody; returns its exit code. */
static int
as_nobody(int (*fn)(void))
{
	pid_t	 pid;
	int	 status;

	if (getuid() != 0)
		return (fn());
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) != 0 || setgid(nobody_gid) != 0 ||
		    setuid(nobody_uid) != 0)
			_exit(100);
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* Runs fn in a child as we are; returns its exit code. */
static int
in_child(int (*fn)(void))
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

static void
test_exit_code(void **state)
{
	struct lc_proc_result	 res;
	struct capture		 c;

	assert_int_equal(run_sh("echo out; echo err >&2; exit 7", &c, &res),
	    0);
	assert_int_equal(res.end, LC_PROC_EXITED);
	assert_int_equal(res.exit_code, 7);
	assert_string_equal(c.out.data, "out\n");
	assert_string_equal(c.err.data, "err\n");
	assert_false(res.timed_out);
	assert_false(res.cancelled);
	assert_int_equal(res.killed_descendants, 0);
	assert_true(res.pid > 0);
	assert_true(res.end_mono_ms >= res.start_mono_ms);
	assert_true(res.end_ms >= res.start_ms);
	assert_true(res.start_ms > 1700000000000LL);
	/* Told of the start before any output, with the same pid. */
	assert_int_equal(c.started_pid, res.pid);
	assert_int_equal(c.started_ms, res.start_ms);
	assert_int_equal(c.out_at_start, 0);
	capture_free(&c);
	lc_proc_result_clear(&res);

	assert_int_equal(run_sh("exit 0", &c, &res), 0);
	assert_int_equal(res.end, LC_PROC_EXITED);
	assert_int_equal(res.exit_code, 0);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_signal(void **state)
{
	struct lc_proc_result	 res;
	struct capture		 c;

	assert_int_equal(run_sh("echo $$; kill -USR1 $$", &c, &res), 0);
	assert_int_equal(res.end, LC_PROC_SIGNALED);
	assert_int_equal(res.signal, SIGUSR1);
	assert_int_equal(atoi(c.out.data), res.pid);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

/* Parses env -0 output into a sorted, newline-joined list. */
static char *
env_list(const struct lc_buf *b)
{
	const char	*v[64];
	struct lc_buf	 out = { 0 };
	size_t		 n = 0, i, j, off;

	for (off = 0; off < b->len && n < LC_NELEM(v);
	    off += strlen(b->data + off) + 1)
		v[n++] = b->data + off;
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++)
		lc_buf_printf(&out, "%s\n", v[i]);
	return (lc_buf_steal(&out));
}

static void
test_environment(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	struct passwd		*pw;
	char			*argv[] = { "env", "-0", NULL };
	char			*env[] = { "FOO=bar", "EMPTY=", NULL };
	char			*extra[] = { "LOCKCRON_JOB=nightly",
				    "LOCKCRON_RUN_ID=r-1", "FOO=secret", NULL };
	char			*got, *want;

	setenv("LOCKCRON_TEST_MARKER", "must-not-leak", 1);
	pw = getpwuid(geteuid());
	assert_non_null(pw);
	spec_init(&spec, &c);
	spec.argv = argv;
	spec.env = env;
	spec.extra_env = extra;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(res.exit_code, 0);
	got = env_list(&c.out);
	xasprintf(&want, "EMPTY=\nFOO=secret\nHOME=%s\nLOCKCRON_JOB=nightly\n"
	    "LOCKCRON_RUN_ID=r-1\nLOGNAME=%s\nPATH=/usr/bin:/bin\n"
	    "SHELL=/bin/sh\nUSER=%s\n", pw->pw_dir, pw->pw_name,
	    pw->pw_name);
	assert_string_equal(got, want);
	assert_null(strstr(got, "LOCKCRON_TEST_MARKER"));
	free(got);
	free(want);
	capture_free(&c);
	lc_proc_result_clear(&res);
	unsetenv("LOCKCRON_TEST_MARKER");
}

static void
test_job_path(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	char			*argv[] = { "lc-test-tool", NULL };
	char			*env[] = { NULL, NULL };
	char			*bin, *tool, *p, *want;
	FILE			*f;

	/* A command found only through the job's own PATH. */
	xasprintf(&bin, "%s/bin", tmp);
	assert_int_equal(mkdir(bin, 0755), 0);
	xasprintf(&tool, "%s/lc-test-tool", bin);
	assert_non_null(f = fopen(tool, "w"));
	fprintf(f, "#!/bin/sh\necho \"found $PATH\"\n");
	fclose(f);
	assert_int_equal(chmod(tool, 0755), 0);
	xasprintf(&p, "PATH=/nonexistent:%s:/usr/bin:/bin", bin);
	env[0] = p;
	spec_init(&spec, &c);
	spec.argv = argv;
	spec.env = env;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(res.exit_code, 0);
	xasprintf(&want, "found %s\n", p + strlen("PATH="));
	assert_string_equal(c.out.data, want);
	free(want);
	free(bin);
	free(tool);
	free(p);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_stdin(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	char			*big;

	spec_init(&spec, &c);
	spec.command = "cat";
	spec.stdin_text = "hello\nworld\n";
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_string_equal(c.out.data, "hello\nworld\n");
	capture_free(&c);
	lc_proc_result_clear(&res);

	/* Larger than a pipe: written as the job reads, never blocking. */
	big = xmalloc(1048577);
	memset(big, 'x', 1048576);
	big[1048576] = '\0';
	spec_init(&spec, &c);
	spec.command = "wc -c";
	spec.stdin_text = big;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(atoi(c.out.data), 1048576);
	capture_free(&c);
	lc_proc_result_clear(&res);

	/* A job that never reads: EPIPE, not SIGPIPE, for us. */
	spec_init(&spec, &c);
	spec.command = "exit 3";
	spec.stdin_text = big;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(res.exit_code, 3);
	capture_free(&c);
	lc_proc_result_clear(&res);
	free(big);

	/* No text: /dev/null. */
	spec_init(&spec, &c);
	spec.command = "readlink /proc/self/fd/0; cat; echo end";
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_string_equal(c.out.data, "/dev/null\nend\n");
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_large_output(void **state)
{
	struct lc_proc_result	 res;
	struct capture		 c;

	assert_int_equal(run_sh("head -c 3000000 /dev/zero; "
	    "head -c 100000 /dev/zero >&2", &c, &res), 0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(c.out.len, 3000000);
	assert_int_equal(c.err.len, 100000);
	assert_true(c.chunks >= 2);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_umask_nice(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	int			 base, want;

	spec_init(&spec, &c);
	spec.command = "umask; touch f-umask; stat -c %a f-umask";
	spec.has_umask = 1;
	spec.umask = 027;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_string_equal(c.out.data, "0027\n640\n");
	capture_free(&c);
	lc_proc_result_clear(&res);

	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	want = base + 5 > 19 ? 19 : base + 5;
	spec_init(&spec, &c);
	spec.argv = (char *[]){ "nice", NULL };
	spec.nice = 5;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(atoi(c.out.data), want);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_workdir(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	struct passwd		*pw;
	char			*want;

	spec_init(&spec, &c);
	spec.command = "pwd";
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	xasprintf(&want, "%s\n", tmp);
	assert_string_equal(c.out.data, want);
	free(want);
	capture_free(&c);
	lc_proc_result_clear(&res);

	/* Default: the user's home (if it exists; nobody's does not). */
	pw = getpwuid(geteuid());
	spec_init(&spec, &c);
	spec.command = "pwd -P";
	spec.workdir = NULL;
	if (access(pw->pw_dir, X_OK) != 0) {
		assert_int_equal(lc_proc_run(&spec, &res), -1);
		assert_string_equal(res.stage, "chdir");
		lc_proc_result_clear(&res);
		return;
	}
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	xasprintf(&want, "%s\n", pw->pw_dir);
	assert_string_equal(c.out.data, want);
	free(want);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_launch_errors(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	char			*script, *dir;
	int			 fd;

	/* Missing command, looked up in PATH. */
	spec_init(&spec, &c);
	spec.argv = (char *[]){ "lockcron-no-such-command", "x", NULL };
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_int_equal(res.end, LC_PROC_LAUNCH_ERROR);
	assert_true(res.not_found);
	assert_int_equal(res.error_errno, ENOENT);
	assert_string_equal(res.stage, "exec");
	assert_string_equal(res.error,
	    "lockcron-no-such-command: command not found");
	assert_int_equal(c.chunks, 0);
	assert_int_equal(c.started_pid, 0);
	lc_proc_result_clear(&res);

	/* Missing absolute path, and a missing shell. */
	spec.argv = (char *[]){ "/nonexistent/tool", NULL };
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_true(res.not_found);
	assert_string_equal(res.error,
	    "exec /nonexistent/tool: No such file or directory");
	lc_proc_result_clear(&res);
	spec.argv = NULL;
	spec.command = "true";
	spec.shell = "/nonexistent/sh";
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_true(res.not_found);
	assert_string_equal(res.stage, "exec");
	lc_proc_result_clear(&res);

	/* A file that is not executable, and a directory: 126, not 127. */
	xasprintf(&script, "%s/not-exec.sh", tmp);
	fd = open(script, O_WRONLY|O_CREAT|O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\ntrue\n", 15), 15);
	close(fd);
	spec_init(&spec, &c);
	spec.argv = (char *[]){ script, NULL };
	/* Even root needs an execute bit. */
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_false(res.not_found);
	assert_int_equal(res.error_errno, EACCES);
	assert_string_equal(res.stage, "exec");
	lc_proc_result_clear(&res);
	spec.argv = (char *[]){ tmp, NULL };
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_false(res.not_found);
	assert_int_equal(res.error_errno, EACCES);
	assert_string_equal(res.stage, "exec");
	lc_proc_result_clear(&res);

	/* Bad workdir. */
	xasprintf(&dir, "%s/no/such/dir", tmp);
	spec.argv = NULL;
	spec.command = "echo must not run";
	spec.workdir = dir;
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "chdir");
	assert_int_equal(res.error_errno, ENOENT);
	assert_non_null(strstr(res.error, dir));
	assert_false(res.not_found);
	assert_int_equal(c.chunks, 0);
	lc_proc_result_clear(&res);

	/* Unknown user and group. */
	spec.workdir = tmp;
	spec.user = "lockcron-no-such-user";
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "user");
	assert_string_equal(res.error, "unknown user 'lockcron-no-such-user'");
	assert_int_equal(res.pid, 0);
	lc_proc_result_clear(&res);
	spec.user = NULL;
	spec.group = "lockcron-no-such-group";
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "group");
	lc_proc_result_clear(&res);

	/* A malformed environment entry; its value is never shown. */
	spec.group = NULL;
	spec.extra_env = (char *[]){ "TOKEN", NULL };
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "env");
	assert_null(strstr(res.error, "TOKEN"));
	lc_proc_result_clear(&res);
	free(script);
	free(dir);
}

/* As root with neither user nor group: the job keeps our identity, the
 * supplementary groups we have (4242 and 4343) included, not root's. */
static int
root_keeps_groups(void)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	gid_t			 mine[] = { 4242, 4343 };
	int			 rc;

	if (setgroups(2, mine) != 0)
		return (100);
	spec_init(&spec, &c);
	spec.argv = (char *[]){ "id", "-G", NULL };
	if (lc_proc_run(&spec, &res) != 0 || res.exit_code != 0)
		return (2);
	rc = strcmp(c.out.data, "0 4242 4343\n") == 0 ? 0 : 3;
	capture_free(&c);
	lc_proc_result_clear(&res);
	return (rc);
}

/* As nobody: running as root must be refused; our own user works. */
static int
nonroot_user_switch(void)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	int			 rc;

	spec_init(&spec, &c);
	spec.argv = (char *[]){ "id", "-u", NULL };
	spec.user = "root";
	if (lc_proc_run(&spec, &res) != -1 ||
	    strcmp(res.stage, "user") != 0 || res.error_errno != EPERM)
		return (1);
	lc_proc_result_clear(&res);
	spec.user = NULL;
	if (lc_proc_run(&spec, &res) != 0 || res.exit_code != 0)
		return (2);
	rc = atoi(c.out.data) == (int)getuid() ? 0 : 3;
	capture_free(&c);
	lc_proc_result_clear(&res);
	return (rc);
}

static void
test_user_switch(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	char			*want;

	assert_int_equal(as_nobody(nonroot_user_switch), 0);
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(root_keeps_groups), 0);
	spec_init(&spec, &c);
	spec.command = "id -u; id -g; id -G; echo $HOME $USER $LOGNAME";
	spec.user = "nobody";
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_int_equal(res.exit_code, 0);
	xasprintf(&want, "%lu\n%lu\n%lu\n/nonexistent nobody nobody\n",
	    (unsigned long)nobody_uid, (unsigned long)nobody_gid,
	    (unsigned long)nobody_gid);
	assert_string_equal(c.out.data, want);
	free(want);
	capture_free(&c);
	lc_proc_result_clear(&res);

	/* nobody's home does not exist: the default workdir fails. */
	spec_init(&spec, &c);
	spec.command = "true";
	spec.user = "nobody";
	spec.workdir = NULL;
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "chdir");
	assert_non_null(strstr(res.error, "/nonexistent"));
	lc_proc_result_clear(&res);
}

static void
test_inherited_fds(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	int			 keep, leak, fd;
	char			*path, *want;

	xasprintf(&path, "%s/kept", tmp);
	fd = open(path, O_RDONLY|O_CREAT|O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	/* One kept (close-on-exec, as the lock fd is), one stray without
	 * close-on-exec that must not reach the job. */
	keep = fcntl(fd, F_DUPFD_CLOEXEC, 60);
	leak = fcntl(fd, F_DUPFD, 61);
	assert_int_equal(keep, 60);
	assert_int_equal(leak, 61);
	spec_init(&spec, &c);
	spec.command = "readlink /proc/self/fd/60; "
	    "test -e /proc/self/fd/61 && echo leaked || echo closed";
	spec.keep_fds = &keep;
	spec.nkeep_fds = 1;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	xasprintf(&want, "%s/kept\nclosed\n", tmp);
	assert_string_equal(c.out.data, want);
	free(want);
	/* Only the child cleared FD_CLOEXEC. */
	assert_int_equal(fcntl(keep, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	capture_free(&c);
	lc_proc_result_clear(&res);

	keep = 1;
	assert_int_equal(lc_proc_run(&spec, &res), -1);
	assert_string_equal(res.stage, "fds");
	lc_proc_result_clear(&res);
	close(fd);
	close(60);
	close(61);
	free(path);
}

static void
test_timeout(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	pid_t			 pids[8];
	char			*cmd, *pidfile;
	int			 n, i;

	/* A child, a grandchild, and a grandchild that left with setsid(). */
	xasprintf(&pidfile, "%s/timeout.pids", tmp);
	xasprintf(&cmd, "sleep 60 & echo $! >>%s; "
	    "sh -c 'sleep 60 & echo $! >>%s; wait' & "
	    "setsid sh -c 'echo $$ >>%s; exec sleep 60' >/dev/null 2>&1 & "
	    "sleep 60", pidfile, pidfile, pidfile);
	spec_init(&spec, &c);
	spec.command = cmd;
	spec.timeout_ms = 1000;
	spec.kill_grace_ms = 2000;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_true(res.timed_out);
	assert_false(res.cancelled);
	assert_int_equal(res.end, LC_PROC_SIGNALED);
	assert_int_equal(res.signal, SIGTERM);
	assert_true(res.end_mono_ms - res.start_mono_ms >= 1000);
	assert_true(res.end_mono_ms - res.start_mono_ms < 3000);
	/* The setsid() one was outside the group: killed at the end. */
	assert_int_equal(res.killed_descendants, 1);
	n = read_pids(pidfile, pids, (int)LC_NELEM(pids));
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_false(alive(pids[i]));
	free(cmd);
	free(pidfile);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_timeout_kill(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;
	int64_t			 t0;

	/* SIGTERM ignored: SIGKILL after the grace. */
	spec_init(&spec, &c);
	spec.command = "trap '' TERM; echo ready; while :; do sleep 1; done";
	spec.timeout_ms = 300;
	spec.kill_grace_ms = 400;
	t0 = lc_mono_ms();
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_true(res.timed_out);
	assert_int_equal(res.end, LC_PROC_SIGNALED);
	assert_int_equal(res.signal, SIGKILL);
	assert_true(res.end_mono_ms - res.start_mono_ms >= 700);
	assert_true(lc_mono_ms() - t0 < 5000);
	assert_string_equal(c.out.data, "ready\n");
	capture_free(&c);
	lc_proc_result_clear(&res);
}

/*
 * A member of the job's group that takes a moment to obey the timeout's
 * SIGTERM (and holds no pipe, so the run ends first) is on its way out,
 * not a leftover: killed_descendants does not count it.
 */
static void
test_timeout_slow_exit(void **state)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct capture		 c;

	spec_init(&spec, &c);
	spec.command = "sh -c 'exec >/dev/null 2>&1; "
	    "trap \"sleep 0.1; exit 0\" TERM; while :; do sleep 0.01; done' & "
	    "exec sleep 60";
	spec.timeout_ms = 300;
	spec.kill_grace_ms = 2000;
	assert_int_equal(lc_proc_run(&spec, &res), 0);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.killed_descendants, 0);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_background_holds_stdout(void **state)
{
	struct lc_proc_result	 res;
	struct capture		 c;
	pid_t			 bg;
	int64_t			 t0, took;

	t0 = lc_mono_ms();
	assert_int_equal(run_sh("(sleep 60; echo late) & echo $!; echo quick",
	    &c, &res), 0);
	took = lc_mono_ms() - t0;
	assert_int_equal(res.end, LC_PROC_EXITED);
	assert_int_equal(res.exit_code, 0);
	/* The run ended with its main process; the drain is bounded. */
	assert_true(res.end_mono_ms - res.start_mono_ms < 1000);
	assert_true(took >= LC_PROC_DRAIN_MS - 100);
	assert_true(took < LC_PROC_DRAIN_MS + 2000);
	bg = atoi(c.out.data);
	assert_non_null(strstr(c.out.data, "quick\n"));
	assert_null(strstr(c.out.data, "late"));
	assert_int_equal(res.killed_descendants, 2);	/* subshell, sleep */
	assert_false(alive(bg));
	capture_free(&c);
	lc_proc_result_clear(&res);
}

/* Runs a job that signals us (its parent) and checks the cancel. */
static void
check_cancel(int sig)
{
	struct lc_proc_result	 res;
	struct capture		 c;
	struct sigaction	 before, after;
	sigset_t		 mask_before, mask_after;
	char			*cmd;

	sigaction(SIGTERM, NULL, &before);
	sigprocmask(SIG_SETMASK, NULL, &mask_before);
	xasprintf(&cmd, "sleep 60 & kill -%d $PPID; wait", sig);
	assert_int_equal(run_sh(cmd, &c, &res), 0);
	assert_true(res.cancelled);
	assert_int_equal(res.cancel_signal, sig);
	assert_false(res.timed_out);
	assert_int_equal(res.end, LC_PROC_SIGNALED);
	assert_int_equal(res.signal, SIGTERM);
	assert_true(res.end_mono_ms - res.start_mono_ms < 3000);
	/* We are alive, and our signal state is as it was. */
	sigaction(SIGTERM, NULL, &after);
	sigprocmask(SIG_SETMASK, NULL, &mask_after);
	assert_ptr_equal(before.sa_handler, after.sa_handler);
	assert_int_equal(sigismember(&mask_after, SIGTERM),
	    sigismember(&mask_before, SIGTERM));
	assert_int_equal(sigismember(&mask_after, SIGCHLD),
	    sigismember(&mask_before, SIGCHLD));
	free(cmd);
	capture_free(&c);
	lc_proc_result_clear(&res);
}

static void
test_cancel(void **state)
{
	check_cancel(SIGTERM);
	check_cancel(SIGINT);
}

static void
test_sighup_ignored(void **state)
{
	struct lc_proc_result	 res;
	struct capture		 c;

	assert_int_equal(run_sh("kill -HUP $PPID; echo still", &c, &res), 0);
	assert_int_equal(res.exit_code, 0);
	assert_false(res.cancelled);
	assert_string_equal(c.out.data, "still\n");
	capture_free(&c);
	lc_proc_result_clear(&res);
}

/* As nobody: the output file is opened directly, with our rights. */
static int
nonroot_output(void)
{
	char	*path, *cause = NULL;
	int	 fd, rc = 0;

	xasprintf(&path, "%s/nobody-dir/direct.log", tmp);
	if ((fd = lc_proc_open_output(path, NULL, NULL, &cause)) == -1)
		rc = 1;
	else
		close(fd);
	free(path);
	free(cause);
	/* Where only root may create, neither may we. */
	xasprintf(&path, "%s/root-only.log", tmp);
	if (access(tmp, W_OK) != 0 &&
	    (fd = lc_proc_open_output(path, NULL, NULL, &cause)) != -1)
		rc = 2;
	free(path);
	free(cause);
	return (rc);
}

static void
test_output_file(void **state)
{
	struct stat	 st;
	char		*dir, *path, *link, *fifo, *cause = NULL;
	int		 fd;

	xasprintf(&dir, "%s/nobody-dir", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(dir, nobody_uid, nobody_gid), 0);
	assert_int_equal(as_nobody(nonroot_output), 0);
	if (geteuid() != 0)
		skip();

	/* Created by nobody, in nobody's directory. */
	xasprintf(&path, "%s/job.log", dir);
	fd = lc_proc_open_output(path, "nobody", NULL, &cause);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_APPEND|O_NONBLOCK), O_APPEND);
	assert_int_equal(write(fd, "line\n", 5), 5);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, nobody_uid);
	assert_true(S_ISREG(st.st_mode));
	close(fd);

	/* In root's directory nobody may not create: never root's rights. */
	free(path);
	xasprintf(&path, "%s/root-only.log", tmp);
	assert_int_equal(lc_proc_open_output(path, "nobody", NULL, &cause), -1);
	assert_non_null(strstr(cause, "Permission denied"));
	assert_int_equal(stat(path, &st), -1);
	free(cause);
	cause = NULL;

	/* A symlink is refused, its target untouched. */
	xasprintf(&link, "%s/link.log", dir);
	assert_int_equal(symlink("job.log", link), 0);
	assert_int_equal(lc_proc_open_output(link, "nobody", NULL, &cause), -1);
	assert_non_null(strstr(cause, "symbolic link"));
	free(cause);
	cause = NULL;

	/* A FIFO is refused, without hanging. */
	xasprintf(&fifo, "%s/fifo.log", dir);
	assert_int_equal(mkfifo(fifo, 0666), 0);
	assert_int_equal(lc_proc_open_output(fifo, NULL, NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(lc_proc_open_output(path, "lockcron-no-such-user",
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "unknown user"));
	free(cause);
	free(dir);
	free(path);
	free(link);
	free(fifo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_job_path),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_large_output),
		cmocka_unit_test(test_umask_nice),
		cmocka_unit_test(test_workdir),
		cmocka_unit_test(test_launch_errors),
		cmocka_unit_test(test_user_switch),
		cmocka_unit_test(test_inherited_fds),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_timeout_kill),
		cmocka_unit_test(test_timeout_slow_exit),
		cmocka_unit_test(test_background_holds_stdout),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_sighup_ignored),
		cmocka_unit_test(test_output_file),
	};

	return (cmocka_run_group_tests_name("proc", tests, setup, teardown));
}
