/*
 * Unit tests for a run's record in units (src/record.c), on real SQLite
 * files and real socket pairs: the encoding and its checks (every
 * truncation of a unit, bad magic, kinds and statuses), a unit applied as
 * one transaction or inside the caller's, replays that write nothing
 * twice, the daemon's batch commit and its answers, and a supervisor's
 * recorder against a daemon (a forked process) that commits, refuses,
 * dies before writing, dies after committing without answering, or gets a
 * unit too large for the socket.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmpdir.h"
#include "lockcron/history.h"
#include "lockcron/record.h"
#include "lockcron/util.h"

static char	 dir[256];
static char	 db[512];

static int
setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "record") != 0)
		return (-1);
	snprintf(db, sizeof db, "%s/history.db", dir);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	return (tmpdir_remove(dir));
}

static struct lc_history *
open_db(void)
{
	struct lc_history	*h;
	char			*cause = NULL;

	h = lc_history_open(db, 0, NULL, &cause);
	if (h == NULL)
		fail_msg("%s", cause);
	return (h);
}

/* Inserts a queued run; its id in id. The connection is closed after. */
static void
queued_run(char id[LC_UUID_BUFSZ])
{
	struct lc_history	*h = open_db();
	struct lc_run		 row;

	lc_history_run_init(&row);
	row.job = "job";
	row.status = LC_RUN_QUEUED;
	row.scheduled_at = lc_now_ms();
	assert_int_equal(lc_history_run_insert(h, &row, id, NULL), 0);
	lc_history_close(h);
}

/* The row of run id (strings freed by the caller with run_clear). */
static void
get_row(const char *id, struct lc_run *row)
{
	struct lc_history	*h = open_db();

	lc_history_run_init(row);
	assert_int_equal(lc_history_run_get(h, id, row, NULL, NULL, NULL), 0);
	lc_history_close(h);
}

static size_t
count_events(const char *id, enum lc_event_kind kind)
{
	struct lc_history	*h = open_db();
	struct lc_event		*ev;
	size_t			 i, n = 0, nev;

	assert_int_equal(lc_history_events(h, id, &ev, &nev, NULL), 0);
	for (i = 0; i < nev; i++)
		n += ev[i].kind == kind;
	lc_history_events_free(ev, nev);
	lc_history_close(h);
	return (n);
}

/* The run ended as succeeded, by us, with one started and one exited
 * event; its row in *row when row is not NULL (the caller clears it). */
static void
check_ended(const char *id, struct lc_run *row)
{
	struct lc_run	 r;

	get_row(id, &r);
	assert_int_equal(r.status, LC_RUN_SUCCEEDED);
	assert_int_equal(r.supervisor_pid, getpid());
	if (row != NULL)
		*row = r;
	else
		lc_history_run_clear(&r);
	assert_int_equal(count_events(id, LC_EVENT_STARTED), 1);
	assert_int_equal(count_events(id, LC_EVENT_EXITED), 1);
}

static void
end_ok(struct lc_run_end *e, const char *output, size_t len)
{
	lc_history_end_init(e, LC_RUN_SUCCEEDED);
	e->exit_code = 0;
	e->duration_ms = 5;
	e->output = output;
	e->output_len = len;
}

/* Every prefix of a unit is refused but those that end on a record. */
static void
test_check_truncations(void **state)
{
	struct lc_buf		 b = { 0 };
	struct lc_run_end	 e;
	size_t			 bounds[8], nb = 0, len, i;
	uint32_t		 seq = 0;
	int			 at_bound;

	(void)state;
	lc_record_start(&b, 7);
	bounds[nb++] = b.len;
	assert_true(lc_record_empty(&b));
	lc_record_running(&b, 1000);
	bounds[nb++] = b.len;
	lc_record_event(&b, LC_EVENT_STARTED, 1001, "pid 42");
	bounds[nb++] = b.len;
	lc_record_event(&b, LC_EVENT_TIMEOUT, 1002, NULL);
	bounds[nb++] = b.len;
	end_ok(&e, "a\0b", 3);
	e.error = "why";
	lc_record_finish(&b, &e);
	bounds[nb++] = b.len;
	assert_false(lc_record_empty(&b));
	for (len = 0; len <= b.len; len++) {
		at_bound = 0;
		for (i = 0; i < nb; i++)
			at_bound |= bounds[i] == len;
		assert_int_equal(lc_record_check(b.data, len, &seq, NULL),
		    at_bound ? 0 : -1);
		if (at_bound)
			assert_int_equal(seq, 7);
	}
	lc_buf_free(&b);
}

/* Bad magic, an unknown record, an unknown event, a status not final. */
static void
test_check_bad(void **state)
{
	struct lc_buf		 b = { 0 };
	struct lc_run_end	 e;
	uint32_t		 seq;
	char			*cause = NULL;
	size_t			 off;

	(void)state;
	lc_record_start(&b, 1);
	b.data[0] ^= 1;
	assert_int_equal(lc_record_check(b.data, b.len, &seq, &cause), -1);
	assert_non_null(strstr(cause, "malformed"));
	free(cause);

	lc_record_start(&b, 1);
	lc_buf_add(&b, "X", 1);
	assert_int_equal(lc_record_check(b.data, b.len, &seq, NULL), -1);

	lc_record_start(&b, 1);
	off = b.len;
	lc_record_event(&b, LC_EVENT_STARTED, 1, NULL);
	b.data[off + 1] = (char)LC_EVENT_COUNT;
	assert_int_equal(lc_record_check(b.data, b.len, &seq, NULL), -1);

	lc_record_start(&b, 1);
	off = b.len;
	end_ok(&e, NULL, 0);
	lc_record_finish(&b, &e);
	b.data[off + 1] = (char)LC_RUN_RUNNING;
	assert_int_equal(lc_record_check(b.data, b.len, &seq, NULL), -1);
	b.data[off + 1] = (char)LC_RUN_NSTATUS;
	assert_int_equal(lc_record_check(b.data, b.len, &seq, NULL), -1);

	/* A string longer than what is left. */
	lc_record_start(&b, 1);
	off = b.len;
	lc_record_event(&b, LC_EVENT_STARTED, 1, "abc");
	b.data[off + 10] = 100;
	assert_int_equal(lc_record_check(b.data, b.len, &seq, NULL), -1);
	lc_buf_free(&b);
}

/* Running, started, end: the row and the timeline as the units say. */
static void
test_apply(void **state)
{
	struct lc_history	*h;
	struct lc_buf		 b = { 0 };
	struct lc_run_end	 e;
	struct lc_record_seen	 seen;
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	(void)state;
	queued_run(id);
	h = open_db();
	lc_record_start(&b, 1);
	lc_record_running(&b, 1234);
	assert_int_equal(lc_record_apply(h, id, getpid(), b.data, b.len, 0,
	    &seen, &cause), 0);
	assert_true(seen.running);
	assert_int_equal(seen.started_at, 1234);
	assert_false(seen.finished);
	lc_record_start(&b, 2);
	lc_record_event(&b, LC_EVENT_STARTED, 1240, "pid 9");
	assert_int_equal(lc_record_apply(h, id, getpid(), b.data, b.len, 0,
	    &seen, NULL), 0);
	assert_true(seen.lock_acquired);
	lc_record_start(&b, 3);
	lc_record_event(&b, LC_EVENT_EXITED, 1300, "exit 0");
	end_ok(&e, "o\0t\n", 4);	/* output is bytes, NULs and all */
	e.finished_at = 1300;
	lc_record_finish(&b, &e);
	assert_int_equal(lc_record_apply(h, id, getpid(), b.data, b.len, 0,
	    &seen, NULL), 0);
	assert_true(seen.finished);
	assert_int_equal(seen.status, LC_RUN_SUCCEEDED);
	assert_int_equal(seen.exit_code, 0);
	assert_int_equal(seen.duration_ms, 5);
	lc_history_close(h);

	check_ended(id, &row);
	assert_int_equal(row.started_at, 1234);
	assert_int_equal(row.finished_at, 1300);
	assert_int_equal(row.output_len, 4);
	assert_memory_equal(row.output, "o\0t\n", 4);
	lc_history_run_clear(&row);
	lc_buf_free(&b);
}

/*
 * A unit applied twice: refused the second time, unless replayed, and a
 * replay writes nothing twice (the daemon committed it, then died).
 */
static void
test_replay(void **state)
{
	struct lc_history	*h;
	struct lc_buf		 r = { 0 }, f = { 0 };
	struct lc_run_end	 e;
	char			 id[LC_UUID_BUFSZ];

	(void)state;
	queued_run(id);
	h = open_db();
	lc_record_start(&r, 1);
	lc_record_running(&r, 1000);
	lc_record_start(&f, 2);
	lc_record_event(&f, LC_EVENT_EXITED, 1100, "exit 0");
	lc_record_event(&f, LC_EVENT_TIMEOUT, 1100, NULL);
	end_ok(&e, NULL, 0);
	lc_record_finish(&f, &e);
	assert_int_equal(lc_record_apply(h, id, getpid(), r.data, r.len, 0,
	    NULL, NULL), 0);
	assert_int_equal(lc_record_apply(h, id, getpid(), r.data, r.len, 0,
	    NULL, NULL), -1);
	assert_int_equal(lc_record_apply(h, id, getpid(), r.data, r.len, 1,
	    NULL, NULL), 0);
	assert_int_equal(lc_record_apply(h, id, getpid(), f.data, f.len, 0,
	    NULL, NULL), 0);
	assert_int_equal(lc_record_apply(h, id, getpid(), f.data, f.len, 0,
	    NULL, NULL), -1);
	assert_int_equal(lc_record_apply(h, id, getpid(), f.data, f.len, 1,
	    NULL, NULL), 0);
	assert_int_equal(lc_record_apply(h, id, getpid(), r.data, r.len, 1,
	    NULL, NULL), -1);	/* finished: running again is no replay */
	lc_history_close(h);
	assert_int_equal(count_events(id, LC_EVENT_EXITED), 1);
	assert_int_equal(count_events(id, LC_EVENT_TIMEOUT), 1);
	lc_buf_free(&r);
	lc_buf_free(&f);
}

/* A unit is all or nothing: a failing record takes its events with it. */
static void
test_apply_atomic(void **state)
{
	struct lc_history	*h;
	struct lc_buf		 b = { 0 };
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	(void)state;
	queued_run(id);
	h = open_db();
	lc_record_start(&b, 1);
	lc_record_event(&b, LC_EVENT_LOCK_WAIT, 1000, "waiting");
	lc_record_running(&b, 1000);
	lc_record_running(&b, 1001);	/* no longer queued: fails */
	assert_int_equal(lc_record_apply(h, id, getpid(), b.data, b.len, 0,
	    NULL, &cause), -1);
	assert_non_null(strstr(cause, "not queued"));
	free(cause);
	lc_history_close(h);
	get_row(id, &row);
	assert_int_equal(row.status, LC_RUN_QUEUED);
	lc_history_run_clear(&row);
	assert_int_equal(count_events(id, LC_EVENT_LOCK_WAIT), 0);
	lc_buf_free(&b);
}

/* Inside the caller's transaction, a unit goes with it. */
static void
test_apply_in_txn(void **state)
{
	struct lc_history	*h;
	struct lc_buf		 b = { 0 };
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ];

	(void)state;
	queued_run(id);
	h = open_db();
	lc_record_start(&b, 1);
	lc_record_running(&b, 1000);
	assert_int_equal(lc_history_begin(h, NULL), 0);
	assert_true(lc_history_in_transaction(h));
	assert_int_equal(lc_record_apply(h, id, getpid(), b.data, b.len, 0,
	    NULL, NULL), 0);
	lc_history_rollback(h);
	assert_false(lc_history_in_transaction(h));
	lc_history_close(h);
	get_row(id, &row);
	assert_int_equal(row.status, LC_RUN_QUEUED);
	lc_history_run_clear(&row);
	lc_buf_free(&b);
}

/* The answer waiting on a channel: 1 committed, 0 refused, -1 none. */
static int
answer(int fd, uint32_t seq)
{
	struct {
		uint32_t	 seq;
		int32_t		 result;
	} a;

	if (recv(fd, &a, sizeof a, MSG_DONTWAIT) != (ssize_t)sizeof a)
		return (-1);
	assert_int_equal(a.seq, seq);
	return (a.result == 0);
}

/* The daemon's batch: one transaction, each unit answered on its own. */
static void
test_commit_batch(void **state)
{
	struct lc_history	*h;
	struct lc_buf		 good = { 0 }, bad = { 0 };
	struct lc_record_in	 in[2];
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ];
	int			 s1[2], s2[2];

	(void)state;
	queued_run(id);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s2), 0);
	lc_record_start(&good, 11);
	lc_record_running(&good, 1000);
	lc_record_start(&bad, 12);
	lc_record_event(&bad, LC_EVENT_STARTED, 1000, NULL);
	memset(in, 0, sizeof in);
	in[0].id = id;
	in[0].supervisor = getpid();
	in[0].chan = s1[0];
	in[0].pkt = &good;
	in[1].id = "no-such-run";
	in[1].supervisor = getpid();
	in[1].chan = s2[0];
	in[1].pkt = &bad;
	h = open_db();
	assert_int_equal(lc_record_commit(h, in, 2, NULL), 1);
	lc_history_close(h);
	assert_true(in[0].ok);
	assert_true(in[0].seen.running);
	assert_false(in[1].ok);
	assert_int_equal(answer(s1[1], 11), 1);
	assert_int_equal(answer(s2[1], 12), 0);
	get_row(id, &row);
	assert_int_equal(row.status, LC_RUN_RUNNING);
	lc_history_run_clear(&row);

	/* No history at all: every unit refused, every one answered. */
	in[0].pkt = &good;
	assert_int_equal(lc_record_commit(NULL, in, 1, NULL), 0);
	assert_int_equal(answer(s1[1], 11), 0);
	close(s1[0]);
	close(s1[1]);
	close(s2[0]);
	close(s2[1]);
	lc_buf_free(&good);
	lc_buf_free(&bad);
}

/* Packets of any size are read whole, in order; then none; then EOF. */
static void
test_recv_sizes(void **state)
{
	static const size_t	 sizes[] = { 1, 4096, 70000, 150000 };
	struct lc_buf		 pkt = { 0 };
	char			*data;
	size_t			 i;
	int			 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	data = xcalloc(1, 150000);
	for (i = 0; i < 150000; i++)
		data[i] = (char)(i * 7);
	for (i = 0; i < 4; i++)
		assert_int_equal(send(sv[1], data, sizes[i], 0),
		    (ssize_t)sizes[i]);
	for (i = 0; i < 4; i++) {
		assert_int_equal(lc_record_recv(sv[0], &pkt), 1);
		assert_int_equal(pkt.len, sizes[i]);
		assert_memory_equal(pkt.data, data, sizes[i]);
	}
	assert_int_equal(lc_record_recv(sv[0], &pkt), 0);
	close(sv[1]);
	assert_int_equal(lc_record_recv(sv[0], &pkt), -1);
	close(sv[0]);
	free(data);
	lc_buf_free(&pkt);
}

/* How the fake daemon treats each unit it reads. */
enum daemon_mode {
	D_COMMIT,		/* write, answer yes */
	D_REFUSE,		/* answer no, write nothing */
	D_DIE,			/* exit without writing or answering */
	D_COMMIT_DIE		/* write and answer the first, write the
				   second and exit without answering */
};

/* A daemon in a child: serves n units of run id on fd as mode says. */
static pid_t
fake_daemon(int fd, int other, const char *id, enum daemon_mode mode, int n)
{
	struct lc_history	*h;
	struct lc_record_in	 in;
	struct lc_buf		 pkt = { 0 };
	uint32_t		 seq;
	pid_t			 pid;
	int			 i;

	if ((pid = fork()) != 0)
		return (pid);
	close(other);
	for (i = 0; i < n; i++) {
		struct timeval tv = { 5, 0 };
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) != 1 ||
		    lc_record_recv(fd, &pkt) != 1)
			_exit(3);
		if (lc_record_check(pkt.data, pkt.len, &seq, NULL) != 0)
			_exit(4);
		switch (mode) {
		case D_REFUSE:
			lc_record_ack(fd, seq, 0);
			continue;
		case D_DIE:
			_exit(0);
		default:
			break;
		}
		if ((h = lc_history_open(db, 0, NULL, NULL)) == NULL)
			_exit(5);
		memset(&in, 0, sizeof in);
		in.id = id;
		in.supervisor = getppid();
		in.chan = mode == D_COMMIT || i == 0 ? fd : -1;
		in.pkt = &pkt;
		if (lc_record_commit(h, &in, 1, NULL) != 1)
			_exit(6);
		lc_history_close(h);
		if (mode == D_COMMIT_DIE && i == 1)
			_exit(0);
	}
	_exit(0);
}

/* A recorder's run of three units against a daemon in a mode. */
static void
recorder_against(enum daemon_mode mode, unsigned want_via,
    unsigned want_direct)
{
	struct lc_recorder	*rc;
	struct lc_buf		 b = { 0 };
	struct lc_run_end	 e;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	unsigned		 via, direct;
	int			 sv[2], st;
	pid_t			 pid;

	queued_run(id);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	pid = fake_daemon(sv[0], sv[1], id, mode, 3);
	close(sv[0]);
	rc = lc_recorder_new(db, NULL, id, sv[1]);
	lc_recorder_unit(rc, &b);
	lc_record_running(&b, lc_now_ms());
	assert_int_equal(lc_recorder_write(rc, &b, &cause), 0);
	lc_recorder_unit(rc, &b);
	lc_record_event(&b, LC_EVENT_STARTED, LC_HISTORY_NONE, "pid 1");
	assert_int_equal(lc_recorder_write(rc, &b, &cause), 0);
	lc_recorder_unit(rc, &b);
	lc_record_event(&b, LC_EVENT_EXITED, LC_HISTORY_NONE, "exit 0");
	end_ok(&e, "x", 1);
	lc_record_finish(&b, &e);
	assert_int_equal(lc_recorder_write(rc, &b, &cause), 0);
	lc_recorder_counts(rc, &via, &direct);
	assert_int_equal(via, want_via);
	assert_int_equal(direct, want_direct);
	lc_recorder_free(rc);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	check_ended(id, NULL);
	lc_buf_free(&b);
}

static void
test_recorder_daemon_commits(void **state)
{
	(void)state;
	recorder_against(D_COMMIT, 3, 0);
}

static void
test_recorder_daemon_refuses(void **state)
{
	(void)state;
	recorder_against(D_REFUSE, 0, 3);
}

static void
test_recorder_daemon_dies(void **state)
{
	(void)state;
	recorder_against(D_DIE, 0, 3);
}

/* The started event committed by a daemon that died before answering:
 * written again, but not twice. */
static void
test_recorder_daemon_dies_after_commit(void **state)
{
	(void)state;
	recorder_against(D_COMMIT_DIE, 1, 2);
}

/* A unit too large for the socket is written directly; the next ones
 * still go through the daemon. */
static void
test_recorder_too_large(void **state)
{
	struct lc_recorder	*rc;
	struct lc_buf		 b = { 0 };
	struct lc_run_end	 e;
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ], *big;
	unsigned		 via, direct;
	size_t			 len = 4 * 1024 * 1024;
	int			 sv[2], st;
	pid_t			 pid;

	(void)state;
	queued_run(id);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	pid = fake_daemon(sv[0], sv[1], id, D_COMMIT, 1);
	close(sv[0]);
	rc = lc_recorder_new(db, NULL, id, sv[1]);
	lc_recorder_unit(rc, &b);
	lc_record_running(&b, lc_now_ms());
	assert_int_equal(lc_recorder_write(rc, &b, NULL), 0);
	big = xcalloc(1, len);
	memset(big, 'y', len);
	lc_recorder_unit(rc, &b);
	end_ok(&e, big, len);
	lc_record_finish(&b, &e);
	assert_int_equal(lc_recorder_write(rc, &b, NULL), 0);
	lc_recorder_counts(rc, &via, &direct);
	assert_int_equal(via, 1);
	assert_int_equal(direct, 1);
	lc_recorder_free(rc);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	get_row(id, &row);
	assert_int_equal(row.status, LC_RUN_SUCCEEDED);
	assert_int_equal(row.output_len, len);
	lc_history_run_clear(&row);
	free(big);
	lc_buf_free(&b);
}

/* Without a channel, everything is written directly. */
static void
test_recorder_direct(void **state)
{
	struct lc_recorder	*rc;
	struct lc_buf		 b = { 0 };
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ];
	unsigned		 via, direct;

	(void)state;
	queued_run(id);
	rc = lc_recorder_new(db, NULL, id, -1);
	lc_recorder_unit(rc, &b);
	lc_record_running(&b, lc_now_ms());
	assert_int_equal(lc_recorder_write(rc, &b, NULL), 0);
	lc_recorder_counts(rc, &via, &direct);
	assert_int_equal(via, 0);
	assert_int_equal(direct, 1);
	assert_non_null(lc_recorder_history(rc, NULL));
	lc_recorder_free(rc);
	get_row(id, &row);
	assert_int_equal(row.status, LC_RUN_RUNNING);
	lc_history_run_clear(&row);
	lc_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_truncations),
		cmocka_unit_test(test_check_bad),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_apply_atomic),
		cmocka_unit_test(test_apply_in_txn),
		cmocka_unit_test(test_commit_batch),
		cmocka_unit_test(test_recv_sizes),
		cmocka_unit_test(test_recorder_daemon_commits),
		cmocka_unit_test(test_recorder_daemon_refuses),
		cmocka_unit_test(test_recorder_daemon_dies),
		cmocka_unit_test(test_recorder_daemon_dies_after_commit),
		cmocka_unit_test(test_recorder_too_large),
		cmocka_unit_test(test_recorder_direct),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
