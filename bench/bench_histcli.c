/*
 * Benchmark: the history commands on a large history. Generates (or
 * reuses) a history of 1,000,000 runs over 1,000 jobs and their events
 * (bench/histgen.c) and a config of those 1,000 jobs, then times whole
 * `lockcron` processes, REPS runs each after warm-up runs, and prints
 * the median, p10, p90 and minimum against the targets:
 *
 *	history JOB --limit 20	20 ms	status (1,000 jobs)	150 ms
 *	show RUN (a prefix)	20 ms	metrics			200 ms
 *
 * `lockcron --version` is timed the same way: the cost of starting the
 * program, which every figure includes.
 *
 *	bench/bench_histcli [-n REPS] [--lockcron PATH] [--dir DIR] [--keep]
 *
 * --dir DIR reuses DIR/history.db if it exists (else generates it there);
 * without it a temporary directory is used and removed unless --keep.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/util.h"
#include "histgen.h"

#define WARMUP	3

extern char	**environ;
#define MAXARGS	12

struct bench {
	const char	*name;
	double		 target_ms;
	const char	*argv[MAXARGS];
};

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/*
 * Runs argv once with stdout and stderr on /dev/null; its wall time. With
 * posix_spawn (clone with CLONE_VM | CLONE_VFORK in glibc): a fork() of
 * this process, large after generating, would copy its page tables and
 * add its own milliseconds to every figure.
 */
static double
run_once(const char *const *argv, int *status)
{
	posix_spawn_file_actions_t	 fa;
	double				 t0;
	pid_t				 pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	    O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	t0 = now_ms();
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ) != 0) {
		perror(argv[0]);
		exit(1);
	}
	waitpid(pid, status, 0);
	t0 = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return (t0);
}

/* Times one command; prints a line; 1 when the median misses the target. */
static int
time_command(const struct bench *b, int reps)
{
	double	*t;
	int	 i, status, over;

	t = xcalloc((size_t)reps, sizeof *t);
	for (i = 0; i < WARMUP; i++)
		run_once(b->argv, &status);
	for (i = 0; i < reps; i++) {
		t[i] = run_once(b->argv, &status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 2 ||
		    WEXITSTATUS(status) > 3) {
			fprintf(stderr, "bench_histcli: %s failed (status "
			    "%d)\n", b->name, status);
			exit(1);
		}
	}
	qsort(t, (size_t)reps, sizeof *t, cmp_double);
	over = b->target_ms > 0 && t[reps / 2] > b->target_ms;
	printf("%-28s %8.1f %8.1f %8.1f %8.1f", b->name, t[reps / 2],
	    t[reps / 10], t[reps - 1 - reps / 10], t[0]);
	if (b->target_ms > 0)
		printf("  < %3.0f ms %s", b->target_ms, over ? "OVER" : "ok");
	printf("\n");
	free(t);
	return (over);
}

/* The config of the generated jobs: hourly at minute i % 60. */
static void
write_config(const char *path, const char *dir, int jobs)
{
	FILE	*f;
	int	 i;

	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "state_dir = \"%s\";\nlock_dir = \"%s/locks\";\n"
	    "timezone = \"UTC\";\njobs = (\n", dir, dir);
	for (i = 0; i < jobs; i++)
		fprintf(f, "  %s{ name = \"%s\"; schedule = \"%d * * * *\"; "
		    "command = \"/opt/batch/task %d\"; }\n", i > 0 ? "," : "",
		    histgen_job(i), i % 60, i);
	fprintf(f, ");\n");
	fclose(f);
	chmod(path, 0644);
}

/* The newest run of job: what `show` looks up. */
static void
newest_run(const char *db, const char *job, char id[LC_UUID_BUFSZ])
{
	struct lc_history_filter	 f;
	struct lc_history		*h;
	struct lc_run			*runs;
	size_t				 n;
	char				*cause = NULL;

	if ((h = lc_history_open(db, LC_HISTORY_READONLY, NULL,
	    &cause)) == NULL) {
		fprintf(stderr, "bench_histcli: %s\n", cause);
		exit(1);
	}
	lc_history_filter_init(&f);
	f.jobs = &job;
	f.njobs = 1;
	f.limit = 1;
	if (lc_history_list(h, &f, &runs, &n, &cause) != 0 || n != 1) {
		fprintf(stderr, "bench_histcli: no run of %s\n", job);
		exit(1);
	}
	memcpy(id, runs[0].id, LC_UUID_BUFSZ);
	lc_history_runs_free(runs, n);
	lc_history_close(h);
}

static void
generate(const char *db)
{
	struct histgen_opts	 o;
	struct histgen_stats	 s;
	char			*cause = NULL;

	histgen_init(&o);
	fprintf(stderr, "generating %s: %lld runs over %d jobs...\n", db,
	    (long long)o.runs, o.jobs);
	if (histgen_fill(db, &o, &s, &cause) != 0) {
		fprintf(stderr, "bench_histcli: %s\n", cause);
		exit(1);
	}
	printf("generated %lld runs and %lld events in %.1f s\n",
	    (long long)s.runs, (long long)s.events, s.seconds);
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	return (remove(path));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lockcron", required_argument, NULL, 'l' },
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*lockcron = "./lockcron", *tmp = getenv("TMPDIR");
	char		 dir[512], db[600], conf[600], id[LC_UUID_BUFSZ];
	char		 prefix[16];
	struct stat	 sb;
	long long	 v;
	int		 ch, reps = 30, keep = 0, given = 0, over = 0;
	size_t		 i;

	snprintf(dir, sizeof dir, "%s/lockcron-bench-histcli.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	while ((ch = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		if (ch == 'n' && lc_parse_int(optarg, 5, 10000, &v) == 0)
			reps = (int)v;
		else if (ch == 'l')
			lockcron = optarg;
		else if (ch == 'd') {
			snprintf(dir, sizeof dir, "%s", optarg);
			given = 1;
		} else if (ch == 'k')
			keep = 1;
		else {
			fprintf(stderr, "usage: bench_histcli [-n reps] "
			    "[--lockcron path] [--dir dir] [--keep]\n");
			return (2);
		}
	}
	if (!given && mkdtemp(dir) == NULL) {
		perror(dir);
		return (1);
	}
	snprintf(db, sizeof db, "%s/history.db", dir);
	snprintf(conf, sizeof conf, "%s/lockcron.conf", dir);
	if (stat(db, &sb) != 0)
		generate(db);
	write_config(conf, dir, 1000);
	newest_run(db, "job-0500", id);
	snprintf(prefix, sizeof prefix, "%.8s", id);

	{
		const struct bench benches[] = {
			{ "lockcron --version", 0,
			    { lockcron, "--version" } },
			{ "history job-0500 --limit 20", 20,
			    { lockcron, "history", "-c", conf, "job-0500",
			    "--limit", "20" } },
			{ "history ... --format json", 20,
			    { lockcron, "history", "-c", conf, "job-0500",
			    "--limit", "20", "--format", "json" } },
			{ "status (1,000 jobs)", 150,
			    { lockcron, "status", "-c", conf } },
			{ "status --format json", 150,
			    { lockcron, "status", "-c", conf, "--format",
			    "json" } },
			{ "show RUN (8-char prefix)", 20,
			    { lockcron, "show", "-c", conf, prefix } },
			{ "metrics", 200,
			    { lockcron, "metrics", "-c", conf } },
		};

		printf("%d runs each after %d warm-up runs, ms\n", reps,
		    WARMUP);
		printf("%-28s %8s %8s %8s %8s\n", "command", "median", "p10",
		    "p90", "min");
		for (i = 0; i < LC_NELEM(benches); i++)
			over |= time_command(&benches[i], reps);
	}
	if (!keep && !given)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("kept %s\n", dir);
	if (over)
		printf("some medians are over their targets: see "
		    "docs/performance.md about the machine's load\n");
	return (0);
}
