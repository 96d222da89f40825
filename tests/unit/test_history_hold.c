/*
 * Unit tests for lc_history_hold(): on real SQLite files, the WAL index
 * stays marked in use (its DMS byte read-locked, as a live connection
 * leaves it) after every connection is closed, through this process's own
 * connections closing, and follows a -shm file that was replaced; rows
 * written before stay readable through the kept index.
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
#include "lockcron/util.h"

static char	 dir[256];
static char	 db_path[512];
static char	 shm_path[520];

static int
setup(void **state)
{
	if (tmpdir_make(dir, sizeof dir, "hold") != 0)
		return (-1);
	snprintf(db_path, sizeof db_path, "%s/history.db", dir);
	snprintf(shm_path, sizeof shm_path, "%s-shm", db_path);
	return (0);
}

static int
teardown(void **state)
{
	return (tmpdir_remove(dir));
}

/*
 * What SQLite asks before resetting the index: may the DMS byte be
 * write-locked? 1 when a lock of another owner (another process, or an
 * OFD lock) forbids it. Our own POSIX locks never conflict with this query.
 */
static int
dms_in_use(void)
{
	struct flock	 fl;
	int		 fd, rc;

	if ((fd = open(shm_path, O_RDWR | O_CLOEXEC)) == -1)
		return (-1);
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 128;
	fl.l_len = 1;
	rc = fcntl(fd, F_GETLK, &fl);
	close(fd);
	if (rc == -1)
		return (-1);
	return (fl.l_type != F_UNLCK);
}

/* Opens the history and inserts n queued runs, one transaction each. */
static struct lc_history *
open_with_runs(int n)
{
	struct lc_history	*h;
	struct lc_run		 r;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	int			 i;

	h = lc_history_open(db_path, 0, NULL, &cause);
	assert_non_null(h);
	for (i = 0; i < n; i++) {
		lc_history_run_init(&r);
		r.job = "j";
		r.status = LC_RUN_QUEUED;
		r.scheduled_at = 1795485600000LL + i * 1000;
		assert_int_equal(lc_history_run_insert(h, &r, id, &cause), 0);
	}
	return (h);
}

/* Counts the runs through a new connection in a new process. */
static int
count_in_child(void)
{
	struct lc_history_filter	 f;
	struct lc_history		*h;
	struct lc_run			*rows;
	size_t				 n = 0;
	pid_t				 pid;
	int				 st;

	if ((pid = fork()) == 0) {
		h = lc_history_open(db_path, LC_HISTORY_READONLY, NULL, NULL);
		lc_history_filter_init(&f);
		if (h == NULL || lc_history_list(h, &f, &rows, &n, NULL) != 0)
			_exit(255);
		lc_history_runs_free(rows, n);
		lc_history_close(h);
		_exit((int)n);
	}
	waitpid(pid, &st, 0);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void
test_hold_outlives_connections(void **state)
{
	struct lc_history	*h, *h2;
	int			 fd;

	h = open_with_runs(20);
	fd = lc_history_hold(db_path, -1);
	assert_true(fd >= 0);
	lc_history_close(h);
	assert_int_equal(dms_in_use(), 1);
	/* This process's own connection closing keeps it. */
	h2 = lc_history_open(db_path, 0, NULL, NULL);
	assert_non_null(h2);
	lc_history_close(h2);
	assert_int_equal(dms_in_use(), 1);
	/* The next connection reads every row through the kept index. */
	assert_int_equal(count_in_child(), 20);
	assert_int_equal(lc_history_hold(db_path, fd), fd);
	close(fd);
	assert_int_equal(dms_in_use(), 0);
	assert_int_equal(count_in_child(), 20);
}

static void
test_hold_follows_new_shm(void **state)
{
	struct lc_history	*h;
	struct stat		 a, b;
	int			 fd, fd2;

	h = open_with_runs(3);
	fd = lc_history_hold(db_path, -1);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	lc_history_close(h);
	/* As a last connection that checkpoints and deletes would. */
	assert_int_equal(unlink(shm_path), 0);
	h = lc_history_open(db_path, 0, NULL, NULL);
	assert_non_null(h);
	assert_int_equal(dms_in_use(), 0);
	fd2 = lc_history_hold(db_path, fd);
	assert_true(fd2 >= 0);
	assert_int_equal(fstat(fd2, &b), 0);
	assert_true(a.st_ino != b.st_ino);
	lc_history_close(h);
	assert_int_equal(dms_in_use(), 1);
	assert_int_equal(count_in_child(), 3);
	close(fd2);
}

static void
test_hold_nothing_to_hold(void **state)
{
	assert_int_equal(lc_history_hold(db_path, -1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_outlives_connections,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_follows_new_shm,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_nothing_to_hold,
		    setup, teardown),
	};

	return (cmocka_run_group_tests_name("history_hold", tests, NULL,
	    NULL));
}
