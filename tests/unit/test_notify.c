/*
 * Unit tests for the notifications' pure parts and their edges: the run's
 * JSON (UTF-8 repair, nulls, read back from a real history file), which
 * channels a status selects, mail addresses and the mail itself (header
 * injection, quoted-printable), URLs refused before any connection,
 * sendmail's failures, and a detached notifier that is nobody's child.
 * The deliveries end to end are in tests/notify-run.sh and
 * tests/notify-daemon.sh.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmpdir.h"
#include "lockcron/history.h"
#include "lockcron/notify.h"
#include "lockcron/runjson.h"
#include "lockcron/util.h"
#include "../../src/notify-int.h"

static char	 dir[256];

static int
setup(void **state)
{
	if (tmpdir_make(dir, sizeof dir, "notify") != 0)
		return (-1);
	signal(SIGPIPE, SIG_IGN);
	return (0);
}

static int
teardown(void **state)
{
	unsetenv("LOCKCRON_SENDMAIL");
	return (tmpdir_remove(dir));
}

/* The JSON text of a string built by lc_runjson_string. */
static char *
js(const char *s, size_t len)
{
	json_t	*v = lc_runjson_string(s, len);
	char	*text;

	assert_non_null(v);
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	json_decref(v);
	return (text);
}

#define assert_js(in, want) do {					\
	char *got_ = js(in, sizeof in - 1);				\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static void
test_runjson_string(void **state)
{
	assert_js("plain", "\"plain\"");
	assert_js("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\\u00E9 \\u20AC \\uD83D\\uDE00\"");
	assert_js("a\xff" "b", "\"a\\uFFFDb\"");
	assert_js("cut \xc3", "\"cut \\uFFFD\"");
	assert_js("\xc0\xaf", "\"\\uFFFD\\uFFFD\"");		/* overlong */
	assert_js("\xed\xa0\x80", "\"\\uFFFD\\uFFFD\\uFFFD\"");	/* surrogate */
	assert_js("\xf4\x90\x80\x80", "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\"");
	assert_js("nul\0here", "\"nul\\u0000here\"");
	assert_js("", "\"\"");
}

static void
test_runjson_nulls(void **state)
{
	struct lc_run	 r;
	json_t		*o;
	char		*text;

	lc_history_run_init(&r);
	snprintf(r.id, sizeof r.id, "0c3e2b4e-8d2f-4b43-9c59-0d9a4b1e7f10");
	r.job = "j";
	r.status = LC_RUN_LOST;
	r.trigger = LC_TRIGGER_CATCH_UP;
	r.attempt = 2;
	r.scheduled_at = 1795485600004LL;
	o = lc_runjson_run(&r);
	text = json_dumps(o, JSON_COMPACT);
	assert_string_equal(text, "{\"run_id\":"
	    "\"0c3e2b4e-8d2f-4b43-9c59-0d9a4b1e7f10\",\"fire_id\":null,"
	    "\"job\":\"j\",\"trigger\":\"catch_up\",\"attempt\":2,"
	    "\"status\":\"lost\",\"exit_code\":null,\"signal\":null,"
	    "\"scheduled_at\":\"2026-11-24T02:00:00.004Z\","
	    "\"started_at\":null,\"finished_at\":null,\"duration_ms\":null,"
	    "\"host\":null,\"error\":null}");
	free(text);
	json_decref(o);
}

/* A finished run with events and bad UTF-8 in its output, read back. */
static void
test_runjson_load(void **state)
{
	struct lc_history	*h;
	struct lc_run		 r;
	struct lc_run_end	 end;
	char			 path[512], id[LC_UUID_BUFSZ], *cause = NULL;
	json_t			*o, *ev;

	snprintf(path, sizeof path, "%s/state/history.db", dir);
	h = lc_history_open(path, 0, NULL, &cause);
	assert_non_null(h);
	lc_history_run_init(&r);
	r.job = "backup";
	r.status = LC_RUN_RUNNING;
	r.scheduled_at = 1795485600000LL;
	assert_int_equal(lc_history_run_insert(h, &r, id, &cause), 0);
	assert_int_equal(lc_history_event_add(h, id, LC_EVENT_STARTED,
	    LC_HISTORY_NONE, "pid 42", &cause), 0);
	lc_history_end_init(&end, LC_RUN_FAILED);
	end.exit_code = 3;
	end.error = "exited with status 3";
	end.output = "ok\xff\n";
	end.output_len = 4;
	assert_int_equal(lc_history_run_finish(h, id, &end, &cause), 0);
	o = lc_runjson_load(h, id, &cause);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "run_id")),
	    id);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	    "failed");
	assert_int_equal(json_integer_value(json_object_get(o, "exit_code")),
	    3);
	assert_string_equal(json_string_value(json_object_get(o, "output")),
	    "ok\xef\xbf\xbd\n");
	ev = json_array_get(json_object_get(o, "events"), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "kind")),
	    "started");
	assert_string_equal(json_string_value(json_object_get(ev, "detail")),
	    "pid 42");
	assert_int_equal(json_object_size(o), 16);
	json_decref(o);
	assert_null(lc_runjson_load(h, "ffffffff-0000-4000-8000-000000000000",
	    &cause));
	assert_non_null(cause);
	free(cause);
	lc_history_close(h);
}

static void
test_channels(void **state)
{
	struct lc_job	 job;
	char		*on[] = { "failed", "lost", "missed", NULL };
	const unsigned	 all = LC_NOTIFY_WEBHOOK | LC_NOTIFY_MAIL;

	memset(&job, 0, sizeof job);
	job.name = "j";
	assert_false(lc_notify_configured(&job));
	assert_int_equal(lc_notify_channels(&job, LC_RUN_FAILED), 0);
	job.notify.on = on;
	job.notify.non = 3;
	job.notify.webhook = "https://h/x";
	job.notify.mail = "ops@example.com";
	assert_true(lc_notify_configured(&job));
	assert_int_equal(lc_notify_channels(&job, LC_RUN_FAILED), all);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_MISSED), all);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_SUCCEEDED), 0);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_TIMED_OUT), 0);
	job.notify.ping = "https://hc/uuid";
	/* The ping ignores `on`: success and every failure, nothing else. */
	assert_int_equal(lc_notify_channels(&job, LC_RUN_SUCCEEDED),
	    LC_NOTIFY_PING);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_TIMED_OUT),
	    LC_NOTIFY_PING);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_LOST),
	    all | LC_NOTIFY_PING);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_MISSED), all);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_SKIPPED), 0);
	assert_int_equal(lc_notify_channels(&job, LC_RUN_CANCELLED), 0);
}

static void
test_mail_check(void **state)
{
	static const char *const good[] = {
		"ops@example.com", "root", "a@b.c,d@e.f", "user+tag@x.org",
		"a.b-c_d=e%f!g@h"
	};
	static const char *const bad[] = {
		"", "-oQ/tmp", "a@b,-t", "a b@c", "a\n@b", "a@b,", ",a@b",
		"a@b,,c@d", ".a@b", "x@y;rm", "a<b>", "a@b\r\nBcc: c@d",
		"@b", "caf\xc3\xa9@x"
	};
	size_t	 i;

	for (i = 0; i < LC_NELEM(good); i++)
		assert_int_equal(notify_mail_check(good[i]), 0);
	for (i = 0; i < LC_NELEM(bad); i++)
		assert_int_equal(notify_mail_check(bad[i]), -1);
	assert_int_equal(notify_mail_check(NULL), -1);
}

/* The header block (up to the blank line) of a message. */
static char *
headers(const char *msg)
{
	const char	*end = strstr(msg, "\n\n");

	assert_non_null(end);
	return (xstrndup(msg, (size_t)(end - msg + 1)));
}

static void
test_mail_message(void **state)
{
	json_t		*run;
	char		*msg, *h, *line;
	struct lc_buf	 out = { 0 };
	size_t		 i, n;

	run = json_pack("{s:s, s:s, s:s, s:i, s:n, s:s, s:[], s:s}",
	    "run_id", "r1", "job", "evil\nBcc: x@y", "status", "failed",
	    "exit_code", 3, "signal", "host", "h\r\nX: y", "events",
	    "output", "a=b\x1b[31m\n");
	msg = notify_mail_message("ops@example.com", run);
	h = headers(msg);
	assert_non_null(strstr(h, "To: ops@example.com\n"));
	assert_non_null(strstr(h,
	    "Subject: lockcron: evil?Bcc: x@y failed on h??X: y\n"));
	assert_null(strstr(h, "\nBcc:"));
	assert_null(strstr(h, "\nX: y"));
	assert_non_null(strstr(h, "Content-Transfer-Encoding: 8bit\n"));
	assert_non_null(strstr(msg, "Status     failed, exit code 3\n"));
	/* Escape sequences of the output do not reach a mail reader. */
	assert_non_null(strstr(msg, "\na=b?[31m\n"));
	assert_non_null(strstr(msg, "\"exit_code\": 3"));
	free(h);
	free(msg);

	for (i = 0; i < 1500; i++)
		lc_buf_addstr(&out, i % 100 == 0 ? "=" : "x");
	json_object_set_new(run, "output", json_string(out.data));
	msg = notify_mail_message("ops@example.com", run);
	h = headers(msg);
	assert_non_null(strstr(h,
	    "Content-Transfer-Encoding: quoted-printable\n"));
	for (line = msg; *line != '\0'; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		assert_true(n <= 76);
	}
	assert_non_null(strstr(msg, "=3D"));
	free(h);
	free(msg);
	lc_buf_free(&out);
	json_decref(run);
}

static void
test_http_refused_urls(void **state)
{
	static const char *const urls[][2] = {
		{ "http://example.com/hook",
		  "plain http is allowed only to a loopback host" },
		{ "ftp://127.0.0.1/x", "only http and https urls are allowed" },
		{ "https://user:pw@127.0.0.1/x", "the url holds credentials" },
		{ "not a url", "invalid url" },
	};
	char	*detail;
	size_t	 i;

	for (i = 0; i < LC_NELEM(urls); i++) {
		assert_int_equal(notify_http("GET", urls[i][0], NULL, NULL, 0,
		    &detail), -1);
		assert_string_equal(detail, urls[i][1]);
		free(detail);
	}
}

/* notify_mail with a sendmail script that prints msg and exits with code. */
static int
mail_with(const char *script, char **detail)
{
	struct lc_job	 job;
	json_t		*run;
	char		 path[512];
	FILE		*f;
	int		 rc;

	snprintf(path, sizeof path, "%s/sendmail", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(path, 0755);
	setenv("LOCKCRON_SENDMAIL", path, 1);
	memset(&job, 0, sizeof job);
	job.name = "j";
	job.notify.mail = "ops@example.com";
	run = json_pack("{s:s, s:s, s:s}", "run_id", "r", "job", "j",
	    "status", "failed");
	rc = notify_mail(&job, run, detail);
	json_decref(run);
	return (rc);
}

static void
test_sendmail(void **state)
{
	char	*d, want[600];

	assert_int_equal(mail_with("cat >/dev/null", &d), 0);
	assert_string_equal(d, "ops@example.com");
	free(d);
	assert_int_equal(mail_with("cat >/dev/null; echo 'queue full' >&2; "
	    "exit 75", &d), -1);
	snprintf(want, sizeof want, "%s/sendmail exited with status 75: "
	    "queue full", dir);
	assert_string_equal(d, want);
	free(d);
	/* Exits without reading: no SIGPIPE, a plain failure. */
	assert_int_equal(mail_with("exit 1", &d), -1);
	assert_non_null(strstr(d, "exited with status 1"));
	free(d);
	assert_int_equal(mail_with("kill -9 $$", &d), -1);
	assert_non_null(strstr(d, "was killed by signal 9"));
	free(d);
}

/* A detached notifier is not our child, even when we are a subreaper. */
static void
test_fork_detached(void **state)
{
	int	 p[2], q[2], was = 0;
	pid_t	 pid, ppid = 0;
	char	 c;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	if ((pid = lc_notify_fork(1, 0)) == 0) {
		/* Reparented before the caller got 1; report the parent. */
		if (read(q[0], &c, 1) == 1) {
			ppid = getppid();
			if (write(p[1], &ppid, sizeof ppid) != sizeof ppid)
				_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(pid, 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(read(p[0], &ppid, sizeof ppid), sizeof ppid);
	assert_int_not_equal(ppid, getpid());
	assert_int_equal(prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0), 0);
	assert_int_equal(was, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void
test_notifier_none(void **state)
{
	struct lc_job	 job;

	memset(&job, 0, sizeof job);
	job.name = "quiet";
	assert_null(lc_notifier_new(NULL, &job, 0));
	lc_notifier_started(NULL, "x");
	lc_notifier_end(NULL, "x");
	lc_notifier_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runjson_string),
		cmocka_unit_test(test_runjson_nulls),
		cmocka_unit_test(test_runjson_load),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_mail_check),
		cmocka_unit_test(test_mail_message),
		cmocka_unit_test(test_http_refused_urls),
		cmocka_unit_test(test_sendmail),
		cmocka_unit_test(test_fork_detached),
		cmocka_unit_test(test_notifier_none),
	};

	return (cmocka_run_group_tests_name("notify", tests, setup,
	    teardown));
}
