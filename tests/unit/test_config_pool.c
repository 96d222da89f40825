/*
 * Unit tests for what jobs share in a loaded config (src/config-pool.c):
 * equal schedules, schedule lists, shells, users, groups, workdirs,
 * commands run directly and environments are stored once and every job
 * sees its own values; a bad
 * schedule used by several jobs is reported for each; defaults, drop-ins
 * and a reload-style second load keep working, and freeing is clean
 * (under ASan, no leak and no double free).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/config.h"
#include "lockcron/cronexpr.h"
#include "lockcron/util.h"

static char			 dir[256];
static char			 path[512];
static struct lc_config_diag	 diag;

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(p));
}

static int
setup(void **state)
{
	snprintf(dir, sizeof dir, "%s/lockcron-pool.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return (-1);
	chmod(dir, 0755);
	snprintf(path, sizeof path, "%s/c.conf", dir);
	return (0);
}

static int
teardown(void **state)
{
	lc_config_diag_clear(&diag);
	return (nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS));
}

/* Writes the config: globals, then text inside jobs = ( ... ). */
static struct lc_config *
load(const char *defaults, const char *jobs)
{
	struct lc_config_opts	 opts = { 0 };
	FILE			*f;

	if ((f = fopen(path, "w")) == NULL)
		return (NULL);
	fprintf(f, "state_dir = \"%s/state\";\nlock_dir = \"%s/locks\";\n"
	    "runtime_dir = \"%s/run\";\ntimezone = \"UTC\";\n%s\n"
	    "jobs = (\n%s\n);\n", dir, dir, dir, defaults, jobs);
	fclose(f);
	chmod(path, 0644);
	lc_config_diag_clear(&diag);
	return (lc_config_load(path, &opts, &diag));
}

static const struct lc_job *
job(const struct lc_config *cfg, const char *name)
{
	const struct lc_job	*j = lc_config_find_job(cfg, name);

	assert_non_null(j);
	return (j);
}

static void
test_shared_once(void **state)
{
	struct lc_config	*cfg;
	const struct lc_job	*a, *b, *c, *d;

	cfg = load("defaults = { env = { PATH = \"/usr/bin:/bin\"; }; "
	    "shell = \"/bin/bash\"; };",
	    "{ name = \"a\"; schedule = \"*/5 * * * *\"; command = \"x\";"
	    "  user = \"root\"; workdir = \"/tmp\"; },\n"
	    "{ name = \"b\"; schedule = \"*/5 * * * *\"; command = \"y\";"
	    "  user = \"root\"; workdir = \"/tmp\"; },\n"
	    "{ name = \"c\"; schedule = [\"*/5 * * * *\", \"0 3 * * *\"];"
	    "  command = \"z\"; env = { LANG = \"C\"; }; shell = \"/bin/sh\"; },\n"
	    "{ name = \"d\"; schedule = [\"*/5 * * * *\", \"0 3 * * *\"];"
	    "  command = \"z\"; env = { LANG = \"C\"; }; }");
	assert_non_null(cfg);
	a = job(cfg, "a");
	b = job(cfg, "b");
	c = job(cfg, "c");
	d = job(cfg, "d");
	/* Equal values are one object... */
	assert_ptr_equal(a->schedules, b->schedules);
	assert_ptr_equal(a->schedules[0], c->schedules[0]);
	assert_ptr_equal(c->schedules, d->schedules);
	assert_ptr_equal(a->user, b->user);
	assert_ptr_equal(a->workdir, b->workdir);
	assert_ptr_equal(a->shell, b->shell);
	assert_ptr_equal(a->shell, d->shell);
	assert_ptr_equal(a->env, b->env);
	assert_ptr_equal(c->env, d->env);
	assert_ptr_equal(a->env[0], c->env[0]);
	/* ...and each job still reads its own values. */
	assert_true(a->schedules != c->schedules);
	assert_int_equal(a->nschedules, 1);
	assert_int_equal(c->nschedules, 2);
	assert_string_equal(lc_cronexpr_text(c->schedules[1]), "0 3 * * *");
	assert_string_equal(a->shell, "/bin/bash");
	assert_string_equal(c->shell, "/bin/sh");
	assert_null(c->user);
	assert_int_equal(a->nenv, 1);
	assert_string_equal(a->env[0], "PATH=/usr/bin:/bin");
	assert_null(a->env[1]);
	assert_int_equal(c->nenv, 2);
	assert_string_equal(c->env[1], "LANG=C");
	assert_null(c->env[2]);
	assert_string_equal(a->command, "x");
	assert_string_equal(b->command, "y");
	assert_string_equal(c->command, d->command);
	assert_non_null(strstr(a->lock_path, "/locks/a.lock"));
	assert_non_null(strstr(b->lock_path, "/locks/b.lock"));
	lc_config_free(cfg);
}

static void
test_bad_schedule_each_job(void **state)
{
	struct lc_config	*cfg;
	size_t			 i, n = 0;

	cfg = load("",
	    "{ name = \"a\"; schedule = \"61 * * * *\"; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = \"61 * * * *\"; command = \"x\"; },\n"
	    "{ name = \"c\"; schedule = \"1 * * * *\"; command = \"x\"; }");
	assert_null(cfg);
	for (i = 0; i < diag.nerrors; i++)
		if (strstr(diag.errors[i], "invalid schedule \"61 * * * *\"") !=
		    NULL)
			n++;
	assert_int_equal(n, 2);
}

/* Commands run directly: equal ones are one array of pooled words. */
static void
test_argv(void **state)
{
	struct lc_config	*cfg;
	const struct lc_job	*a, *b, *c;

	cfg = load("",
	    "{ name = \"a\"; schedule = \"@daily\"; command = [\"/bin/echo\", \"hi\"]; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = [\"/bin/echo\", \"hi\"]; },\n"
	    "{ name = \"c\"; schedule = \"@daily\"; command = [\"/bin/echo\"]; }");
	assert_non_null(cfg);
	a = job(cfg, "a");
	b = job(cfg, "b");
	c = job(cfg, "c");
	assert_ptr_equal(a->argv, b->argv);
	assert_true(a->argv != c->argv);
	assert_ptr_equal(a->argv[0], c->argv[0]);
	assert_string_equal(a->argv[1], "hi");
	assert_null(a->argv[2]);
	assert_null(c->argv[1]);
	assert_null(a->command);
	lc_config_free(cfg);
}

/* A lone @reboot with blanks is kept under its own text: one object. */
static void
test_reboot_blanks(void **state)
{
	struct lc_config	*cfg;
	const struct lc_job	*a, *b;

	cfg = load("",
	    "{ name = \"a\"; schedule = \"@reboot\"; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = \"  @reboot \"; command = \"x\"; }");
	assert_non_null(cfg);
	a = job(cfg, "a");
	b = job(cfg, "b");
	assert_ptr_equal(a->schedules[0], b->schedules[0]);
	assert_true(lc_cronexpr_is_reboot(b->schedules[0]));
	lc_config_free(cfg);
}

/* Two configs loaded from the same text (a reload) share nothing. */
static void
test_two_configs(void **state)
{
	struct lc_config	*one, *two;
	const char		*jobs = "{ name = \"a\"; schedule = \"@hourly\";"
	    " command = \"x\"; user = \"root\"; }";

	one = load("", jobs);
	two = load("", jobs);
	assert_non_null(one);
	assert_non_null(two);
	assert_true(job(one, "a")->schedules[0] != job(two, "a")->schedules[0]);
	lc_config_free(one);
	assert_string_equal(lc_cronexpr_text(job(two, "a")->schedules[0]),
	    "@hourly");
	assert_string_equal(job(two, "a")->user, "root");
	lc_config_free(two);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_schedule_each_job,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_argv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot_blanks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_configs, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("config_pool", tests, NULL,
	    NULL));
}
