/*
 * Unit tests for crontab: environment lines, the '%' rule, schedules,
 * flock(1) wrappers, job names, and whole crontabs whose output is read
 * back with libconfig itself. The expected values for environment lines and
 * '%' are what Debian 12's cron 3.0pl1-162 did with the same lines (run in
 * a private namespace with a recording SHELL), not what this code does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libconfig.h>

#include "lockcron/crontab.h"

/* Environment lines: (line, name, value), NULL name: not an env line. */
static const struct {
	const char	*line, *name, *value;
} env_cases[] = {
	{ "FOO=bar", "FOO", "bar" },
	{ "FOO = \"  spaced value  \"", "FOO", "  spaced value" },
	{ "\"QN AME\"=q", "QN AME", "q" },
	{ "Q2=\"a b\"  ", "Q2", "a b" },
	{ "Q3='x'", "Q3", "x" },
	{ "Q4=  lead", "Q4", "lead" },
	{ "Q5=trail   ", "Q5", "trail" },
	{ "Q6 =x", "Q6", "x" },
	{ "Q7= \"x\"", "Q7", "x" },
	{ "'Q8'=y", "Q8", "y" },
	{ "Q9=a=b", "Q9", "a=b" },
	{ "=empty", "", "empty" },
	{ "Q11=\"\"", "Q11", "" },
	{ "Q12=a\"b\"", "Q12", "a\"b\"" },
	{ "Q13=\"a'b\"", "Q13", "a'b" },
	{ "Q14=\ttab\t", "Q14", "tab" },
	{ "Q15 = \"  \"", "Q15", "" },
	{ "Q16=a # b", "Q16", "a # b" },
	{ "E1=a#b", "E1", "a#b" },
	{ "E2= x y  ", "E2", "x y" },
	{ "MAILTO=\"\"", "MAILTO", "" },
	{ "FOO\t=\tbar", "FOO", "bar" },
	{ "0FOO=1", "0FOO", "1" },
	{ "F-O.O=1", "F-O.O", "1" },
	{ "FOO==x", "FOO", "=x" },
	/* cron(8) refused these lines ("bad minute"): not env lines. */
	{ "FOO=\"a\"b", NULL, NULL },
	{ "FOO='a", NULL, NULL },
	{ "FOO BAR=x", NULL, NULL },
	{ "FOO=\"", NULL, NULL },
	{ "FOO=  ", NULL, NULL },
	{ "MAILTO=", NULL, NULL },
	{ "BAR='it''s'", NULL, NULL },
	{ "* * * * * echo a=b", NULL, NULL },
	{ "@daily x=1", NULL, NULL },
};

static void
test_env_lines(void **state)
{
	char	*name, *value;
	size_t	 i;
	int	 is_env;

	for (i = 0; i < sizeof env_cases / sizeof env_cases[0]; i++) {
		name = value = NULL;
		is_env = lc_crontab_env_line(env_cases[i].line, &name, &value);
		if (env_cases[i].name == NULL) {
			if (is_env)
				fail_msg("[%s] read as %s=%s", env_cases[i].line,
				    name, value);
			continue;
		}
		if (!is_env)
			fail_msg("[%s] not read as an env line",
			    env_cases[i].line);
		assert_string_equal(name, env_cases[i].name);
		assert_string_equal(value, env_cases[i].value);
		free(name);
		free(value);
	}
}

/* '%': (crontab command, shell's command, stdin or NULL). */
static const struct {
	const char	*in, *cmd, *input;
} pct_cases[] = {
	{ "T01 plain", "T01 plain", NULL },
	{ "T02 a\\%b", "T02 a%b", NULL },
	{ "T03 a%b", "T03 a", "b\n" },
	{ "T04 a%b%c%", "T04 a", "b\nc\n" },
	{ "T05 a\\\\b", "T05 a\\b", NULL },
	{ "T06 a\\\\%b", "T06 a\\", "b\n" },
	{ "T07 a%x\\%y\\\\z\\q%", "T07 a", "x%y\\\\z\\q\n" },
	{ "T08 a%x\\\\%y", "T08 a", "x\\%y\n" },
	{ "T09 a%x\\", "T09 a", "x\\\n" },
	{ "T10 a%%", "T10 a", "\n" },
	{ "T11 a\\", "T11 a\\", NULL },
	{ "T12 a\\\\\\%b%c", "T12 a\\%b", "c\n" },
	{ "T20 a\\qb", "T20 a\\qb", NULL },
	{ "T21 a%", "T21 a", "" },
	{ "T22 a\\%", "T22 a%", NULL },
	{ "T23 a%b%", "T23 a", "b\n" },
	{ "T24 a %  b ", "T24 a ", "  b \n" },
	{ "date +\\%Y-\\%m-\\%d", "date +%Y-%m-%d", NULL },
};

static void
test_percent(void **state)
{
	char	*cmd, *input;
	size_t	 i;

	for (i = 0; i < sizeof pct_cases / sizeof pct_cases[0]; i++) {
		lc_crontab_percent(pct_cases[i].in, &cmd, &input);
		assert_string_equal(cmd, pct_cases[i].cmd);
		if (pct_cases[i].input == NULL)
			assert_null(input);
		else {
			assert_non_null(input);
			assert_string_equal(input, pct_cases[i].input);
		}
		free(cmd);
		free(input);
	}
}

/* Schedules: (five fields, lockcron schedule or NULL when refused). */
static const struct {
	const char	*f[5];
	const char	*sched;
	int		 rewritten;
} sched_cases[] = {
	{ { "*/15", "*", "*", "*", "*" }, "*/15 * * * *", 0 },
	{ { "0", "0", "*", "jan-mar", "mon-fri" }, "0 0 * jan-mar mon-fri", 0 },
	{ { "0", "0", "*", "JaN-MAR/2", "*" }, "0 0 * JaN-MAR/2 *", 0 },
	{ { "00", "07", "*", "*", "7" }, "00 07 * * 7", 0 },
	{ { "1-5/2", "*", "*", "*", "*" }, "1-5/2 * * * *", 0 },
	{ { "*/90", "*", "*", "*", "*" }, "*/60 * * * *", 1 },
	{ { "0-59/90", "*", "*", "*", "*" }, "0 * * * *", 1 },
	{ { "5.", "*", "*", "*", "*" }, "5 * * * *", 1 },
	{ { "*-5", "*", "*", "*", "*" }, "* * * * *", 1 },
	{ { "*/2-4", "*", "*", "*", "*" }, "*/2 * * * *", 1 },
	{ { "*5", "*", "*", "*", "*" }, "* * * * *", 1 },
	{ { "3-3/2", "*", "*", "*", "*" }, "3 * * * *", 1 },
	{ { "0", "0", "*", "*", "5#3" }, "0 0 * * 5", 1 },
	{ { "0", "0", "5-3", "*", "1" }, "0 0 * * 1", 1 },
	{ { "0", "0", "1", "*", "fri-sun" }, "0 0 1 * *", 1 },
	{ { "0", "0", "5-3,*", "*", "1" }, "0 0 1-31 * 1", 1 },
	{ { "0", "0", "*", "*", "*/8" }, "0 0 * * */8", 0 },
	/* refused by cron(8) */
	{ { "5/15", "*", "*", "*", "*" }, NULL, 0 },
	{ { "*/0", "*", "*", "*", "*" }, NULL, 0 },
	{ { "60", "*", "*", "*", "*" }, NULL, 0 },
	{ { "0", "0", "0", "*", "*" }, NULL, 0 },
	{ { "0", "0", "*", "january", "*" }, NULL, 0 },
	{ { "0", "0", "*", "*", "8" }, NULL, 0 },
	{ { "1,,2", "*", "*", "*", "*" }, NULL, 0 },
	{ { "0x5", "*", "*", "*", "*" }, NULL, 0 },
	{ { "*/5x", "*", "*", "*", "*" }, NULL, 0 },
	{ { "mon/2", "*", "*", "*", "*" }, NULL, 0 },
	{ { "5-70", "*", "*", "*", "*" }, NULL, 0 },
	/* accepted by cron(8), never run */
	{ { "5-3", "*", "*", "*", "*" }, NULL, 0 },
	{ { "0", "0", "31", "2", "*" }, NULL, 0 },
	{ { "0", "0", "*", "*", "sat-sun" }, NULL, 0 },
};

static void
test_schedules(void **state)
{
	char	*sched, *note, *cause;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof sched_cases / sizeof sched_cases[0]; i++) {
		sched = note = cause = NULL;
		rc = lc_crontab_schedule(sched_cases[i].f, &sched, &note,
		    &cause);
		if (sched_cases[i].sched == NULL) {
			if (rc == 0)
				fail_msg("case %zu accepted as \"%s\"", i, sched);
			assert_non_null(cause);
			free(cause);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: %s", i, cause);
		assert_string_equal(sched, sched_cases[i].sched);
		if (sched_cases[i].rewritten)
			assert_non_null(note);
		else
			assert_null(note);
		free(sched);
		free(note);
	}
}

/* flock: (command, rc, lock, nonblock, wait, inner command, cause part). */
static const struct {
	const char	*cmd;
	int		 rc;
	const char	*lock;
	int		 nonblock;
	int64_t		 wait;
	const char	*inner;
} flock_cases[] = {
	{ "/usr/bin/flock -w 0 --verbose /var/run/x.lock ${D}x.sh", 1,
	  "/var/run/x.lock", 1, 0, "${D}x.sh" },
	{ "flock -n /l cmd a 'b c'", 1, "/l", 1, 0, "cmd a 'b c'" },
	{ "flock -w 30 /l cmd", 1, "/l", 0, 30, "cmd" },
	{ "flock -w30 /l cmd", 1, "/l", 0, 30, "cmd" },
	{ "flock -nw 3 /l cmd", 1, "/l", 1, 3, "cmd" },
	{ "flock --timeout=10 /l cmd", 1, "/l", 0, 10, "cmd" },
	{ "flock --wait 5 -x /l cmd", 1, "/l", 0, 5, "cmd" },
	{ "flock --time 0 /l cmd", 1, "/l", 1, 0, "cmd" },
	{ "flock --non --verb -e /l cmd", 1, "/l", 1, 0, "cmd" },
	{ "flock -w 0.5 /l cmd", 1, "/l", 0, 1, "cmd" },
	{ "flock -w 1e1 /l cmd", 1, "/l", 0, 10, "cmd" },
	{ "flock -F -n -- /l cmd", 1, "/l", 1, 0, "cmd" },
	{ "flock -n \"/var/lock/my job.lock\" cmd", 1, "/var/lock/my job.lock",
	  1, 0, "cmd" },
	{ "flock -n /l -c 'a; b'", 1, "/l", 1, 0, "a; b" },
	{ "flock -n /l --command \"echo \\$HOME\"", 1, "/l", 1, 0,
	  "echo $HOME" },
	{ "flock -n /l -c \"cd $DIR && make\"", 1, "/l", 1, 0,
	  "eval \"cd $DIR && make\"" },
	{ "flock -n /l -c $CMD 2>&1", 1, "/l", 1, 0, "{ eval $CMD\n} 2>&1" },
	{ "flock -n /l -c 'a; b' >> /log 2>&1", 1, "/l", 1, 0,
	  "{ a; b\n} >> /log 2>&1" },
	{ "flock -n /l cmd > /log 2>&1", 1, "/l", 1, 0, "cmd > /log 2>&1" },
	{ "flock -n /l >/dev/null cmd", 1, "/l", 1, 0, ">/dev/null cmd" },
	/* not flock at all */
	{ "echo flock -n /l cmd", 0, NULL, 0, 0, NULL },
	{ "${CODE}flock_rebuild.sh", 0, NULL, 0, 0, NULL },
	{ "cd / && flock -n /l cmd", 0, NULL, 0, 0, NULL },
	{ "'flock' -n /l cmd", 0, NULL, 0, 0, NULL },
	/* flock kept as a plain command */
	{ "flock -s /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock --shared /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -o /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -u /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -E 1 /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock --conflict-exit-code=1 /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock --close /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock --no /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock --command 'x' /l", -1, NULL, 0, 0, NULL },
	{ "flock -n x.lock cmd", -1, NULL, 0, 0, NULL },
	{ "flock -n /var/lock/ cmd", -1, NULL, 0, 0, NULL },
	{ "flock -n $LOCK cmd", -1, NULL, 0, 0, NULL },
	{ "flock -n ~/x.lock cmd", -1, NULL, 0, 0, NULL },
	{ "flock -n /l a && b", -1, NULL, 0, 0, NULL },
	{ "flock -n /l a; b", -1, NULL, 0, 0, NULL },
	{ "flock -n /l a | b", -1, NULL, 0, 0, NULL },
	{ "flock -n /l -c 'a' extra", -1, NULL, 0, 0, NULL },
	{ "flock -n /l -c ''", -1, NULL, 0, 0, NULL },
	{ "flock -n /l", -1, NULL, 0, 0, NULL },
	{ "flock -n 9", -1, NULL, 0, 0, NULL },
	{ "flock -w -1 /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -w '' /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -w /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -q /l cmd", -1, NULL, 0, 0, NULL },
	{ "flock -n /l 'unbalanced", -1, NULL, 0, 0, NULL },
};

static void
test_flock(void **state)
{
	struct lc_crontab_flock	 fl;
	char			*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof flock_cases / sizeof flock_cases[0]; i++) {
		cause = NULL;
		rc = lc_crontab_flock(flock_cases[i].cmd, &fl, &cause);
		if (rc != flock_cases[i].rc)
			fail_msg("[%s]: %d, expected %d (%s)", flock_cases[i].cmd,
			    rc, flock_cases[i].rc, cause ? cause : "");
		if (rc == -1)
			assert_non_null(cause);
		free(cause);
		if (rc != 1)
			continue;
		assert_string_equal(fl.lock, flock_cases[i].lock);
		assert_int_equal(fl.nonblock, flock_cases[i].nonblock);
		assert_int_equal(fl.wait, flock_cases[i].wait);
		assert_string_equal(fl.command, flock_cases[i].inner);
		lc_crontab_flock_clear(&fl);
	}
}

static const struct {
	const char	*cmd, *name;
} name_cases[] = {
	{ "${DPX_SCRIPTS}qnap/dpx_rawcook.sh", "dpx_rawcook" },
	{ "${PY3_ENV} ${DPX_SCRIPTS}qnap/dpx_part_whole_move.py > /tmp/l 2>&1",
	  "dpx_part_whole_move" },
	{ "${CODE}flock_rebuild.sh", "flock_rebuild" },
	{ "cd / && run-parts --report /etc/cron.hourly", "cron.hourly" },
	{ "test -x /usr/sbin/anacron || { cd / && run-parts --report "
	  "/etc/cron.daily; }", "cron.daily" },
	{ "/usr/bin/php /var/www/app/cron.php --quiet", "cron" },
	{ "python3 -u /opt/etl/load_orders.py", "load_orders" },
	{ "nice -n 10 ionice -c3 /usr/local/bin/reindex", "reindex" },
	{ "timeout 600 backup-db --full", "backup-db" },
	{ "cd /srv/app && make nightly", "make" },
	{ "FOO=1 BAR=2 /opt/bin/sync-all", "sync-all" },
	{ "flock -n /l -c 'php bin/console cache:warm'", "console" },
	{ "flock -w 5 /run/lock/x.lock /usr/local/sbin/app-report",
	  "app-report" },
	{ "echo hi | mail -s x root", "mail" },
	{ "eval \"cd $DIR && /opt/bin/nightly-etl\"", "nightly-etl" },
	{ "/usr/bin/find /tmp -mtime +7 -delete", "find" },
	{ "\"/opt/My Tools/run all.sh\"", "run_all" },
	{ "$HOME/bin/$(hostname)-sync", "sync" },
	{ "'", "job" },
	{ "..", "job" },
	{ "-", "job" },
};

static void
test_names(void **state)
{
	char	*name;
	size_t	 i;

	for (i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		name = lc_crontab_job_name(name_cases[i].cmd);
		if (strcmp(name, name_cases[i].name) != 0)
			fail_msg("[%s]: \"%s\", expected \"%s\"",
			    name_cases[i].cmd, name, name_cases[i].name);
		free(name);
	}
}

static int
users_cb(const char *name, void *arg)
{
	return (strcmp(name, "root") == 0 || strcmp(name, "www-data") == 0);
}

static int
dirs_cb(const char *path, void *arg)
{
	return (strcmp(path, "/srv/locks") == 0);
}

static void
test_detect_system(void **state)
{
	const char	*sys = "# c\nSHELL=/bin/sh\n17 * * * * root run-parts "
	    "/etc/cron.hourly\n";
	const char	*mac = "@daily www-data /bin/true\n";
	const char	*usr = "17 * * * * run-parts /etc/cron.hourly\n";

	assert_true(lc_crontab_is_system("/etc/crontab", sys, strlen(sys),
	    users_cb, NULL));
	assert_true(lc_crontab_is_system("/etc/cron.d/app", mac, strlen(mac),
	    users_cb, NULL));
	assert_false(lc_crontab_is_system("/etc/cron.d/app", usr, strlen(usr),
	    users_cb, NULL));
	assert_false(lc_crontab_is_system("/tmp/crontab", sys, strlen(sys),
	    users_cb, NULL));
	assert_false(lc_crontab_is_system("/etc/cron.d/", sys, strlen(sys),
	    users_cb, NULL));
	assert_false(lc_crontab_is_system("/etc/cron.d/sub/x", sys, strlen(sys),
	    users_cb, NULL));
	assert_false(lc_crontab_is_system(NULL, sys, strlen(sys), users_cb,
	    NULL));
}

/* Reads the generated config back with libconfig. */
static void
read_back(const struct lc_crontab *ct, config_t *cfg)
{
	config_init(cfg);
	if (config_read_string(cfg, lc_crontab_config(ct)) != CONFIG_TRUE)
		fail_msg("libconfig: line %d: %s\n%s", config_error_line(cfg),
		    config_error_text(cfg), lc_crontab_config(ct));
}

/* The string setting path of job i. */
static const char *
job_str(config_t *cfg, int i, const char *key)
{
	config_setting_t	*job;
	const char		*v = NULL;

	job = config_setting_get_elem(config_lookup(cfg, "jobs"), i);
	assert_non_null(job);
	if (!config_setting_lookup_string(job, key, &v))
		return (NULL);
	return (v);
}

static void
test_whole_crontab(void **state)
{
	const char	*text =
	    "# header\n"
	    "MAILTO=ops@example.com\n"
	    "SHELL=/bin/bash\n"
	    "HOME=/srv/app\n"
	    "TRUE=yes\n"
	    "# the backup\n"
	    "30 2 * * * root /srv/bin/backup.sh\n"
	    "CRON_TZ=Europe/Paris\n"
	    "MAILTO=\"\"\n"
	    "*/5 * * * * www-data flock -w 30 /srv/locks/etl.lock etl.sh\n"
	    "0 3 * * * www-data flock -n /srv/locks cleanup.sh\n"
	    "0 4 * * * root printf 'a\\tb\x01\"q\"\\\\' %line1%line2\n"
	    "0 5 * * * root /srv/bin/backup.sh --verify\n"
	    "bad line here\n"
	    "0 6 * * * nobody /bin/true\n";
	struct lc_crontab_opts	 opts = { "/etc/crontab", LC_CRONTAB_AUTO,
	    NULL, users_cb, dirs_cb, NULL };
	struct lc_crontab	*ct;
	config_t		 cfg;
	config_setting_t	*env, *jobs;
	int			 line, w;

	ct = lc_crontab_parse(text, strlen(text), &opts);
	assert_true(lc_crontab_is_system_kind(ct));
	assert_int_equal(lc_crontab_njobs(ct), 6);
	assert_int_equal(lc_crontab_nfailed(ct), 1);
	read_back(ct, &cfg);
	jobs = config_lookup(&cfg, "jobs");
	assert_int_equal(config_setting_length(jobs), 6);

	assert_string_equal(job_str(&cfg, 0, "name"), "backup");
	assert_string_equal(job_str(&cfg, 0, "user"), "root");
	assert_string_equal(job_str(&cfg, 0, "shell"), "/bin/bash");
	assert_string_equal(job_str(&cfg, 0, "workdir"), "/srv/app");
	assert_null(job_str(&cfg, 0, "timezone"));
	assert_string_equal(job_str(&cfg, 0, "command"), "/srv/bin/backup.sh");
	assert_non_null(config_lookup(&cfg, "jobs.[0].notify.mail"));
	/* TRUE cannot be a libconfig key: the env list form is used. */
	env = config_lookup(&cfg, "jobs.[0].env");
	assert_non_null(env);
	assert_true(config_setting_is_list(env) ||
	    config_setting_is_array(env));
	assert_string_equal(config_setting_get_string_elem(env, 1), "TRUE=yes");

	assert_string_equal(job_str(&cfg, 1, "name"), "etl");
	assert_string_equal(job_str(&cfg, 1, "timezone"), "Europe/Paris");
	assert_string_equal(job_str(&cfg, 1, "lock"), "/srv/locks/etl.lock");
	assert_string_equal(job_str(&cfg, 1, "overlap"), "wait");
	assert_null(config_lookup(&cfg, "jobs.[1].notify"));

	/* The directory lock stays in the command. */
	assert_null(job_str(&cfg, 2, "lock"));
	assert_string_equal(job_str(&cfg, 2, "command"),
	    "flock -n /srv/locks cleanup.sh");

	/* Escapes survive libconfig: tab, \x01, quotes, backslash, \n. */
	assert_string_equal(job_str(&cfg, 3, "command"),
	    "printf 'a\\tb\x01\"q\"\\' ");
	assert_string_equal(job_str(&cfg, 3, "stdin"), "line1\nline2\n");

	assert_string_equal(job_str(&cfg, 4, "name"), "backup-2");
	assert_string_equal(job_str(&cfg, 5, "user"), "nobody");
	config_destroy(&cfg);

	/* A warning names the bad line; another the unknown user. */
	for (w = 0; lc_crontab_warning(ct, (size_t)w, &line) != NULL; w++)
		if (line == 14)
			break;
	assert_non_null(lc_crontab_warning(ct, (size_t)w, &line));
	assert_non_null(strstr(lc_crontab_config(ct),
	    "# NOT CONVERTED (line 14)"));
	assert_non_null(strstr(lc_crontab_config(ct), "#   bad line here"));
	assert_non_null(strstr(lc_crontab_config(ct), "  # the backup\n"
	    "  # line 7: 30 2 * * * root /srv/bin/backup.sh\n  {\n"));
	lc_crontab_free(ct);
}

static void
test_user_option_and_edges(void **state)
{
	const char	*text = "\n\n@reboot /bin/start\n0 0 * * * \t \n"
	    "0 1 * * * a\r\n0 2 * * * ${X}noeol.sh";
	struct lc_crontab_opts	 opts = { NULL, LC_CRONTAB_USER, "alice",
	    NULL, NULL, NULL };
	struct lc_crontab	*ct;
	config_t		 cfg;

	ct = lc_crontab_parse(text, strlen(text), &opts);
	assert_false(lc_crontab_is_system_kind(ct));
	assert_int_equal(lc_crontab_njobs(ct), 3);
	assert_int_equal(lc_crontab_nfailed(ct), 1);	/* no command */
	read_back(ct, &cfg);
	assert_string_equal(job_str(&cfg, 0, "schedule"), "@reboot");
	assert_string_equal(job_str(&cfg, 0, "user"), "alice");
	assert_string_equal(job_str(&cfg, 1, "command"), "a");
	assert_string_equal(job_str(&cfg, 2, "name"), "noeol");
	config_destroy(&cfg);
	assert_non_null(strstr(lc_crontab_config(ct), "standard input"));
	lc_crontab_free(ct);

	/* cron(8) forces LOGNAME (checked: LOGNAME=bogus ran as root). */
	text = "LOGNAME=bogus\nUSER=bogus2\n* * * * * env\n";
	ct = lc_crontab_parse(text, strlen(text), &opts);
	read_back(ct, &cfg);
	assert_null(config_lookup(&cfg, "jobs.[0].env.LOGNAME"));
	assert_non_null(config_lookup(&cfg, "jobs.[0].env.USER"));
	assert_int_equal(lc_crontab_nfailed(ct), 0);
	assert_int_equal(lc_crontab_nwarnings(ct), 1);
	config_destroy(&cfg);
	lc_crontab_free(ct);

	/* Nothing at all is still a valid config. */
	ct = lc_crontab_parse("", 0, &opts);
	read_back(ct, &cfg);
	assert_int_equal(config_setting_length(config_lookup(&cfg, "jobs")),
	    0);
	config_destroy(&cfg);
	lc_crontab_free(ct);
	lc_crontab_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_lines),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_schedules),
		cmocka_unit_test(test_flock),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_detect_system),
		cmocka_unit_test(test_whole_crontab),
		cmocka_unit_test(test_user_option_and_edges),
	};

	return (cmocka_run_group_tests_name("crontab", tests, NULL, NULL));
}
