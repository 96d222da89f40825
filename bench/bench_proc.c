/*
 * Benchmark: the cost of launching a job. Median wall time of 1,000 runs
 * of /bin/true through the claim step and lc_proc_run() (lock file opened
 * and flock'ed, clean environment, user resolved, pipes, own process group,
 * signalfd loop, subreaper sweep, lock released) beside a bare
 * fork + execve + waitpid of /bin/true, interleaved in the same run so both
 * see the same machine.
 */
#include "config.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/lock.h"
#include "lockcron/proc.h"
#include "lockcron/util.h"

#define RUNS	1000
#define WARMUP	50

static char *const true_argv[] = { "/bin/true", NULL };
static char *const empty_env[] = { NULL };

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* fork + execve + waitpid, nothing else. */
static double
bare_run(void)
{
	double	 t0;
	pid_t	 pid;
	int	 status;

	t0 = now_us();
	if ((pid = fork()) == 0) {
		execve(true_argv[0], true_argv, empty_env);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_proc: bare run failed\n");
		exit(1);
	}
	return (now_us() - t0);
}

/* The claim step and the job, as the supervisor does them. */
static double
lc_run(const char *lock_path, const char *dir)
{
	struct lc_proc_spec	 spec;
	struct lc_proc_result	 res;
	struct lc_lock		*l;
	char			*cause = NULL;
	double			 t0;
	int			 fd;

	t0 = now_us();
	l = lc_lock_new(lock_path, getuid());
	if (lc_lock_acquire(l, 0, &cause) != LC_LOCK_ACQUIRED) {
		fprintf(stderr, "bench_proc: lock: %s\n", cause);
		exit(1);
	}
	fd = lc_lock_fd(l);
	memset(&spec, 0, sizeof spec);
	spec.argv = true_argv;
	spec.workdir = dir;
	spec.keep_fds = &fd;
	spec.nkeep_fds = 1;
	spec.kill_grace_ms = 10000;
	if (lc_proc_run(&spec, &res) != 0 || res.exit_code != 0) {
		fprintf(stderr, "bench_proc: run failed: %s\n",
		    res.error != NULL ? res.error : "exit status");
		exit(1);
	}
	lc_proc_result_clear(&res);
	lc_lock_free(l);
	return (now_us() - t0);
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	printf("%-34s median %7.1f us   p10 %7.1f   p90 %7.1f   min %7.1f\n",
	    what, v[n / 2], v[n / 10], v[n * 9 / 10], v[0]);
}

int
main(void)
{
	static double	 bare[RUNS], lc[RUNS];
	char		 dir[] = "/tmp/lockcron-bench.XXXXXX";
	char		*lock_path, *cmd;
	double		 ratio;
	int		 i;

	if (mkdtemp(dir) == NULL || lc_proc_set_subreaper(NULL) != 0) {
		perror("bench_proc: setup");
		return (1);
	}
	xasprintf(&lock_path, "%s/bench.lock", dir);
	for (i = 0; i < WARMUP; i++) {
		bare_run();
		lc_run(lock_path, dir);
	}
	/* Interleaved, so drift and noise hit both alike. */
	for (i = 0; i < RUNS; i++) {
		bare[i] = bare_run();
		lc[i] = lc_run(lock_path, dir);
	}
	report("bare fork+execve+waitpid", bare, RUNS);
	report("lock + lc_proc_run (argv)", lc, RUNS);
	ratio = lc[RUNS / 2] / bare[RUNS / 2];
	printf("ratio of medians: %.2fx (%d runs each, as uid %lu)\n", ratio,
	    RUNS, (unsigned long)getuid());
	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_proc: could not remove %s\n", dir);
	free(cmd);
	free(lock_path);
	return (0);
}
