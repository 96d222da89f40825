/*
 * Unit tests for the config loader: each key valid and invalid, defaults,
 * drop-ins, @include, root's ownership checks, and the exact messages.
 * Every test writes real files into its own temporary directory.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/config.h"
#include "lockcron/cronexpr.h"
#include "lockcron/util.h"

/* config-split.c: jobs per chunk of a long list; 0 reads files whole. */
extern size_t	 cfg_chunk_jobs;

/* One job with every required key; x adds keys inside its group. */
#define JOB(x) "jobs = ( { name = \"j\"; schedule = \"* * * * *\"; " \
	"command = \"true\"; " x " } );\n"
#define KS_VAULT "keystores = ( { name = \"vault\"; type = \"vault-kv2\"; " \
	"url = \"https://vault.example:8200\"; token_file = \"/etc/t\"; } );\n"

static char			 dir[256];
static struct lc_config_diag	 diag;
static char			*joined;

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static int
setup(void **state)
{
	char	 buf[512];

	snprintf(dir, sizeof dir, "%s/lockcron-test_config.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return (-1);
	chmod(dir, 0755);
	snprintf(buf, sizeof buf, "%s/state", dir);
	setenv("XDG_STATE_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/run", dir);
	setenv("XDG_RUNTIME_DIR", buf, 1);
	snprintf(buf, sizeof buf, "%s/cfg", dir);
	setenv("XDG_CONFIG_HOME", buf, 1);
	unsetenv("LOCKCRON_CONFIG");
	umask(022);
	return (0);
}

static int
teardown(void **state)
{
	lc_config_diag_clear(&diag);
	free(joined);
	joined = NULL;
	return (nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS));
}

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char	 path[512];
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return (path);
}

static void
mkd(const char *name, mode_t mode)
{
	char	 path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (mkdir(path, mode) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	chmod(path, mode);
}

static struct lc_config *
load_file(const char *path, int as_root)
{
	struct lc_config_opts	 opts = { .as_root = as_root };

	lc_config_diag_clear(&diag);
	return (lc_config_load(path, &opts, &diag));
}

static struct lc_config *
load_as(const char *text, int as_root)
{
	return (load_file(put("main.conf", text, 0644), as_root));
}

/* Lines joined by newlines, with "DIR/" removed so names read short. */
static const char *
join(char **v, size_t n)
{
	size_t	 i, dlen = strlen(dir);
	char	*p, *q;
	size_t	 len = 1;

	free(joined);
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	joined = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, "\n");
		strcat(joined, v[i]);
	}
	/* "DIR/x" reads "x", and DIR alone "(dir)". */
	for (p = joined; (p = strstr(p, dir)) != NULL; ) {
		if (p[dlen] == '/') {
			q = p + dlen + 1;
			memmove(p, q, strlen(q) + 1);
		} else {
			q = p + dlen;
			memmove(p + 5, q, strlen(q) + 1);
			memcpy(p, "(dir)", 5);
			p += 5;
		}
	}
	return (joined);
}

static const char *
errors(void)
{
	return (join(diag.errors, diag.nerrors));
}

static const char *
warnings(void)
{
	return (join(diag.warnings, diag.nwarnings));
}

/* Loads a config that must be valid, without warnings. */
static struct lc_config *
ok(const char *text)
{
	struct lc_config	*cfg = load_as(text, 0);

	if (cfg == NULL)
		fail_msg("unexpected errors:\n%s", errors());
	assert_string_equal(warnings(), "");
	return (cfg);
}

/* Loads a config that must fail with exactly the errors expected. */
static void
bad(const char *text, const char *expected)
{
	struct lc_config	*cfg = load_as(text, 0);

	assert_null(cfg);
	assert_string_equal(errors(), expected);
	lc_config_free(cfg);
}

static int
is_root(void)
{
	return (geteuid() == 0);
}

/* --- global keys -------------------------------------------------------- */

static void
test_defaults_user(void **state)
{
	struct lc_config	*cfg = ok("");
	char			 buf[512];

	snprintf(buf, sizeof buf, "%s/state/lockcron", dir);
	assert_string_equal(cfg->state_dir, buf);
	snprintf(buf, sizeof buf, "%s/state/lockcron/locks", dir);
	assert_string_equal(cfg->lock_dir, buf);
	snprintf(buf, sizeof buf, "%s/run/lockcron", dir);
	assert_string_equal(cfg->runtime_dir, buf);
	assert_string_equal(cfg->log, "stderr");
	assert_int_equal(cfg->log_level, LC_LOG_INFO);
	assert_string_equal(cfg->history_group, "lockcron");
	assert_int_equal(cfg->keep_days, 90);
	assert_int_equal(cfg->keep_runs, 0);
	assert_int_equal(cfg->output_bytes, 65536);
	assert_int_equal(cfg->max_parallel, 0);
	assert_null(cfg->timezone);
	assert_null(cfg->include_dir);
	assert_int_equal(cfg->njobs, 0);
	assert_int_equal(cfg->nfiles, 1);
	lc_config_free(cfg);

	/* Without XDG_RUNTIME_DIR, under the state directory. */
	unsetenv("XDG_RUNTIME_DIR");
	cfg = ok("state_dir = \"/srv/lc\";");
	assert_string_equal(cfg->runtime_dir, "/srv/lc/run");
	assert_string_equal(cfg->lock_dir, "/srv/lc/locks");
	lc_config_free(cfg);
}

static void
test_defaults_root(void **state)
{
	struct lc_config	*cfg;

	if (!is_root())
		skip();
	cfg = load_as("", 1);
	assert_non_null(cfg);
	assert_string_equal(cfg->state_dir, "/var/lib/lockcron");
	assert_string_equal(cfg->lock_dir, "/var/lib/lockcron/locks");
	assert_string_equal(cfg->runtime_dir, "/run/lockcron");
	assert_string_equal(cfg->log, "syslog");
	lc_config_free(cfg);
}

static void
test_default_path(void **state)
{
	char	*p, buf[512];

	p = lc_config_default_path(1);
	assert_string_equal(p, "/etc/lockcron.conf");
	free(p);
	p = lc_config_default_path(0);
	snprintf(buf, sizeof buf, "%s/cfg/lockcron/lockcron.conf", dir);
	assert_string_equal(p, buf);
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/someone", 1);
	p = lc_config_default_path(0);
	assert_string_equal(p, "/home/someone/.config/lockcron/lockcron.conf");
	free(p);
	setenv("LOCKCRON_CONFIG", "/x/y.conf", 1);
	p = lc_config_default_path(1);
	assert_string_equal(p, "/x/y.conf");
	free(p);
	unsetenv("LOCKCRON_CONFIG");
}

static void
test_dirs(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("state_dir = \"/a\";\nlock_dir = \"/b\";\n"
	    "runtime_dir = \"/c\";\n");
	assert_string_equal(cfg->state_dir, "/a");
	assert_string_equal(cfg->lock_dir, "/b");
	assert_string_equal(cfg->runtime_dir, "/c");
	lc_config_free(cfg);
	bad("state_dir = \"var/lib\";\nlock_dir = 5;\nruntime_dir = \"\";\n"
	    "include_dir = \"d\";\n",
	    "main.conf:1: `state_dir` must be an absolute path, not "
	    "\"var/lib\"\n"
	    "main.conf:2: `lock_dir` must be a string, not an integer\n"
	    "main.conf:3: `runtime_dir` must be an absolute path, not \"\"\n"
	    "main.conf:4: `include_dir` must be an absolute path, not \"d\"");
}

static void
test_timezone(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("timezone = \"Asia/Tokyo\";\n" JOB(""));
	assert_string_equal(cfg->timezone, "Asia/Tokyo");
	assert_string_equal(lc_tz_name(cfg->jobs[0].tz), "Asia/Tokyo");
	lc_config_free(cfg);
	bad("timezone = \"Mars/Base\";\n",
	    "main.conf:1: `timezone`: unknown time zone \"Mars/Base\" (no "
	    "/usr/share/zoneinfo/Mars/Base)");
	bad("timezone = \"../etc/passwd\";\n",
	    "main.conf:1: `timezone`: invalid time zone name \"../etc/passwd\"");
}

static void
test_log(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("log = \"/var/log/lc.log\";\nlog_level = \"debug\";\n");
	assert_string_equal(cfg->log, "/var/log/lc.log");
	assert_int_equal(cfg->log_level, LC_LOG_DEBUG);
	lc_config_free(cfg);
	cfg = ok("log = \"syslog\";\nlog_level = \"warning\";\n");
	assert_string_equal(cfg->log, "syslog");
	assert_int_equal(cfg->log_level, LC_LOG_WARNING);
	lc_config_free(cfg);
	/* Values quoted in messages cannot add lines or escapes. */
	bad("log = \"x\\nmain.conf:9: forged\\x1b[2J\";\n",
	    "main.conf:1: `log` must be \"syslog\", \"stderr\" or an absolute "
	    "file path, not \"x\\nmain.conf:9: forged\\x1b[2J\"");
	bad("log = \"journal\";\nlog_level = \"verbose\";\n",
	    "main.conf:1: `log` must be \"syslog\", \"stderr\" or an absolute "
	    "file path, not \"journal\"\n"
	    "main.conf:2: `log_level` must be \"error\", \"warning\", "
	    "\"notice\", \"info\" or \"debug\", not \"verbose\"");
}

static void
test_max_parallel(void **state)
{
	struct lc_config	*cfg = ok("max_parallel = 4;");

	assert_int_equal(cfg->max_parallel, 4);
	lc_config_free(cfg);
	bad("max_parallel = -1;\n",
	    "main.conf:1: `max_parallel` must be from 0 to 100000, not -1");
	bad("max_parallel = \"4\";\n",
	    "main.conf:1: `max_parallel` must be an integer, not a string");
}

static void
test_history(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("history = { keep_days = 7; keep_runs = 50; "
	    "output_bytes = \"1M\"; };\n" JOB(""));
	assert_int_equal(cfg->keep_days, 7);
	assert_int_equal(cfg->keep_runs, 50);
	assert_int_equal(cfg->output_bytes, 1048576);
	assert_int_equal(cfg->jobs[0].keep_bytes, 1048576);
	lc_config_free(cfg);
	bad("history = { keep_days = -1; output_bytes = \"1X\";\n"
	    "  keepruns = 3; };\nhistory_group = \"a/b\";\n",
	    "main.conf:1: `history.keep_days` must be from 0 to 36500, not -1\n"
	    "main.conf:1: `history.output_bytes`: invalid size \"1X\" (use "
	    "bytes, or a string like \"64k\" or \"1M\")\n"
	    "main.conf:2: unknown key `history.keepruns` (did you mean "
	    "`history.keep_runs`?)\n"
	    "main.conf:3: `history_group`: \"a/b\" is not a group name");
	bad("history = 5;\n", "main.conf:1: `history` must be a group "
	    "({ ... }), not an integer");
}

static void
test_history_group(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("history_group = \"root\";");
	assert_string_equal(cfg->history_group, "root");
	lc_config_free(cfg);
	cfg = load_as("history_group = \"no-such-group-x\";", 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(), "main.conf:1: warning: "
	    "`history_group`: no such group `no-such-group-x`");
	lc_config_free(cfg);
}

static void
test_unknown_keys(void **state)
{
	bad("stat_dir = \"/x\";\nfoo = 1;\nTimezone = \"UTC\";\n",
	    "main.conf:1: unknown key `stat_dir` (did you mean `state_dir`?)\n"
	    "main.conf:2: unknown key `foo`\n"
	    "main.conf:3: unknown key `Timezone` (did you mean `timezone`?)");
	bad(JOB("timout = 5; shedule = \"x\"; xyzzy = 1;"),
	    "main.conf:1: job `j`: unknown key `timout` (did you mean "
	    "`timeout`?)\n"
	    "main.conf:1: job `j`: unknown key `shedule` (did you mean "
	    "`schedule`?)\n"
	    "main.conf:1: job `j`: unknown key `xyzzy`");
	bad(JOB("retries = { cuont = 1; };"),
	    "main.conf:1: job `j`: unknown key `retries.cuont` (did you mean "
	    "`retries.count`?)");
}

/* --- jobs: name, schedule, command -------------------------------------- */

static void
test_name(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("jobs = ( { name = \"a.b_c-9\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );");
	assert_string_equal(cfg->jobs[0].name, "a.b_c-9");
	assert_non_null(lc_config_find_job(cfg, "a.b_c-9"));
	assert_null(lc_config_find_job(cfg, "a"));
	lc_config_free(cfg);
	bad("jobs = (\n { name = \"a b\"; schedule = \"@daily\"; command = "
	    "\"x\"; },\n { name = \"-x\"; schedule = \"@daily\"; command = "
	    "\"x\"; },\n { schedule = \"@daily\"; command = \"x\"; },\n"
	    " { name = 7; schedule = \"@daily\"; command = \"x\"; }\n);\n",
	    "main.conf:2: job #1: invalid job name \"a b\" (use letters, "
	    "digits, '.', '_' and '-', not first '.' or '-', at most 200 "
	    "characters)\n"
	    "main.conf:3: job #2: invalid job name \"-x\" (use letters, "
	    "digits, '.', '_' and '-', not first '.' or '-', at most 200 "
	    "characters)\n"
	    "main.conf:4: job #3: missing `name`\n"
	    "main.conf:5: job #4: `name` must be a string, not an integer");
}

static void
test_duplicate_names(void **state)
{
	bad("jobs = (\n"
	    "  { name = \"a\"; schedule = \"@daily\"; command = \"x\"; },\n"
	    "  { name = \"b\"; schedule = \"@daily\"; command = \"x\"; },\n"
	    "  { name = \"a\"; schedule = \"@daily\"; command = \"y\"; }\n"
	    ");\n",
	    "main.conf:4: duplicate job name `a` (first defined at "
	    "main.conf:2)");
}

static void
test_schedule(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("jobs = ( { name = \"a\"; schedule = [\"0 1 * * *\", "
	    "\"@hourly\"]; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = (\"*/5 * * * * *\"); command = \"x\"; "
	    "} );");
	assert_int_equal(cfg->jobs[0].nschedules, 2);
	assert_string_equal(lc_cronexpr_text(cfg->jobs[0].schedules[1]),
	    "@hourly");
	assert_int_equal(cfg->jobs[1].nschedules, 1);
	assert_true(lc_cronexpr_has_seconds(cfg->jobs[1].schedules[0]));
	lc_config_free(cfg);
	bad("jobs = ( { name = \"a\"; command = \"x\";\n"
	    "schedule = [\"0 1 * * *\",\n \"* * * 13 *\"]; },\n"
	    "{ name = \"b\"; command = \"x\"; schedule = []; },\n"
	    "{ name = \"c\"; command = \"x\"; schedule = 5; },\n"
	    "{ name = \"d\"; command = \"x\"; } );\n",
	    "main.conf:3: job `a`: invalid schedule \"* * * 13 *\": month "
	    "field: 13 is out of range (1-12)\n"
	    "main.conf:4: job `b`: `schedule` is empty\n"
	    "main.conf:5: job `c`: `schedule` must be a string or an array of "
	    "strings, not an integer\n"
	    "main.conf:6: job `d`: missing `schedule`");
}

static void
test_command(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("jobs = ( { name = \"a\"; schedule = \"@daily\"; "
	    "command = \"echo hi | wc\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; "
	    "command = [\"/bin/echo\", \"a b\", \"\"]; } );");
	assert_string_equal(cfg->jobs[0].command, "echo hi | wc");
	assert_null(cfg->jobs[0].argv);
	assert_null(cfg->jobs[1].command);
	assert_string_equal(cfg->jobs[1].argv[0], "/bin/echo");
	assert_string_equal(cfg->jobs[1].argv[1], "a b");
	assert_string_equal(cfg->jobs[1].argv[2], "");
	assert_null(cfg->jobs[1].argv[3]);
	lc_config_free(cfg);
	bad("jobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"  \\n\"; },\n"
	    "{ name = \"c\"; schedule = \"@daily\"; command = []; },\n"
	    "{ name = \"d\"; schedule = \"@daily\"; command = (\"x\", 1); },\n"
	    "{ name = \"e\"; schedule = \"@daily\"; command = [\"\", \"x\"]; },\n"
	    "{ name = \"f\"; schedule = \"@daily\"; command = true; },\n"
	    "{ name = \"g\"; schedule = \"@daily\"; } );\n",
	    "main.conf:2: job `a`: `command` is empty\n"
	    "main.conf:3: job `b`: `command` is empty\n"
	    "main.conf:4: job `c`: `command` is empty\n"
	    "main.conf:5: job `d`: `command` must be an array of strings, not "
	    "of an integer\n"
	    "main.conf:6: job `e`: `command`: the program (first element) is "
	    "empty\n"
	    "main.conf:7: job `f`: `command` must be a string (run by the "
	    "shell) or an array of strings (run directly), not a boolean\n"
	    "main.conf:8: job `g`: missing `command`");
}

static void
test_job_timezone(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("timezone = \"UTC\";\njobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"x\"; "
	    "timezone = \"America/New_York\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"x\"; "
	    "timezone = \"America/New_York\"; },\n"
	    "{ name = \"c\"; schedule = \"@daily\"; command = \"x\"; } );");
	assert_string_equal(lc_tz_name(cfg->jobs[0].tz), "America/New_York");
	/* One zone per name, loaded once per config. */
	assert_ptr_equal(cfg->jobs[0].tz, cfg->jobs[1].tz);
	assert_string_equal(lc_tz_name(cfg->jobs[2].tz), "UTC");
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_non_null(cfg->jobs[0].tz);	/* the system's zone */
	lc_config_free(cfg);
	bad(JOB("timezone = \"Nowhere/Town\";"),
	    "main.conf:1: job `j`: `timezone`: unknown time zone "
	    "\"Nowhere/Town\" (no /usr/share/zoneinfo/Nowhere/Town)");
}

/* --- jobs: process settings --------------------------------------------- */

static void
test_user_group(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("user = \"root\"; group = \"root\";"));
	assert_string_equal(cfg->jobs[0].user, "root");
	assert_string_equal(cfg->jobs[0].group, "root");
	lc_config_free(cfg);
	/* Not root: a warning, as the file may be meant for another host. */
	cfg = load_as(JOB("user = \"no-such-user-x\"; "
	    "group = \"no-such-group-x\";"), 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(),
	    "main.conf:1: warning: job `j`: no such user `no-such-user-x` (an "
	    "error when running as root)\n"
	    "main.conf:1: warning: job `j`: no such group `no-such-group-x` "
	    "(an error when running as root)");
	lc_config_free(cfg);
	bad(JOB("user = \"\"; group = 0;"),
	    "main.conf:1: job `j`: `user` is empty\n"
	    "main.conf:1: job `j`: `group` must be a string, not an integer");
}

static void
test_user_group_root(void **state)
{
	if (!is_root())
		skip();
	assert_null(load_as(JOB("user = \"no-such-user-x\";"), 1));
	assert_string_equal(errors(),
	    "main.conf:1: job `j`: no such user `no-such-user-x`");
	assert_null(load_as(JOB("group = \"no-such-group-x\";"), 1));
	assert_string_equal(errors(),
	    "main.conf:1: job `j`: no such group `no-such-group-x`");
}

static void
test_workdir_shell_stdin(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("workdir = \"/srv\"; shell = \"/bin/bash\"; "
	    "stdin = \"a\\nb\";"));
	assert_string_equal(cfg->jobs[0].workdir, "/srv");
	assert_string_equal(cfg->jobs[0].shell, "/bin/bash");
	assert_string_equal(cfg->jobs[0].stdin_text, "a\nb");
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_string_equal(cfg->jobs[0].shell, "/bin/sh");
	assert_null(cfg->jobs[0].workdir);
	assert_null(cfg->jobs[0].stdin_text);
	lc_config_free(cfg);
	bad(JOB("workdir = \"srv\"; shell = \"bash\"; stdin = 1;"),
	    "main.conf:1: job `j`: `workdir` must be an absolute path, not "
	    "\"srv\"\n"
	    "main.conf:1: job `j`: `shell` must be an absolute path, not "
	    "\"bash\"\n"
	    "main.conf:1: job `j`: `stdin` must be a string, not an integer");
}

static void
test_env(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("env = { PATH = \"/bin\"; LANG = \"C\"; };"));
	assert_int_equal(cfg->jobs[0].nenv, 2);
	assert_string_equal(cfg->jobs[0].env[0], "PATH=/bin");
	assert_string_equal(cfg->jobs[0].env[1], "LANG=C");
	assert_null(cfg->jobs[0].env[2]);
	lc_config_free(cfg);
	cfg = ok(JOB("env = [\"_JAVA_OPTIONS=-Xmx1g\", \"A==b\", \"E=\"];"));
	assert_int_equal(cfg->jobs[0].nenv, 3);
	assert_string_equal(cfg->jobs[0].env[0], "_JAVA_OPTIONS=-Xmx1g");
	assert_string_equal(cfg->jobs[0].env[1], "A==b");
	assert_string_equal(cfg->jobs[0].env[2], "E=");
	lc_config_free(cfg);
	bad(JOB("env = (\"A=1\", \"B\", \"A=2\", \"LOCKCRON_RUN_ID=x\", "
	    "\"1X=y\", 5);"),
	    "main.conf:1: job `j`: `env`: \"B\" is not NAME=value\n"
	    "main.conf:1: job `j`: `env`: A is set twice\n"
	    "main.conf:1: job `j`: `env`: LOCKCRON_RUN_ID: names starting "
	    "with LOCKCRON_ are set by lockcron itself\n"
	    "main.conf:1: job `j`: `env`: \"1X\" is not a valid variable name "
	    "([A-Za-z_][A-Za-z0-9_]*)\n"
	    "main.conf:1: job `j`: `env` must be a string, not an integer");
	bad(JOB("env = { a-b = \"x\"; N = 5; };"),
	    "main.conf:1: job `j`: `env`: \"a-b\" is not a valid variable name "
	    "([A-Za-z_][A-Za-z0-9_]*)\n"
	    "main.conf:1: job `j`: `env.N` must be a string, not an integer");
	bad(JOB("env = \"A=1\";"),
	    "main.conf:1: job `j`: `env` must be a group ({ NAME = \"value\"; "
	    "}) or a list of \"NAME=value\" strings, not a string");
}

static void
test_umask_nice(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("umask = \"0027\"; nice = -5;"));
	assert_true(cfg->jobs[0].has_umask);
	assert_int_equal(cfg->jobs[0].umask, 027);
	assert_int_equal(cfg->jobs[0].nice, -5);
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_false(cfg->jobs[0].has_umask);
	lc_config_free(cfg);
	bad(JOB("umask = 22;"),
	    "main.conf:1: job `j`: `umask` must be a string of octal digits "
	    "like \"0022\": libconfig has no octal numbers, so 22 would be read "
	    "as decimal");
	bad(JOB("umask = \"0089\"; nice = 20;"),
	    "main.conf:1: job `j`: `umask`: invalid mode \"0089\" (expected 1 "
	    "to 4 octal digits like \"0022\")\n"
	    "main.conf:1: job `j`: `nice` must be from -20 to 19, not 20");
	bad(JOB("umask = \"1777\";"),
	    "main.conf:1: job `j`: `umask` must be at most \"0777\", not "
	    "\"1777\"");
}

/* --- jobs: locks and overlap -------------------------------------------- */

static void
test_lock(void **state)
{
	struct lc_config	*cfg;

	cfg = ok("lock_dir = \"/l\";\njobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"x\"; "
	    "lock = \"shared\"; },\n"
	    "{ name = \"c\"; schedule = \"@daily\"; command = \"x\"; "
	    "lock = \"/var/run/x.lock\"; } );");
	assert_string_equal(cfg->jobs[0].lock_path, "/l/a.lock");
	assert_string_equal(cfg->jobs[1].lock_path, "/l/shared.lock");
	assert_string_equal(cfg->jobs[2].lock_path, "/var/run/x.lock");
	lc_config_free(cfg);
	bad(JOB("lock = \"a/b\";"),
	    "main.conf:1: job `j`: `lock` must be a name ([A-Za-z0-9._-]+, "
	    "for LOCK_DIR/NAME.lock) or an absolute file path, not \"a/b\"");
	bad(JOB("lock = \"/var/run/\";"),
	    "main.conf:1: job `j`: `lock` must be a name ([A-Za-z0-9._-]+, "
	    "for LOCK_DIR/NAME.lock) or an absolute file path, not "
	    "\"/var/run/\"");
}

static void
test_overlap(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("overlap = \"wait\"; lock_wait = \"10m\";"));
	assert_int_equal(cfg->jobs[0].overlap, LC_OVERLAP_WAIT);
	assert_int_equal(cfg->jobs[0].lock_wait, 600);
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_int_equal(cfg->jobs[0].overlap, LC_OVERLAP_SKIP);
	lc_config_free(cfg);
	bad("jobs = ( { name = \"j\"; schedule = \"@daily\"; command = \"x\";\n"
	    "  overlap = \"wait\"; } );\n",
	    "main.conf:2: job `j`: `overlap` is \"wait\" but `lock_wait` is not "
	    "set (the longest wait for the lock, e.g. lock_wait = \"10m\")");
	bad(JOB("overlap = \"queue\"; lock_wait = \"10 min\";"),
	    "main.conf:1: job `j`: `overlap` must be \"skip\" or \"wait\", not "
	    "\"queue\"\n"
	    "main.conf:1: job `j`: `lock_wait`: invalid duration \"10 min\" "
	    "(use seconds, or a string like \"90s\", \"15m\", \"2h\", \"1d\", "
	    "\"1h30m\")");
	cfg = load_as(JOB("lock_wait = 30;"), 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(), "main.conf:1: warning: job `j`: "
	    "`lock_wait` has no effect unless `overlap` is \"wait\"");
	lc_config_free(cfg);
}

/* --- jobs: time limits and scheduling ----------------------------------- */

static void
test_durations(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("timeout = \"2h\"; kill_grace = 30; jitter = \"1m30s\";"));
	assert_int_equal(cfg->jobs[0].timeout, 7200);
	assert_int_equal(cfg->jobs[0].kill_grace, 30);
	assert_int_equal(cfg->jobs[0].jitter, 90);
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_int_equal(cfg->jobs[0].timeout, 0);
	assert_int_equal(cfg->jobs[0].kill_grace, 10);
	assert_int_equal(cfg->jobs[0].jitter, 0);
	lc_config_free(cfg);
	bad(JOB("timeout = -5; kill_grace = \"2d\"; jitter = true;"),
	    "main.conf:1: job `j`: `timeout` must not be negative, not -5\n"
	    "main.conf:1: job `j`: `kill_grace` must be at most 1d00h, not "
	    "172800 seconds\n"
	    "main.conf:1: job `j`: `jitter` must be a duration (seconds, or a "
	    "string like \"90s\", \"15m\", \"2h\", \"1d\"), not a boolean");
	bad(JOB("timeout = \"400d\";"),
	    "main.conf:1: job `j`: `timeout` must be at most 366d00h, not "
	    "34560000 seconds");
}

static void
test_retries(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("retries = { count = 3; delay = \"5m\"; backoff = 1.5; "
	    "max_delay = \"1h\"; };"));
	assert_int_equal(cfg->jobs[0].retries.count, 3);
	assert_int_equal(cfg->jobs[0].retries.delay, 300);
	assert_true(cfg->jobs[0].retries.backoff == 1.5);
	assert_int_equal(cfg->jobs[0].retries.max_delay, 3600);
	lc_config_free(cfg);
	cfg = ok(JOB("retries = { count = 1; backoff = 3; };"));
	assert_int_equal(cfg->jobs[0].retries.delay, 60);
	assert_true(cfg->jobs[0].retries.backoff == 3.0);
	assert_int_equal(cfg->jobs[0].retries.max_delay, 0);
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_int_equal(cfg->jobs[0].retries.count, 0);
	lc_config_free(cfg);
	bad(JOB("retries = { count = 1001; backoff = 0.5; delay = \"x\"; };"),
	    "main.conf:1: job `j`: `retries.count` must be from 0 to 1000, not "
	    "1001\n"
	    "main.conf:1: job `j`: `retries.backoff` must be from 1 to 100, not "
	    "0.5\n"
	    "main.conf:1: job `j`: `retries.delay`: invalid duration \"x\" (use "
	    "seconds, or a string like \"90s\", \"15m\", \"2h\", \"1d\", "
	    "\"1h30m\")");
	bad(JOB("retries = 3;"),
	    "main.conf:1: job `j`: `retries` must be a group ({ ... }), not an "
	    "integer");
	bad(JOB("retries = { backoff = \"2\"; };"),
	    "main.conf:1: job `j`: `retries.backoff` must be a number (like 2 "
	    "or 1.5), not a string");
}

static void
test_catch_up_enabled(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("catch_up = \"once\"; enabled = false;"));
	assert_int_equal(cfg->jobs[0].catch_up, LC_CATCH_UP_ONCE);
	assert_false(cfg->jobs[0].enabled);
	lc_config_free(cfg);
	cfg = ok(JOB(""));
	assert_int_equal(cfg->jobs[0].catch_up, LC_CATCH_UP_NONE);
	assert_true(cfg->jobs[0].enabled);
	lc_config_free(cfg);
	bad(JOB("catch_up = \"always\"; enabled = \"no\";"),
	    "main.conf:1: job `j`: `catch_up` must be \"none\" or \"once\", not "
	    "\"always\"\n"
	    "main.conf:1: job `j`: `enabled` must be true or false, not a "
	    "string");
}

static void
test_output(void **state)
{
	struct lc_config	*cfg;

	cfg = ok(JOB("output = { keep_bytes = \"16k\"; file = \"/var/log/j\"; "
	    "};"));
	assert_int_equal(cfg->jobs[0].keep_bytes, 16384);
	assert_string_equal(cfg->jobs[0].output_file, "/var/log/j");
	lc_config_free(cfg);
	cfg = ok(JOB("output = { keep_bytes = 0; };"));
	assert_int_equal(cfg->jobs[0].keep_bytes, 0);
	assert_null(cfg->jobs[0].output_file);
	lc_config_free(cfg);
	bad(JOB("output = { keep_bytes = \"1G\"; file = \"log\"; };"),
	    "main.conf:1: job `j`: `output.keep_bytes` must be from 0 to "
	    "67108864, not 1073741824\n"
	    "main.conf:1: job `j`: `output.file` must be an absolute path, not "
	    "\"log\"");
}

/* --- notify ------------------------------------------------------------- */

static void
test_notify(void **state)
{
	struct lc_config	*cfg;
	const struct lc_notify	*n;

	cfg = ok(JOB("notify = { on = [\"failed\", \"lost\"]; webhook = "
	    "\"https://h.example/x\"; mail = \"ops@example.com,root\"; "
	    "ping = \"https://hc.example/u\"; };"));
	n = &cfg->jobs[0].notify;
	assert_int_equal(n->non, 2);
	assert_string_equal(n->on[1], "lost");
	assert_string_equal(n->webhook, "https://h.example/x");
	assert_string_equal(n->mail, "ops@example.com,root");
	assert_string_equal(n->ping, "https://hc.example/u");
	lc_config_free(cfg);
	/* A target without `on`: the failure statuses. */
	cfg = ok(JOB("notify = { mail = \"root\"; };"));
	n = &cfg->jobs[0].notify;
	assert_int_equal(n->non, 6);
	assert_string_equal(n->on[0], "failed");
	assert_string_equal(n->on[5], "lost");
	lc_config_free(cfg);
	bad(JOB("notify = { on = [\"faild\", \"nope\"]; webhook = \"ftp://x\"; "
	    "mail = \"-oQ/tmp\"; ping = \"https://hc/u?x=1\"; };"),
	    "main.conf:1: job `j`: `notify.on`: unknown status \"faild\" (did "
	    "you mean \"failed\"?)\n"
	    "main.conf:1: job `j`: `notify.on`: unknown status \"nope\" "
	    "(statuses: succeeded, failed, timed_out, killed, cancelled, "
	    "skipped, secret_error, launch_error, missed, lost)\n"
	    "main.conf:1: job `j`: `notify.webhook` must be an http:// or "
	    "https:// URL, not \"ftp://x\"\n"
	    "main.conf:1: job `j`: `notify.mail` must be mail addresses "
	    "separated by commas, like \"ops@example.com\" or \"root\", not "
	    "\"-oQ/tmp\"\n"
	    "main.conf:1: job `j`: `notify.ping` must not have a query or a "
	    "fragment: lockcron appends /start and /fail to it");
	cfg = load_as(JOB("notify = { on = [\"failed\"]; };"), 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(), "main.conf:1: warning: job `j`: "
	    "`notify.on` has no effect without `notify.webhook` or "
	    "`notify.mail`");
	lc_config_free(cfg);
}

/* --- keystores and secrets ---------------------------------------------- */

static void
test_keystores(void **state)
{
	struct lc_config		*cfg;
	const struct lc_keystore_conf	*ks;

	cfg = ok("keystores = (\n"
	    "{ name = \"v\"; type = \"vault-kv2\"; url = \"https://v:8200\"; "
	    "token_file = \"/t\"; namespace = \"ns\"; ca_file = \"/ca\"; "
	    "cert_file = \"/c\"; key_file = \"/k\"; timeout = \"30s\"; "
	    "connect_timeout = 1; retries = 0; },\n"
	    "{ name = \"h\"; type = \"http-json\"; "
	    "url = \"http://127.0.0.1:9000/k?q={keys}\"; },\n"
	    "{ name = \"f\"; type = \"file\"; file = \"/etc/s.json\"; },\n"
	    "{ name = \"l6\"; type = \"vault-kv2\"; url = \"http://[::1]:8200\"; "
	    "token_file = \"/t\"; mount = \"kv/team\"; },\n"
	    "{ name = \"lh\"; type = \"http-json\"; "
	    "url = \"http://localhost/{keys}\"; } );\n");
	assert_int_equal(cfg->nkeystores, 5);
	ks = &cfg->keystores[0];
	assert_string_equal(ks->name, "v");
	assert_int_equal(ks->type, LC_KEYSTORE_VAULT_KV2);
	assert_string_equal(ks->mount, "secret");
	assert_string_equal(ks->vault_namespace, "ns");
	assert_string_equal(ks->token_file, "/t");
	assert_string_equal(ks->ca_file, "/ca");
	assert_string_equal(ks->cert_file, "/c");
	assert_string_equal(ks->key_file, "/k");
	assert_int_equal(ks->timeout_ms, 30000);
	assert_int_equal(ks->connect_timeout_ms, 1000);
	assert_int_equal(ks->retries, 0);
	assert_int_equal(ks->src_line, 2);
	ks = &cfg->keystores[1];
	assert_int_equal(ks->type, LC_KEYSTORE_HTTP_JSON);
	assert_int_equal(ks->timeout_ms, 10000);
	assert_int_equal(ks->connect_timeout_ms, 3000);
	assert_int_equal(ks->retries, 2);
	assert_null(ks->mount);
	assert_string_equal(cfg->keystores[2].file, "/etc/s.json");
	assert_string_equal(cfg->keystores[3].mount, "kv/team");
	lc_config_free(cfg);
}

static void
test_keystores_bad(void **state)
{
	bad("keystores = (\n"
	    "{ name = \"a\"; type = \"vault\"; },\n"
	    "{ name = \"b\"; type = \"http-json\"; url = \"https://k/x\"; },\n"
	    "{ name = \"c\"; type = \"vault-kv2\"; url = \"http://vault:8200\"; "
	    "token_file = \"t\"; },\n"
	    "{ name = \"d\"; type = \"vault-kv2\"; },\n"
	    "{ name = \"e\"; type = \"file\"; },\n"
	    "{ name = \"a\"; type = \"file\"; file = \"/f\"; },\n"
	    "{ type = \"file\"; file = \"/f\"; },\n"
	    "{ name = \"g\"; type = \"http-json\"; url = \"https://u@k/{keys}\"; "
	    "key_file = \"/k\"; retries = 11; },\n"
	    "{ name = \"h h\"; url = \"https:///x\"; } );\n",
	    "main.conf:2: keystore `a`: `type` must be \"vault-kv2\", "
	    "\"http-json\" or \"file\", not \"vault\"\n"
	    "main.conf:3: keystore `b`: `url` of an http-json keystore needs a "
	    "{keys} placeholder for the key names, like "
	    "\"https://keys.example/get?k={keys}\"\n"
	    "main.conf:4: keystore `c`: `url`: plain http:// to vault is "
	    "refused: secrets would cross the network unencrypted (use "
	    "https://; http:// is allowed only for 127.0.0.0/8, ::1 and "
	    "localhost)\n"
	    "main.conf:4: keystore `c`: `token_file` must be an absolute path, "
	    "not \"t\"\n"
	    "main.conf:5: keystore `d`: missing `url`\n"
	    "main.conf:5: keystore `d`: missing `token_file` (Vault needs a "
	    "token)\n"
	    "main.conf:6: keystore `e`: missing `file` (the JSON file of type "
	    "\"file\")\n"
	    "main.conf:7: keystore `a`: duplicate keystore name (first defined "
	    "at main.conf:2)\n"
	    "main.conf:8: keystore #7: missing `name`\n"
	    "main.conf:9: keystore `g`: `url`: credentials in the URL are "
	    "refused; put the token in `token_file`\n"
	    "main.conf:9: keystore `g`: `retries` must be from 0 to 10, not 11\n"
	    "main.conf:9: keystore `g`: `key_file` needs `cert_file`\n"
	    "main.conf:10: keystore #9: invalid keystore name \"h h\" (use "
	    "letters, digits, '.', '_' and '-')\n"
	    "main.conf:10: keystore #9: `url` has no host, not \"https:///x\"\n"
	    "main.conf:10: keystore #9: missing `type` (\"vault-kv2\", "
	    "\"http-json\" or \"file\")");
	bad("keystores = { name = \"a\"; };\n",
	    "main.conf:1: `keystores` must be a list (( { ... }, ... )), not a "
	    "group");
}

static void
test_keystore_unused_keys(void **state)
{
	struct lc_config	*cfg;

	cfg = load_as("keystores = ( { name = \"f\"; type = \"file\"; "
	    "file = \"/f\"; url = \"https://x\"; },\n"
	    "{ name = \"h\"; type = \"http-json\"; url = \"https://x/{keys}\"; "
	    "mount = \"m\"; } );\n", 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(),
	    "main.conf:1: warning: keystore `f`: `url` is not used by type "
	    "\"file\"\n"
	    "main.conf:2: warning: keystore `h`: `mount` is not used by type "
	    "\"http-json\"");
	lc_config_free(cfg);
}

static void
test_secrets(void **state)
{
	struct lc_config		*cfg;
	const struct lc_job_secrets	*sec;

	cfg = ok(KS_VAULT JOB("secrets = { keystore = \"vault\"; path = "
	    "\"etl/wh\"; env = { DB_HOST = \"db_host\"; DB_PW = \"db_pw\"; }; "
	    "files = ( { name = \".pgpass\"; key = \"pgpass\"; }, "
	    "{ name = \"k.pem\"; key = \"tls\"; mode = \"0600\"; } ); };"));
	sec = &cfg->jobs[0].secrets;
	assert_ptr_equal(sec->keystore, &cfg->keystores[0]);
	assert_string_equal(sec->path, "etl/wh");
	assert_int_equal(sec->nenv, 2);
	assert_string_equal(sec->env[0].var, "DB_HOST");
	assert_string_equal(sec->env[0].key, "db_host");
	assert_int_equal(sec->nfiles, 2);
	assert_string_equal(sec->files[0].name, ".pgpass");
	assert_int_equal(sec->files[0].mode, 0400);
	assert_int_equal(sec->files[1].mode, 0600);
	lc_config_free(cfg);
	cfg = ok("keystores = ( { name = \"f\"; type = \"file\"; file = "
	    "\"/f\"; } );\n" JOB("secrets = { keystore = \"f\"; env = "
	    "[\"_X=k\"]; };"));
	assert_string_equal(cfg->jobs[0].secrets.env[0].var, "_X");
	assert_null(cfg->jobs[0].secrets.path);
	lc_config_free(cfg);
}

static void
test_secrets_bad(void **state)
{
	bad(KS_VAULT JOB("secrets = { keystore = \"vualt\"; env = { A = "
	    "\"a\"; }; };"),
	    "main.conf:2: job `j`: `secrets.keystore`: no keystore named "
	    "`vualt` (did you mean `vault`?)");
	bad(JOB("secrets = { keystore = \"v\"; env = { A = \"a\"; }; };"),
	    "main.conf:1: job `j`: `secrets.keystore`: no keystore named `v` "
	    "(no `keystores` are defined)");
	bad(KS_VAULT JOB("secrets = { env = { A = \"a\"; }; };"),
	    "main.conf:2: job `j`: `secrets` needs `keystore`");
	bad(KS_VAULT JOB("secrets = { keystore = \"vault\"; env = { A = "
	    "\"a\"; }; };"),
	    "main.conf:2: job `j`: `secrets.path` is required: keystore `vault` "
	    "is of type \"vault-kv2\"");
	bad(KS_VAULT JOB("env = { A = \"x\"; }; secrets = { keystore = "
	    "\"vault\"; path = \"/abs\"; env = { A = \"a\"; LOCKCRON_X = \"b\"; "
	    "C = 1; D = \"\"; }; files = ( { name = \"a/b\"; key = \"k\"; }, "
	    "{ name = \"..\"; key = \"k\"; }, { name = \"x\"; key = \"k\"; mode "
	    "= \"0666\"; }, { name = \"y\"; }, { name = \"z\"; key = \"k\"; "
	    "nmae = 1; } ); };"),
	    "main.conf:2: job `j`: `secrets.path` must be a relative secret "
	    "path like \"etl/warehouse\", not \"/abs\"\n"
	    "main.conf:2: job `j`: `secrets.env`: \"LOCKCRON_X\" is not a valid "
	    "variable name ([A-Za-z_][A-Za-z0-9_]*, not LOCKCRON_*)\n"
	    "main.conf:2: job `j`: `secrets.env.C` must be a string (a key "
	    "name), not an integer\n"
	    "main.conf:2: job `j`: `secrets.env`: D has an empty key\n"
	    "main.conf:2: job `j`: `secrets.files.name` must be a file name "
	    "without '/' (not \".\" or \"..\"), not \"a/b\"\n"
	    "main.conf:2: job `j`: `secrets.files.name` must be a file name "
	    "without '/' (not \".\" or \"..\"), not \"..\"\n"
	    "main.conf:2: job `j`: `secrets.files.mode` must not let group or "
	    "others write (\"0400\" or \"0600\" are usual)\n"
	    "main.conf:2: job `j`: `secrets.files`: missing `key`\n"
	    "main.conf:2: job `j`: unknown key `secrets.files.nmae` (did you "
	    "mean `secrets.files.name`?)\n"
	    "main.conf:2: job `j`: A is set both in `env` and in "
	    "`secrets.env`");
}

static void
test_secrets_warnings(void **state)
{
	struct lc_config	*cfg;

	cfg = load_as("keystores = ( { name = \"h\"; type = \"http-json\"; "
	    "url = \"https://k/{keys}\"; } );\n"
	    JOB("secrets = { keystore = \"h\"; path = \"p\"; };"), 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(),
	    "main.conf:2: warning: job `j`: `secrets.path` is not used by "
	    "keystore `h` (type \"http-json\")\n"
	    "main.conf:2: warning: job `j`: `secrets` fetches nothing (set "
	    "`env` or `files`)");
	lc_config_free(cfg);
}

/* --- defaults ----------------------------------------------------------- */

static void
test_defaults_group(void **state)
{
	struct lc_config	*cfg;
	const struct lc_job	*a, *b;

	cfg = ok(KS_VAULT
	    "defaults = { timeout = \"1h\"; user = \"root\"; env = { A = \"1\"; "
	    "B = \"2\"; }; retries = { count = 2; delay = 10; }; secrets = { "
	    "keystore = \"vault\"; path = \"common\"; }; notify = { mail = "
	    "\"root\"; }; output = { keep_bytes = 100; }; };\n"
	    "jobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"x\"; "
	    "secrets = { env = { PW = \"pw\"; }; }; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"x\"; "
	    "timeout = 5; env = { B = \"3\"; C = \"4\"; }; retries = { "
	    "count = 0; }; notify = { on = []; }; output = { file = \"/o\"; }; "
	    "secrets = { path = \"own\"; env = [\"X=x\"]; }; } );\n");
	a = &cfg->jobs[0];
	b = &cfg->jobs[1];
	assert_int_equal(a->timeout, 3600);
	assert_string_equal(a->user, "root");
	assert_int_equal(a->nenv, 2);
	assert_int_equal(a->retries.count, 2);
	assert_int_equal(a->retries.delay, 10);
	assert_ptr_equal(a->secrets.keystore, &cfg->keystores[0]);
	assert_string_equal(a->secrets.path, "common");
	assert_string_equal(a->secrets.env[0].var, "PW");
	assert_int_equal(a->notify.non, 6);
	assert_int_equal(a->keep_bytes, 100);
	/* The job's own keys win; groups merge key by key, env by name. */
	assert_int_equal(b->timeout, 5);
	assert_int_equal(b->nenv, 3);
	assert_string_equal(b->env[0], "A=1");
	assert_string_equal(b->env[1], "B=3");
	assert_string_equal(b->env[2], "C=4");
	assert_int_equal(b->retries.count, 0);
	assert_int_equal(b->retries.delay, 10);
	assert_int_equal(b->notify.non, 0);
	assert_string_equal(b->notify.mail, "root");
	assert_int_equal(b->keep_bytes, 100);
	assert_string_equal(b->output_file, "/o");
	assert_string_equal(b->secrets.path, "own");
	lc_config_free(cfg);
}

static void
test_defaults_bad(void **state)
{
	/* A bad default is reported once, where it stands, not per job. */
	bad("defaults = {\n  name = \"x\";\n  timout = 5;\n  nice = 99;\n};\n"
	    "jobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"x\"; } );\n",
	    "main.conf:2: defaults: `name` cannot have a default: every job "
	    "names itself\n"
	    "main.conf:3: defaults: unknown key `timout` (did you mean "
	    "`timeout`?)\n"
	    "main.conf:4: defaults: `nice` must be from -20 to 19, not 99");
	bad("defaults = 1;\n", "main.conf:1: `defaults` must be a group "
	    "({ ... }), not an integer");
	/* What only the whole job can tell is checked per job. */
	bad("defaults = { overlap = \"wait\"; };\n"
	    "jobs = (\n"
	    "{ name = \"a\"; schedule = \"@daily\"; command = \"x\"; },\n"
	    "{ name = \"b\"; schedule = \"@daily\"; command = \"x\"; "
	    "lock_wait = 5; } );\n",
	    "main.conf:3: job `a`: `overlap` is \"wait\" but `lock_wait` is not "
	    "set (the longest wait for the lock, e.g. lock_wait = \"10m\")");
	/* Defaults may supply required keys. */
	lc_config_free(ok("defaults = { schedule = \"@daily\"; command = "
	    "\"x\"; };\njobs = ( { name = \"a\"; } );\n"));
}

/* --- files -------------------------------------------------------------- */

static void
test_syntax_error(void **state)
{
	bad("a = 1;\njobs = (\n  { name = ; }\n);\n",
	    "main.conf:3: syntax error");
	bad("x = 1;\nx = 2;\n", "main.conf:2: duplicate setting name");
}

static void
test_file_errors(void **state)
{
	char	 path[512];

	snprintf(path, sizeof path, "%s/missing.conf", dir);
	assert_null(load_file(path, 0));
	assert_string_equal(errors(),
	    "missing.conf: cannot open: No such file or directory");
	assert_null(load_file(dir, 0));
	assert_true(strstr(errors(), ": not a regular file") != NULL);
	assert_null(load_file(put("nul.conf", "a = 1;\nb", 0644), 0));
	/* A NUL byte would make libconfig stop reading silently. */
	{
		FILE	*f;

		snprintf(path, sizeof path, "%s/nul.conf", dir);
		f = fopen(path, "w");
		fwrite("a = 1;\n\nb = \0;\n", 1, 15, f);
		fclose(f);
	}
	assert_null(load_file(path, 0));
	assert_string_equal(errors(),
	    "nul.conf:3: the file contains a NUL byte");
}

static void
test_include_user(void **state)
{
	struct lc_config	*cfg;

	put("jobs.inc", "jobs = ( { name = \"inc\"; schedule = \"@daily\";\n"
	    "  command = \"x\"; timout = 1; } );\n", 0644);
	cfg = load_as("# @include \"nope\"\n/* @include \"nope\" */\n"
	    "s = \"\n@include \\\"nope\\\"\";\n@include \"jobs.inc\"\n", 0);
	assert_null(cfg);
	assert_string_equal(errors(), "main.conf:3: unknown key `s`\n"
	    "jobs.inc:2: job `inc`: unknown key `timout` (did you mean "
	    "`timeout`?)");
	put("jobs.inc", "jobs = ( { name = \"inc\"; schedule = \"@daily\";\n"
	    "  command = \"x\"; } );\n", 0644);
	cfg = ok("\n@include \"jobs.inc\"\n");
	assert_int_equal(cfg->njobs, 1);
	assert_int_equal(cfg->nfiles, 2);
	assert_true(strstr(cfg->jobs[0].src_file, "/jobs.inc") != NULL);
	assert_int_equal(cfg->jobs[0].src_line, 1);
	lc_config_free(cfg);
	bad("@include \"/etc/passwd\"\n",
	    "main.conf:1: @include \"/etc/passwd\": use a path relative to "
	    "(dir) (libconfig reads every @include from there)");
}

static void
test_include_root(void **state)
{
	if (!is_root())
		skip();
	put("jobs.inc", "jobs = ( );\n", 0644);
	assert_null(load_as("a = 1;\n  @include \"jobs.inc\"\nb = 2;\n", 1));
	assert_string_equal(errors(),
	    "main.conf:1: unknown key `a`\n"
	    "main.conf:2: @include is refused when running as root (libconfig "
	    "cannot check the included file's owner and mode); put jobs in a "
	    "drop-in file in `include_dir` instead\n"
	    "main.conf:3: unknown key `b`");
	/* Inside a job of a list read in chunks: the chunk is the text with
	 * the directive blanked out, never the file read again. */
	put("evil.inc", "evil_key = 1;\n", 0644);
	assert_int_equal(chdir(dir), 0);
	assert_null(load_as("jobs = (\n  { name = \"a\"; schedule = "
	    "\"@daily\"; command = \"x\";\n@include \"evil.inc\"\n  }\n);\n",
	    1));
	assert_string_equal(errors(),
	    "main.conf:3: @include is refused when running as root (libconfig "
	    "cannot check the included file's owner and mode); put jobs in a "
	    "drop-in file in `include_dir` instead");
}

static void
test_dropins(void **state)
{
	struct lc_config	*cfg;
	char			 text[1024];

	mkd("d", 0755);
	put("d/20-b.conf", "jobs = ( { name = \"b\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", 0644);
	put("d/10-a.conf", "jobs = ( { name = \"a\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", 0644);
	put("d/.hidden.conf", "garbage", 0644);
	put("d/x.conf.dpkg-old", "garbage", 0644);
	put("d/empty.conf", "", 0644);
	snprintf(text, sizeof text, "include_dir = \"%s/d\";\n"
	    "defaults = { timeout = 7; };\n"
	    "jobs = ( { name = \"main\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", dir);
	cfg = ok(text);
	assert_int_equal(cfg->njobs, 3);
	assert_int_equal(cfg->nfiles, 4);
	assert_string_equal(cfg->jobs[0].name, "main");
	assert_string_equal(cfg->jobs[1].name, "a");
	assert_string_equal(cfg->jobs[2].name, "b");
	assert_int_equal(cfg->jobs[2].timeout, 7);	/* defaults apply */
	assert_true(strstr(cfg->jobs[1].src_file, "/d/10-a.conf") != NULL);
	assert_true(strstr(cfg->files[3], "/d/empty.conf") != NULL);
	lc_config_free(cfg);
}

static void
test_dropins_bad(void **state)
{
	char	 text[1024];

	mkd("d", 0755);
	put("d/a.conf", "timezone = \"UTC\";\njobs = ( { name = \"main\"; "
	    "schedule = \"@daily\"; command = \"y\"; } );\n", 0644);
	put("d/b.conf", "jobs = (\n", 0644);
	put("d/c.conf", "jobs = ( { name = \"c\"; schedule = \"@daily\"; "
	    "command = \"\"; } );\n", 0644);
	snprintf(text, sizeof text, "include_dir = \"%s/d\";\nnice = 1;\n"
	    "jobs = ( { name = \"main\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", dir);
	/* Sorted by file (in reading order), then line. */
	bad(text,
	    "main.conf:2: unknown key `nice`\n"
	    "d/a.conf:1: `timezone` is not allowed in a drop-in file: it may "
	    "hold only `jobs` (global settings belong in main.conf)\n"
	    "d/a.conf:2: duplicate job name `main` (first defined at "
	    "main.conf:3)\n"
	    "d/b.conf:2: syntax error\n"
	    "d/c.conf:1: job `c`: `command` is empty");
}

static void
test_dropins_missing_dir(void **state)
{
	struct lc_config	*cfg;

	cfg = load_as("include_dir = \"/nonexistent/lockcron.d\";\n", 0);
	assert_non_null(cfg);
	assert_string_equal(warnings(), "main.conf:1: warning: `include_dir`: "
	    "/nonexistent/lockcron.d does not exist");
	lc_config_free(cfg);
	put("file", "", 0644);
	bad("include_dir = \"/etc/passwd\";\n", "main.conf:1: `include_dir`: "
	    "/etc/passwd is not a directory");
}

/* --- long job lists, read in chunks ------------------------------------ */

/* Loads text whole and in chunks of 1, 2, 3 and 500 jobs: the messages,
 * the jobs and their lines must be the same every time. */
static void
same_in_chunks(const char *text)
{
	static const size_t	 sizes[] = { 1, 2, 3, 500 };
	struct lc_config	*whole, *cfg;
	char			*expected, *got;
	size_t			 i, j;

	cfg_chunk_jobs = 0;
	whole = load_as(text, 0);
	expected = strdup(join(diag.all, diag.nall));
	for (i = 0; i < LC_NELEM(sizes); i++) {
		cfg_chunk_jobs = sizes[i];
		cfg = load_as(text, 0);
		got = strdup(join(diag.all, diag.nall));
		if (strcmp(got, expected) != 0)
			fail_msg("chunks of %zu:\n%s\nwhole:\n%s\ntext:\n%s",
			    sizes[i], got, expected, text);
		assert_int_equal(cfg == NULL, whole == NULL);
		for (j = 0; cfg != NULL && j < cfg->njobs; j++) {
			assert_string_equal(cfg->jobs[j].name,
			    whole->jobs[j].name);
			assert_int_equal(cfg->jobs[j].src_line,
			    whole->jobs[j].src_line);
		}
		if (cfg != NULL)
			assert_int_equal(cfg->njobs, whole->njobs);
		free(got);
		lc_config_free(cfg);
	}
	cfg_chunk_jobs = 500;
	free(expected);
	lc_config_free(whole);
}

#define J1(n) "  { name = \"" n "\"; schedule = \"@daily\"; command = \"x\"; }"

static void
test_chunks_equivalent(void **state)
{
	static const char *const texts[] = {
		"jobs = (\n" J1("a") ",\n" J1("b") ",\n" J1("c") ",\n" J1("d")
		    ",\n" J1("e") "\n);\n",
		/* semantic errors in several chunks, a duplicate across them */
		"timezone = \"UTC\";\njobs = (\n" J1("a") ",\n"
		    "  { name = \"b\"; schedule = \"* *\"; command = \"\"; },\n"
		    J1("c") ",\n  { name = \"a\"; nice = 50; schedule = "
		    "\"@daily\"; command = \"x\"; }\n);\nfoo = 1;\n",
		/* a syntax error in a later chunk wins over semantic ones */
		"bogus = 1;\njobs = (\n" J1("a") ",\n  { name = \"b\"; "
		    "timout = 1; },\n" J1("c") ",\n  { name = ; }\n);\n",
		/* two syntax errors: the first one counts */
		"jobs = (\n" J1("a") ",\n  { name = ; },\n" J1("c") ");\n"
		    "x = ;\n",
		"x = ;\njobs = (\n" J1("a") ",\n  { name = ; }\n);\n",
		/* trailing comma, empty element, leading comma */
		"jobs = (\n" J1("a") ",\n" J1("b") ",\n);\n",
		"jobs = (\n" J1("a") ",\n,\n" J1("b") "\n);\n",
		"jobs = ( ,\n" J1("a") "\n);\n",
		/* brackets and commas in strings and comments */
		"jobs = ( # ( [ { ,\n  { name = \"a\"; schedule = \"@daily\";"
		    " command = \"echo ), ]} \\\" (\"; } /* ) , */,\n"
		    "  // ,,, )\n" J1("b") ",\n" J1("c") "\n);\n",
		/* `jobs` inside a group, twice, or not a list */
		"history = { jobs = (\n" J1("a") ",\n" J1("b") "\n); };\n",
		"jobs = (\n" J1("a") ",\n" J1("b") "\n);\njobs = ();\n",
		"jobs = [ 1, 2, 3 ];\n",
		"jobs : (\n" J1("a") ",\n" J1("b") ",\n" J1("c") "\n)\n",
		/* mismatched and unbalanced brackets */
		"jobs = (\n" J1("a") ",\n  { name = \"b\"; ],\n" J1("c")
		    "\n);\n",
		"jobs = (\n" J1("a") ",\n" J1("b") "\n",
		"jobs = (\n" J1("a") ",\n  { s = \"unterminated\n);\n",
		/* elements that are not groups, lists in jobs */
		"jobs = (\n" J1("a") ", \"s\", ( 1, 2 ), [ \"x\" ],\n"
		    J1("b") "\n);\n",
		"defaults = { timeout = 5; };\njobs = (\n" J1("a") ",\n"
		    J1("b") ",\n" J1("c") "\n);\n",
		/* found by the fuzzer: an error before the list on its line */
		"x = 1;\b jobs = (\n" J1("a") ",\n  { bad\xc0 = 1; }\n);\n",
		"jobs = ( " J1("a") ", { b = ; } ) x = ;\n",
		/* ...and the @include refused before parsing */
		"@include \"/x\"\njobs = (\n" J1("a") ",\n" J1("b") ",\n"
		    "  { name = ; }\n);\n",
		/* ...and jobs of earlier chunks kept after a syntax error */
		"jobs = (\n" J1("a") ",\n" J1("a") ",\n" J1("b") ",\n"
		    "  { name = ; }\n);\n",
	};
	size_t	 i;

	for (i = 0; i < LC_NELEM(texts); i++)
		same_in_chunks(texts[i]);
}

static void
test_many_jobs(void **state)
{
	struct lc_config	*cfg;
	char			*text, *p;
	size_t			 i, n = 1234, len = n * 100 + 64;

	p = text = malloc(len);
	p += sprintf(p, "jobs = (\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "  { name = \"j%zu\"; schedule = \"%s\"; "
		    "command = \"x\"; }%s\n", i, i == 777 ? "0 0 0 * *" :
		    "@daily", i + 1 < n ? "," : "");
	sprintf(p, ");\n");
	assert_null(load_as(text, 0));
	assert_string_equal(errors(), "main.conf:779: job `j777`: invalid "
	    "schedule \"0 0 0 * *\": day-of-month field: 0 is out of range "
	    "(1-31)");
	strstr(text, "0 0 0 * *")[4] = '1';
	cfg = ok(text);
	assert_int_equal(cfg->njobs, n);
	assert_string_equal(cfg->jobs[1233].name, "j1233");
	assert_int_equal(cfg->jobs[1233].src_line, 1235);
	assert_ptr_equal(lc_config_find_job(cfg, "j1000"), &cfg->jobs[1000]);
	lc_config_free(cfg);
	free(text);
}

/* --- root's ownership checks ------------------------------------------- */

static void
test_root_modes(void **state)
{
	struct lc_config	*cfg;
	const char		*p;

	if (!is_root())
		skip();
	p = put("gw.conf", "", 0664);
	assert_null(load_file(p, 1));
	assert_string_equal(errors(), "gw.conf: refusing config file "
	    "gw.conf: it is writable by group (mode 0664) and lockcron runs as "
	    "root; fix it with: chmod go-w gw.conf");
	p = put("ow.conf", "", 0646);
	assert_null(load_file(p, 1));
	assert_true(strstr(errors(), "writable by others (mode 0646)") != NULL);
	p = put("both.conf", "", 0666);
	assert_null(load_file(p, 1));
	assert_true(strstr(errors(), "group and others (mode 0666)") != NULL);
	/* Not root's: refused even when not writable by others. */
	p = put("nobody.conf", "", 0644);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_null(load_file(p, 1));
	assert_true(strstr(errors(), "(uid 65534), not root, and lockcron runs "
	    "as root; fix it with: chown root ") != NULL);
	/* Not root: no such checks. */
	cfg = load_file(put("gw2.conf", "", 0666), 0);
	assert_non_null(cfg);
	lc_config_free(cfg);
	cfg = load_file(put("gw3.conf", "", 0644), 1);
	assert_non_null(cfg);
	lc_config_free(cfg);
}

static void
test_root_dropins(void **state)
{
	char			 text[1024];
	struct lc_config	*cfg;

	if (!is_root())
		skip();
	mkd("d", 0755);
	put("d/ok.conf", "jobs = ( { name = \"a\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", 0644);
	put("d/gw.conf", "jobs = ( { name = \"b\"; schedule = \"@daily\"; "
	    "command = \"x\"; } );\n", 0620);
	snprintf(text, sizeof text, "include_dir = \"%s/d\";\n", dir);
	assert_null(load_as(text, 1));
	assert_string_equal(errors(), "d/gw.conf: refusing config file "
	    "d/gw.conf: it is writable by group (mode 0620) and lockcron runs "
	    "as root; fix it with: chmod go-w d/gw.conf");
	chmod(strcat(strcat(strcpy(text, dir), "/d"), "/gw.conf"), 0600);
	snprintf(text, sizeof text, "include_dir = \"%s/d\";\n", dir);
	cfg = load_as(text, 1);
	assert_non_null(cfg);
	assert_int_equal(cfg->njobs, 2);
	lc_config_free(cfg);
	/* The directory itself: others could add files to it. */
	chmod(strcat(strcpy(text, dir), "/d"), 0777);
	snprintf(text, sizeof text, "include_dir = \"%s/d\";\n", dir);
	assert_null(load_as(text, 1));
	assert_string_equal(errors(), "main.conf:1: refusing include_dir d: "
	    "it is writable by group and others (mode 0777) and lockcron runs "
	    "as root; fix it with: chmod go-w d");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults_user),
		T(test_defaults_root),
		T(test_default_path),
		T(test_dirs),
		T(test_timezone),
		T(test_log),
		T(test_max_parallel),
		T(test_history),
		T(test_history_group),
		T(test_unknown_keys),
		T(test_name),
		T(test_duplicate_names),
		T(test_schedule),
		T(test_command),
		T(test_job_timezone),
		T(test_user_group),
		T(test_user_group_root),
		T(test_workdir_shell_stdin),
		T(test_env),
		T(test_umask_nice),
		T(test_lock),
		T(test_overlap),
		T(test_durations),
		T(test_retries),
		T(test_catch_up_enabled),
		T(test_output),
		T(test_notify),
		T(test_keystores),
		T(test_keystores_bad),
		T(test_keystore_unused_keys),
		T(test_secrets),
		T(test_secrets_bad),
		T(test_secrets_warnings),
		T(test_defaults_group),
		T(test_defaults_bad),
		T(test_syntax_error),
		T(test_file_errors),
		T(test_include_user),
		T(test_include_root),
		T(test_dropins),
		T(test_dropins_bad),
		T(test_dropins_missing_dir),
		T(test_chunks_equivalent),
		T(test_many_jobs),
		T(test_root_modes),
		T(test_root_dropins),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
