/*
 * Unit tests for logs: printing a run's kept output or its live file, and
 * following a live file that another process writes, finishes and
 * unlinks as a supervisor does; a run that ended before it was followed;
 * a supervisor that died without recording the end. Real files, a real
 * history, real processes.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmpdir.h"
#include "lockcron/history.h"
#include "lockcron/logs.h"
#include "lockcron/util.h"

static char	 dir[256];
static char	 db[512];
static char	 out[512];

static int
setup(void **state)
{
	if (tmpdir_make(dir, sizeof dir, "logs") != 0)
		return (-1);
	snprintf(db, sizeof db, "%s/history.db", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	return (0);
}

static int
teardown(void **state)
{
	return (tmpdir_remove(dir));
}

/* The whole of a file, or "" */
static char *
slurp(const char *path)
{
	struct lc_buf	 b = { 0 };
	char		 buf[4096];
	ssize_t		 n;
	int		 fd;

	lc_buf_addstr(&b, "");
	if ((fd = open(path, O_RDONLY)) == -1)
		return (lc_buf_steal(&b));
	while ((n = read(fd, buf, sizeof buf)) > 0)
		lc_buf_add(&b, buf, (size_t)n);
	close(fd);
	return (lc_buf_steal(&b));
}

static void
write_file(const char *path, const char *text)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A running row whose supervisor is pid (started at start). */
static void
add_running(struct lc_history *h, pid_t pid, int64_t start,
    char id[LC_UUID_BUFSZ])
{
	struct lc_run	 r;
	char		*cause = NULL;

	lc_history_run_init(&r);
	r.job = "j";
	r.status = LC_RUN_RUNNING;
	r.scheduled_at = lc_now_ms();
	r.supervisor_pid = pid;
	r.supervisor_start = start;
	if (lc_history_run_insert(h, &r, id, &cause) != 0)
		fail_msg("insert: %s", cause);
}

static void
get_run(struct lc_history *h, const char *id, struct lc_run *r)
{
	char	*cause = NULL;

	if (lc_history_run_get(h, id, r, NULL, NULL, &cause) != 0)
		fail_msg("get: %s", cause);
}

static int
open_out(void)
{
	int	 fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd != -1);
	return (fd);
}

static void
test_print(void **state)
{
	struct lc_run	 r;
	char		*live, *s, livedir[600];
	int		 fd;

	lc_history_run_init(&r);
	snprintf(r.id, sizeof r.id, "0a1b2c3d-0000-4000-8000-000000000001");
	r.status = LC_RUN_SUCCEEDED;
	r.output = "kept\0tail\n";
	r.output_len = 10;
	fd = open_out();
	assert_int_equal(lc_logs_print(dir, &r, fd, NULL), 0);
	close(fd);
	s = slurp(out);
	assert_memory_equal(s, "kept\0tail\n", 10);
	free(s);

	/* Running: the live file so far; none yet: the (empty) kept tail. */
	r.status = LC_RUN_RUNNING;
	r.output = NULL;
	r.output_len = 0;
	fd = open_out();
	assert_int_equal(lc_logs_print(dir, &r, fd, NULL), 0);
	close(fd);
	s = slurp(out);
	assert_string_equal(s, "");
	free(s);
	live = lc_logs_live_path(dir, r.id);
	snprintf(livedir, sizeof livedir, "%s/live", dir);
	assert_string_equal(live + strlen(livedir), "/0a1b2c3d-0000-4000-8000-"
	    "000000000001.log");
	assert_int_equal(mkdir(livedir, 0700), 0);
	write_file(live, "so far\n");
	fd = open_out();
	assert_int_equal(lc_logs_print(dir, &r, fd, NULL), 0);
	close(fd);
	s = slurp(out);
	assert_string_equal(s, "so far\n");
	free(s);
	free(live);
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A supervisor's part: stream three lines, finish the row, unlink. */
static void __attribute__((noreturn))
supervisor(int go, const char *id)
{
	struct lc_history	*h;
	struct lc_run_end	 e;
	char			*live, c;

	if (read(go, &c, 1) != 1)
		_exit(1);
	live = lc_logs_live_path(dir, id);
	write_file(live, "a\n");
	sleep_ms(300);
	write_file(live, "b\n");
	sleep_ms(300);
	write_file(live, "c\n");
	if ((h = lc_history_open(db, 0, NULL, NULL)) == NULL)
		_exit(2);
	lc_history_end_init(&e, LC_RUN_SUCCEEDED);
	e.exit_code = 0;
	e.output = "c\n";
	e.output_len = 2;
	if (lc_history_run_finish(h, id, &e, NULL) != 0)
		_exit(3);
	lc_history_close(h);
	unlink(live);
	_exit(0);
}

/*
 * A child streams, finishes and unlinks as a supervisor does; the row
 * names this process as the supervisor, alive throughout.
 */
static void
test_follow(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r;
	char			 id[LC_UUID_BUFSZ], livedir[600], *s, *cause = NULL;
	int64_t			 t0;
	pid_t			 pid;
	int			 go[2], fd, status;

	snprintf(livedir, sizeof livedir, "%s/live", dir);
	assert_int_equal(mkdir(livedir, 0700), 0);
	assert_int_equal(pipe(go), 0);
	h = lc_history_open(db, 0, NULL, &cause);
	assert_non_null(h);
	add_running(h, getpid(), lc_proc_start_time(getpid()), id);
	lc_history_close(h);		/* never across fork() */
	if ((pid = fork()) == 0)
		supervisor(go[0], id);
	h = lc_history_open(db, LC_HISTORY_READONLY, NULL, &cause);
	assert_non_null(h);
	get_run(h, id, &r);
	assert_int_equal(write(go[1], "x", 1), 1);
	fd = open_out();
	t0 = lc_mono_ms();
	assert_int_equal(lc_logs_follow(h, dir, &r, fd, 1000, &cause), 0);
	close(fd);
	assert_true(lc_mono_ms() - t0 < 3000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = slurp(out);
	assert_string_equal(s, "a\nb\nc\n");
	free(s);
	lc_history_run_clear(&r);
	lc_history_close(h);
	close(go[0]);
	close(go[1]);
}

/* A run that ended before anyone followed it: its kept output. */
static void
test_follow_ended(void **state)
{
	struct lc_history	*h;
	struct lc_run_end	 e;
	struct lc_run		 r;
	char			 id[LC_UUID_BUFSZ], *s, *cause = NULL;
	int			 fd;

	h = lc_history_open(db, 0, NULL, &cause);
	assert_non_null(h);
	add_running(h, getpid(), lc_proc_start_time(getpid()), id);
	lc_history_end_init(&e, LC_RUN_FAILED);
	e.exit_code = 2;
	e.output = "the tail\n";
	e.output_len = 9;
	assert_int_equal(lc_history_run_finish(h, id, &e, &cause), 0);
	get_run(h, id, &r);
	fd = open_out();
	assert_int_equal(lc_logs_follow(h, dir, &r, fd, 1000, &cause), 0);
	close(fd);
	s = slurp(out);
	assert_string_equal(s, "the tail\n");
	free(s);
	lc_history_run_clear(&r);
	lc_history_close(h);
}

/* A running row whose supervisor died: follow gives up, saying why. */
static void
test_follow_gone(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	int64_t			 t0;
	pid_t			 pid;
	int			 fd;

	if ((pid = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	h = lc_history_open(db, 0, NULL, &cause);
	assert_non_null(h);
	add_running(h, pid, 4242, id);
	get_run(h, id, &r);
	fd = open_out();
	t0 = lc_mono_ms();
	assert_int_equal(lc_logs_follow(h, dir, &r, fd, 1000, &cause), -1);
	close(fd);
	assert_true(lc_mono_ms() - t0 < 1000);
	assert_non_null(strstr(cause, "is gone without recording the end"));
	free(cause);
	lc_history_run_clear(&r);
	lc_history_close(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_print, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_ended, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_follow_gone, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("logs", tests, NULL, NULL));
}
