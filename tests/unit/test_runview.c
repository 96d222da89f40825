/*
 * Unit tests for runview: the rows of `history` as a table, JSON and CSV
 * (the documented keys, nulls, UTC instants), `show` as text and JSON,
 * `status` rows and its exit status, the last-run cells of `list`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/runview.h"
#include "lockcron/util.h"

#define T0	1795485600004LL		/* 2026-11-24T02:00:00.004Z */

static struct lc_tz	*berlin;

static int
setup(void **state)
{
	berlin = lc_tz_load("Europe/Berlin", NULL);
	return (berlin == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	lc_tz_free(berlin);
	return (0);
}

/* A finished run and a running one. */
static void
make_runs(struct lc_run r[2])
{
	lc_history_run_init(&r[0]);
	snprintf(r[0].id, sizeof r[0].id,
	    "0a1b2c3d-0000-4000-8000-000000000001");
	r[0].fire_id = "0a1b2c3d-0000-4000-8000-000000000001";
	r[0].job = "backup";
	r[0].trigger = LC_TRIGGER_SCHEDULE;
	r[0].scheduled_at = T0;
	r[0].started_at = T0 + 5;
	r[0].finished_at = T0 + 5 + 252000;
	r[0].duration_ms = 252000;
	r[0].status = LC_RUN_FAILED;
	r[0].exit_code = 3;
	r[0].host = "db1";
	r[0].error = "exit status 3";
	lc_history_run_init(&r[1]);
	snprintf(r[1].id, sizeof r[1].id,
	    "ffeeddcc-0000-4000-8000-000000000002");
	r[1].fire_id = "0a1b2c3d-0000-4000-8000-000000000001";
	r[1].job = "backup";
	r[1].trigger = LC_TRIGGER_RETRY;
	r[1].attempt = 2;
	r[1].scheduled_at = T0;
	r[1].started_at = T0 + 300000;
	r[1].status = LC_RUN_KILLED;
	r[1].signal = SIGKILL;
	r[1].host = "db1";
}

/* The runs as lc_runview_runs renders them, unlimited width. */
static char *
runs_text(const struct lc_runview *v, const struct lc_run *r,
    const size_t *prefix, size_t n)
{
	struct lc_output_style	 st = { 0, 0 };

	return (lc_runview_runs(v, r, prefix, n, &st));
}

static char *
render(struct lc_output *o, enum lc_output_format f)
{
	struct lc_output_style	 st = { 0, 0 };
	char			*s = lc_output_render(o, f, &st);

	lc_output_free(o);
	return (s);
}

static void
test_runs_json(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_JSON };
	struct lc_run		 r[2];
	json_t			*a, *o;
	const char		*key;
	json_t			*val;
	char			*s, keys[512] = "";

	make_runs(r);
	s = runs_text(&v, r, NULL, 2);
	a = json_loads(s, 0, NULL);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 0);
	json_object_foreach(o, key, val) {
		strcat(keys, key);
		strcat(keys, " ");
	}
	assert_string_equal(keys, "run_id fire_id job trigger attempt status "
	    "exit_code signal scheduled_at started_at finished_at duration_ms "
	    "host error ");
	assert_string_equal(json_string_value(json_object_get(o,
	    "scheduled_at")), "2026-11-24T02:00:00.004Z");
	assert_string_equal(json_string_value(json_object_get(o,
	    "finished_at")), "2026-11-24T02:04:12.009Z");
	assert_int_equal(json_integer_value(json_object_get(o, "duration_ms")),
	    252000);
	assert_int_equal(json_integer_value(json_object_get(o, "exit_code")),
	    3);
	assert_true(json_is_null(json_object_get(o, "signal")));
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	    "failed");
	o = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(o, "trigger")),
	    "retry");
	assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 2);
	assert_true(json_is_null(json_object_get(o, "exit_code")));
	assert_int_equal(json_integer_value(json_object_get(o, "signal")), 9);
	assert_true(json_is_null(json_object_get(o, "finished_at")));
	assert_true(json_is_null(json_object_get(o, "duration_ms")));
	assert_true(json_is_null(json_object_get(o, "error")));
	json_decref(a);
	free(s);
}

static void
test_runs_table_csv(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_TABLE };
	struct lc_run		 r[2];
	size_t			 prefix[2] = { 8, 10 };
	char			*s;

	make_runs(r);
	s = runs_text(&v, r, prefix, 2);
	assert_string_equal(s,
	    "RUN         JOB     TRIGGER   SCHEDULED            "
	    "STARTED              DURATION  STATUS     EXIT\n"
	    "0a1b2c3d    backup  schedule  2026-11-24 03:00:00  "
	    "2026-11-24 03:00:00     4m12s  failed        3\n"
	    "ffeeddcc-0  backup  retry     2026-11-24 03:00:00  "
	    "2026-11-24 03:05:00         -  killed  SIGKILL\n");
	free(s);
	v.format = LC_OUTPUT_CSV;
	s = runs_text(&v, r, NULL, 1);
	assert_string_equal(s, "run_id,fire_id,job,trigger,attempt,status,"
	    "exit_code,signal,scheduled_at,started_at,finished_at,duration_ms,"
	    "host,error\r\n0a1b2c3d-0000-4000-8000-000000000001,"
	    "0a1b2c3d-0000-4000-8000-000000000001,backup,schedule,1,failed,3,,"
	    "2026-11-24T02:00:00.004Z,2026-11-24T02:00:00.009Z,"
	    "2026-11-24T02:04:12.009Z,252000,db1,exit status 3\r\n");
	free(s);
}

/* CSV carries runjson's keys in its order, and the same values. */
static void
test_csv_matches_json(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_CSV };
	struct lc_run		 r[2];
	const char		*key;
	json_t			*a, *o, *val;
	char			*csv, *json, *line, *field, *p, buf[64];
	size_t			 i;

	make_runs(r);
	csv = runs_text(&v, r, NULL, 2);
	v.format = LC_OUTPUT_JSON;
	json = runs_text(&v, r, NULL, 2);
	a = json_loads(json, 0, NULL);
	assert_non_null(a);
	p = csv;
	line = strsep(&p, "\n");		/* the header */
	o = json_array_get(a, 0);
	json_object_foreach(o, key, val) {
		field = strsep(&line, ",\r");
		assert_string_equal(field, key);
	}
	for (i = 0; i < 2; i++) {
		line = strsep(&p, "\n");
		o = json_array_get(a, i);
		json_object_foreach(o, key, val) {
			field = strsep(&line, ",\r");
			if (json_is_null(val))
				snprintf(buf, sizeof buf, "%s", "");
			else if (json_is_integer(val))
				snprintf(buf, sizeof buf, "%lld",
				    (long long)json_integer_value(val));
			else
				snprintf(buf, sizeof buf, "%s",
				    json_string_value(val));
			assert_string_equal(field, buf);
		}
	}
	json_decref(a);
	free(csv);
	free(json);
}

static const struct lc_event events[] = {
	{ T0, LC_EVENT_SCHEDULED, "schedule" },
	{ T0 + 2, LC_EVENT_QUEUED, NULL },
	{ T0 + 3, LC_EVENT_LOCK_ACQUIRED, "/var/lib/lockcron/locks/b.lock" },
	{ T0 + 252009, LC_EVENT_EXITED, "exit 3" },
};

static void
test_show_text(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_TABLE };
	struct lc_run		 r[2];
	char			*s;

	make_runs(r);
	r[0].output = "line 1\n\033[31mred\tx\n";
	r[0].output_len = strlen(r[0].output);
	s = lc_runview_show(&v, &r[0], events, LC_NELEM(events));
	assert_string_equal(s,
	    "run         0a1b2c3d-0000-4000-8000-000000000001\n"
	    "fire        0a1b2c3d-0000-4000-8000-000000000001\n"
	    "job         backup\n"
	    "trigger     schedule\n"
	    "attempt     1\n"
	    "status      failed\n"
	    "exit        3\n"
	    "scheduled   2026-11-24 03:00:00.004 +01:00 "
	    "(2026-11-24T02:00:00.004Z)\n"
	    "started     2026-11-24 03:00:00.009 +01:00 "
	    "(2026-11-24T02:00:00.009Z)\n"
	    "finished    2026-11-24 03:04:12.009 +01:00 "
	    "(2026-11-24T02:04:12.009Z)\n"
	    "duration    4m12s (252000 ms)\n"
	    "host        db1\n"
	    "boot        -\n"
	    "supervisor  -\n"
	    "error       exit status 3\n"
	    "\nevents:\n"
	    "    +0.000s  scheduled         schedule\n"
	    "    +0.002s  queued\n"
	    "    +0.003s  lock_acquired     /var/lib/lockcron/locks/b.lock\n"
	    "  +252.009s  exited            exit 3\n"
	    "\noutput (18 bytes kept):\n"
	    "line 1\n\\x1b[31mred\tx\n");
	free(s);
	s = lc_runview_show(&v, &r[1], NULL, 0);
	assert_non_null(strstr(s, "exit        SIGKILL\n"));
	assert_non_null(strstr(s, "finished    -\n"));
	assert_non_null(strstr(s, "events:\n  (none)\n\noutput: (none)\n"));
	free(s);
}

static void
test_show_json(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_JSON };
	struct lc_run		 r[2];
	json_t			*o, *e;
	char			*s, out[] = "ok\0nul \xff bad\n";
	static const char	 want[] = "ok\0nul \xef\xbf\xbd bad\n";

	make_runs(r);
	r[0].output = out;
	r[0].output_len = sizeof out - 1;
	s = lc_runview_show(&v, &r[0], events, LC_NELEM(events));
	assert_non_null(strstr(s, "\"ok\\u0000nul "));
	o = json_loads(s, JSON_ALLOW_NUL, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 16);
	assert_string_equal(json_string_value(json_object_get(o, "run_id")),
	    r[0].id);
	e = json_object_get(o, "events");
	assert_int_equal(json_array_size(e), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    e, 2), "kind")), "lock_acquired");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    e, 2), "at")), "2026-11-24T02:00:00.007Z");
	assert_true(json_is_null(json_object_get(json_array_get(e, 1),
	    "detail")));
	/* runjson's string: a NUL as \u0000, bad bytes as U+FFFD. */
	assert_int_equal(json_string_length(json_object_get(o, "output")),
	    sizeof want - 1);
	assert_memory_equal(json_string_value(json_object_get(o, "output")),
	    want, sizeof want - 1);
	json_decref(o);
	free(s);
	s = lc_runview_show(&v, &r[1], NULL, 0);
	o = json_loads(s, 0, NULL);
	assert_true(json_is_null(json_object_get(o, "output")));
	assert_int_equal(json_array_size(json_object_get(o, "events")), 0);
	json_decref(o);
	free(s);
}

/* Summaries: failed last, succeeded last, none. */
static void
test_status(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_JSON };
	struct lc_job_summary	 s[2];
	struct lc_runview_job	 j[3];
	struct lc_run		 r[2], ok;
	json_t			*a, *o;
	char			*out;

	make_runs(r);
	ok = r[0];
	ok.status = LC_RUN_SUCCEEDED;
	ok.scheduled_at = ok.started_at = T0 - 86400000;
	memset(s, 0, sizeof s);
	s[0].last = &r[1];		/* killed, still the newest */
	s[0].last_finished = &r[0];	/* failed */
	s[0].last_success = &ok;
	s[0].consecutive_failures = 2;
	s[1].last = s[1].last_finished = s[1].last_success = &ok;
	memset(j, 0, sizeof j);
	j[0] = (struct lc_runview_job){ "backup", &s[0], LC_HISTORY_NONE, 0 };
	j[1] = (struct lc_runview_job){ "load", &s[1], T0 + 3600000, 0 };
	j[2] = (struct lc_runview_job){ "new", NULL, T0 + 60000, 0 };

	out = render(lc_runview_status(&v, j, 3), LC_OUTPUT_JSON);
	a = json_loads(out, 0, NULL);
	free(out);
	assert_int_equal(json_array_size(a), 3);
	o = json_array_get(a, 0);
	assert_int_equal(json_object_size(o), 6);
	assert_string_equal(json_string_value(json_object_get(o, "name")),
	    "backup");
	assert_string_equal(json_string_value(json_object_get(o,
	    "last_status")), "killed");
	assert_string_equal(json_string_value(json_object_get(o,
	    "last_run_at")), "2026-11-24T02:05:00.004Z");
	assert_string_equal(json_string_value(json_object_get(o,
	    "last_success_at")), "2026-11-23T02:00:00.004Z");
	assert_int_equal(json_integer_value(json_object_get(o,
	    "consecutive_failures")), 2);
	assert_true(json_is_null(json_object_get(o, "next_fire_at")));
	o = json_array_get(a, 2);
	assert_true(json_is_null(json_object_get(o, "last_status")));
	assert_true(json_is_null(json_object_get(o, "last_run_at")));
	assert_true(json_is_null(json_object_get(o, "last_success_at")));
	assert_int_equal(json_integer_value(json_object_get(o,
	    "consecutive_failures")), 0);
	assert_string_equal(json_string_value(json_object_get(o,
	    "next_fire_at")), "2026-11-24T02:01:00.004Z");
	json_decref(a);

	v.format = LC_OUTPUT_TABLE;
	out = render(lc_runview_status(&v, j, 3), LC_OUTPUT_TABLE);
	assert_string_equal(out,
	    "JOB     LAST       LAST RUN             LAST SUCCESS         "
	    "FAILURES  NEXT\n"
	    "backup  killed     2026-11-24 03:05:00  2026-11-23 03:00:00  "
	    "       2  -\n"
	    "load    succeeded  2026-11-23 03:00:00  2026-11-23 03:00:00  "
	    "       0  2026-11-24 04:00:00\n"
	    "new     -          -                    -                    "
	    "       0  2026-11-24 03:01:00\n");
	free(out);

	/* Exit statuses. */
	assert_int_equal(lc_runview_exit(j, 3), LC_RUNVIEW_FAILED);
	assert_int_equal(lc_runview_exit(&j[1], 2), LC_RUNVIEW_UNKNOWN);
	assert_int_equal(lc_runview_exit(&j[1], 1), LC_RUNVIEW_OK);
	assert_int_equal(lc_runview_exit(j, 0), LC_RUNVIEW_UNKNOWN);
	j[2].disabled = 1;
	assert_int_equal(lc_runview_exit(&j[1], 2), LC_RUNVIEW_OK);
	j[0].disabled = 1;
	assert_int_equal(lc_runview_exit(j, 3), LC_RUNVIEW_OK);
	assert_int_equal(lc_runview_exit(&j[2], 1), LC_RUNVIEW_UNKNOWN);
	/* Cancelled is not a success. */
	ok.status = LC_RUN_CANCELLED;
	assert_int_equal(lc_runview_exit(&j[1], 1), LC_RUNVIEW_FAILED);
}

static void
test_list_cells(void **state)
{
	struct lc_runview	 v = { berlin, LC_OUTPUT_TABLE };
	struct lc_job_summary	 s;
	struct lc_output	*o;
	struct lc_run		 r[2];
	char			*out;
	int			 first;

	make_runs(r);
	memset(&s, 0, sizeof s);
	s.last = s.last_finished = &r[0];
	o = lc_output_new();
	lc_output_column(o, "name", "NAME", 100, LC_OUTPUT_KEEP);
	first = lc_runview_last_columns(&v, o);
	assert_int_equal(first, 1);
	lc_output_row(o);
	lc_output_string(o, 0, "backup");
	lc_runview_last_cells(&v, o, first, &s);
	lc_output_row(o);
	lc_output_string(o, 0, "new");
	lc_runview_last_cells(&v, o, first, NULL);
	out = render(o, LC_OUTPUT_TABLE);
	assert_string_equal(out, "NAME    LAST    LAST RUN\n"
	    "backup  failed  2026-11-24 03:00:00\n"
	    "new     -       -\n");
	free(out);
	v.format = LC_OUTPUT_CSV;
	o = lc_output_new();
	lc_output_column(o, "name", "NAME", 100, LC_OUTPUT_KEEP);
	first = lc_runview_last_columns(&v, o);
	lc_output_row(o);
	lc_output_string(o, 0, "backup");
	lc_runview_last_cells(&v, o, first, &s);
	out = render(o, LC_OUTPUT_CSV);
	assert_string_equal(out, "name,last_status,last_run_at,"
	    "last_success_at,consecutive_failures\r\n"
	    "backup,failed,2026-11-24T02:00:00.009Z,,0\r\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_json),
		cmocka_unit_test(test_runs_table_csv),
		cmocka_unit_test(test_csv_matches_json),
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_show_json),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_list_cells),
	};

	return (cmocka_run_group_tests_name("runview", tests, setup,
	    teardown));
}
