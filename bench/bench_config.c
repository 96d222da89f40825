/*
 * Benchmark: loading a config of 100,000 jobs. Generates the file (a mix
 * of schedules, zones, users, env, locks, retries, notify and secrets, as
 * a large site's config would hold), then reports the median wall time of
 * lc_config_load() over REPS runs, and the wall time and maximum resident
 * set size of whole `lockcron check -c FILE` processes (getrusage of the
 * child). Targets: under 1 s and under 100 MB.
 *
 *	bench/bench_config [-n JOBS] [--lockcron PATH]
 *	bench/bench_config --generate JOBS >FILE	(the generator alone)
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/config.h"
#include "lockcron/util.h"

#define REPS	5

static const char *const schedules[] = {
	"*/5 * * * *", "0 2 * * *", "30 */4 * * *", "15 1 * * mon-fri",
	"0 0 1 * *", "@hourly", "*/15 8-18 * * 1-5", "0 20 * * fri",
};
static const char *const zones[] = {
	"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo",
};

/* One job; every tenth uses more of the keys. */
static void
gen_job(FILE *f, long i)
{
	if (i % 10 == 0)
		fprintf(f, "  { name = \"job-%06ld\"; "
		    "schedule = [\"0 3 * * *\", \"%s\"];\n", i,
		    schedules[i % LC_NELEM(schedules)]);
	else
		fprintf(f, "  { name = \"job-%06ld\"; schedule = \"%s\";\n", i,
		    schedules[i % LC_NELEM(schedules)]);
	fprintf(f, "    command = \"/opt/batch/bin/task-%ld --shard %ld\";\n",
	    i % 97, i);
	if (i % 3 == 0)
		fprintf(f, "    timezone = \"%s\"; user = \"root\";\n",
		    zones[i % LC_NELEM(zones)]);
	if (i % 10 == 0)
		fprintf(f, "    env = { SHARD = \"%ld\"; LANG = \"C.UTF-8\"; };\n"
		    "    lock = \"shard-%ld\"; overlap = \"wait\"; "
		    "lock_wait = \"10m\"; timeout = \"2h\";\n"
		    "    retries = { count = 3; delay = \"1m\"; backoff = 2.0; };\n"
		    "    notify = { mail = \"ops@example.com\"; };\n"
		    "    secrets = { keystore = \"vault\"; path = \"batch/%ld\"; "
		    "env = { DB_PASSWORD = \"db_password\"; }; };\n",
		    i, i % 100, i % 50);
	fputs("  }\n", f);
}

static void
generate(FILE *f, long n)
{
	long	 i;

	fprintf(f, "# %ld generated jobs (bench/bench_config --generate)\n"
	    "timezone = \"UTC\";\n"
	    "keystores = ( { name = \"vault\"; type = \"vault-kv2\"; "
	    "url = \"https://vault.example.com\"; "
	    "token_file = \"/etc/lockcron/token\"; } );\n"
	    "defaults = { kill_grace = 30; env = { PATH = \"/usr/bin:/bin\"; }; "
	    "};\njobs = (\n", n);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs("  ,\n", f);
		gen_job(f, i);
	}
	fputs(");\n", f);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/*
 * Runs `lockcron check -c path`; returns its wall time, *cpu its user and
 * system time, *rss_kb its peak resident set. (A child's ru_maxrss counts
 * the parent's pages it had before exec: run these while this process is
 * still small, before loading any config itself.)
 */
static double
run_check(const char *lockcron, const char *path, double *cpu, long *rss_kb)
{
	struct rusage	 ru;
	double		 t0 = now_s();
	pid_t		 pid;
	int		 status, devnull;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			dup2(devnull, STDOUT_FILENO);
		execl(lockcron, lockcron, "check", "-c", path, (char *)NULL);
		perror(lockcron);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_config: %s check failed\n", lockcron);
		exit(1);
	}
	*rss_kb = ru.ru_maxrss;
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return (now_s() - t0);
}

/* Median time of lc_config_load() in this process. */
static double
bench_load(const char *path, size_t *njobs)
{
	struct lc_config_opts	 opts = { .as_root = geteuid() == 0 };
	struct lc_config_diag	 diag = { 0 };
	struct lc_config	*cfg;
	double			 t[REPS], t0;
	int			 r;

	for (r = 0; r < REPS; r++) {
		t0 = now_s();
		cfg = lc_config_load(path, &opts, &diag);
		t[r] = now_s() - t0;
		if (cfg == NULL) {
			fprintf(stderr, "bench_config: %s: %s\n", path,
			    diag.nerrors > 0 ? diag.errors[0] : "?");
			exit(1);
		}
		*njobs = cfg->njobs;
		lc_config_free(cfg);
		lc_config_diag_clear(&diag);
	}
	qsort(t, REPS, sizeof *t, cmp_double);
	return (t[REPS / 2]);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "generate", required_argument, NULL, 'g' },
		{ "lockcron", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*lockcron = getenv("LOCKCRON");
	char		 path[] = "/tmp/bench_config.XXXXXX";
	double		 load, t[REPS], cpu[REPS];
	long		 n = 100000, rss[REPS], maxrss = 0, size;
	size_t		 njobs = 0;
	FILE		*f;
	int		 ch, fd, r;

	while ((ch = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			generate(stdout, atol(optarg));
			return (0);
		case 'l':
			lockcron = optarg;
			break;
		case 'n':
			n = atol(optarg);
			break;
		default:
			return (2);
		}
	}
	if (lockcron == NULL)
		lockcron = "./lockcron";
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		perror(path);
		return (1);
	}
	fchmod(fd, 0644);
	generate(f, n);
	size = ftell(f);
	fclose(f);

	for (r = 0; r < REPS; r++) {
		t[r] = run_check(lockcron, path, &cpu[r], &rss[r]);
		if (rss[r] > maxrss)
			maxrss = rss[r];
	}
	qsort(t, REPS, sizeof *t, cmp_double);
	qsort(cpu, REPS, sizeof *cpu, cmp_double);
	load = bench_load(path, &njobs);
	printf("config load, %zu jobs (%.1f MB of config): lc_config_load "
	    "median %.3f s (target < 1 s: %s)\n", njobs, size / 1e6, load,
	    load < 1.0 ? "ok" : "MISSED");
	printf("lockcron check, %zu jobs: median %.3f s wall, %.3f s CPU; "
	    "max RSS %.1f MB (target < 100 MB: %s)\n", njobs, t[REPS / 2],
	    cpu[REPS / 2], maxrss / 1024.0, maxrss < 100 * 1024 ? "ok" :
	    "MISSED");
	unlink(path);
	return (0);
}
