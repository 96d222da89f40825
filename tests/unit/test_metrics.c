/*
 * Unit tests for the Prometheus exposition: the families, their HELP and
 * TYPE lines, the state set of the last status, exact seconds, escaped
 * and cleaned label values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lockcron/metrics.h"

#define T0	1795485600004LL		/* 2026-11-24T02:00:00.004Z */

static void
test_render(void **state)
{
	struct lc_job_summary	 j[2];
	struct lc_history_count	 t[3];
	struct lc_run		 last, ok, running;
	char			*s;

	lc_history_run_init(&ok);
	ok.status = LC_RUN_SUCCEEDED;
	ok.scheduled_at = T0 - 3600000;
	ok.started_at = T0 - 3600000 + 5;
	ok.duration_ms = 1500;
	lc_history_run_init(&last);
	last.status = LC_RUN_FAILED;
	last.scheduled_at = T0;
	last.started_at = T0 + 1;
	last.duration_ms = 61042;
	lc_history_run_init(&running);
	running.status = LC_RUN_RUNNING;
	running.scheduled_at = T0 + 60000;
	memset(j, 0, sizeof j);
	j[0].job = "backup";
	j[0].last = &running;
	j[0].last_finished = &last;
	j[0].last_success = &ok;
	j[0].consecutive_failures = 1;
	j[1].job = "we\"ird\\job\nname \xff";
	j[1].last = j[1].last_finished = j[1].last_success = &ok;
	t[0] = (struct lc_history_count){ "backup", LC_RUN_FAILED, 1 };
	t[1] = (struct lc_history_count){ "backup", LC_RUN_SUCCEEDED, 41 };
	t[2] = (struct lc_history_count){ j[1].job, LC_RUN_SKIPPED, 3 };
	s = lc_metrics_render(j, 2, t, 3);
	assert_string_equal(s,
"# HELP lockcron_last_run_timestamp_seconds When the newest run of the job "
"started (its scheduled time if it never started).\n"
"# TYPE lockcron_last_run_timestamp_seconds gauge\n"
"lockcron_last_run_timestamp_seconds{job=\"backup\"} 1795485660.004\n"
"lockcron_last_run_timestamp_seconds{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\"} "
"1795482000.009\n"
"# HELP lockcron_last_run_duration_seconds How long the newest finished run "
"of the job ran.\n"
"# TYPE lockcron_last_run_duration_seconds gauge\n"
"lockcron_last_run_duration_seconds{job=\"backup\"} 61.042\n"
"lockcron_last_run_duration_seconds{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\"} "
"1.500\n"
"# HELP lockcron_last_run_status The status of the newest finished run of "
"the job: 1 for its status, 0 for the others.\n"
"# TYPE lockcron_last_run_status gauge\n"
"lockcron_last_run_status{job=\"backup\",status=\"succeeded\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"failed\"} 1\n"
"lockcron_last_run_status{job=\"backup\",status=\"timed_out\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"killed\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"cancelled\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"secret_error\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"launch_error\"} 0\n"
"lockcron_last_run_status{job=\"backup\",status=\"lost\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"succeeded\"} 1\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"failed\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"timed_out\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"killed\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"cancelled\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"secret_error\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"launch_error\"} 0\n"
"lockcron_last_run_status{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"lost\"} 0\n"
"# HELP lockcron_last_success_timestamp_seconds When the newest successful "
"run of the job started.\n"
"# TYPE lockcron_last_success_timestamp_seconds gauge\n"
"lockcron_last_success_timestamp_seconds{job=\"backup\"} 1795482000.009\n"
"lockcron_last_success_timestamp_seconds{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\"} "
"1795482000.009\n"
"# HELP lockcron_consecutive_failures Failed runs of the job since its "
"newest success.\n"
"# TYPE lockcron_consecutive_failures gauge\n"
"lockcron_consecutive_failures{job=\"backup\"} 1\n"
"lockcron_consecutive_failures{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\"} 0\n"
"# HELP lockcron_runs_total Runs of the job that ended, by status (pruning "
"the history does not lower it).\n"
"# TYPE lockcron_runs_total counter\n"
"lockcron_runs_total{job=\"backup\",status=\"failed\"} 1\n"
"lockcron_runs_total{job=\"backup\",status=\"succeeded\"} 41\n"
"lockcron_runs_total{job=\"we\\\"ird\\\\job\\nname \xef\xbf\xbd\",status=\"skipped\"} 3\n");
	free(s);
}

/* Occurrences of needle in s. */
static int
count(const char *s, const char *needle)
{
	int	 n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return (n);
}

/* No history yet: the families, no samples. */
static void
test_empty(void **state)
{
	char	*s = lc_metrics_render(NULL, 0, NULL, 0);

	assert_int_equal(strncmp(s, "# HELP ", 7), 0);
	assert_int_equal(count(s, "# HELP "), 6);
	assert_int_equal(count(s, "# TYPE "), 6);
	assert_int_equal(count(s, "\n"), 12);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_empty),
	};

	return (cmocka_run_group_tests_name("metrics", tests, NULL, NULL));
}
