/*
 * Benchmark: one run of /bin/true through the supervisor path as a library
 * call — insert the queued row, fork the supervisor, which marks the row
 * running, takes the lock, forks and execs the job, waits, finishes the row
 * — against a bare fork + exec + wait of /bin/true, interleaved, median of
 * 1,000 each. Two supervised paths: the daemon's (the supervisor hands its
 * record's units to this process, which writes them as lockcrond does:
 * lc_record_recv, lc_record_commit), and the supervisor writing its record
 * itself (lockcron run, or a supervisor whose daemon is gone). Beside the
 * wall-clock times, the CPU time (user + system) of each run, ours and our
 * children's, which waiting on a loaded machine does not inflate.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/config.h"
#include "lockcron/history.h"
#include "lockcron/record.h"
#include "lockcron/supervisor.h"

#define ROUNDS	1000
#define WARMUP	20

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

/* CPU time (us) used so far by this process and its waited-for children. */
static double
cpu_us(void)
{
	struct rusage	 self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return ((self.ru_utime.tv_sec + self.ru_stime.tv_sec +
	    kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e6 +
	    self.ru_utime.tv_usec + self.ru_stime.tv_usec +
	    kids.ru_utime.tv_usec + kids.ru_stime.tv_usec);
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
bare(void)
{
	double	 t0 = now_us();
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return (now_us() - t0);
}

/* The daemon's lc_history_hold() descriptor. */
static int	 hold = -1;

/*
 * The daemon's turns for a supervisor's units: write each, answer it. As
 * lockcrond, the history is opened once the supervisor is forked (while
 * it starts) and kept while the run is active.
 */
static void
serve(int chan, const char *db, const char *id, pid_t pid)
{
	struct lc_history	*h;
	struct lc_record_in	 in;
	struct lc_buf		 pkt = { 0 };
	struct pollfd		 pfd = { chan, POLLIN, 0 };

	if ((h = lc_history_open(db, 0, NULL, NULL)) == NULL)
		abort();
	while (poll(&pfd, 1, -1) == 1 && lc_record_recv(chan, &pkt) == 1) {
		memset(&in, 0, sizeof in);
		in.id = id;
		in.supervisor = pid;
		in.chan = chan;
		in.pkt = &pkt;
		if (lc_record_commit(h, &in, 1, NULL) != 1)
			abort();
	}
	lc_history_close(h);
	lc_buf_free(&pkt);
}

/*
 * What the daemon does for one fire, and the supervisor it forks; through
 * the daemon (the supervisor's units written by this process) or not.
 */
static double
supervised(const struct lc_config *cfg, const struct lc_job *job,
    const char *db, int via_daemon)
{
	struct lc_history		*h;
	struct lc_run			 row;
	char				 id[LC_UUID_BUFSZ];
	double				 t0 = now_us();
	pid_t				 pid;
	int				 sv[2] = { -1, -1 };

	if ((h = lc_history_open(db, 0, NULL, NULL)) == NULL)
		abort();
	hold = lc_history_hold(db, hold);
	lc_history_run_init(&row);
	row.job = job->name;
	row.status = LC_RUN_QUEUED;
	row.scheduled_at = (int64_t)time(NULL) * 1000;
	if (lc_history_run_insert(h, &row, id, NULL) != 0)
		abort();
	lc_history_close(h);
	if (via_daemon && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sv) != 0)
		abort();
	lc_heap_settle();		/* as lockcrond before its forks */
	if ((pid = fork()) == 0) {
		struct lc_supervise_opts	 o;
		struct lc_supervise_result	 res;

		memset(&o, 0, sizeof o);
		o.cfg = cfg;
		o.job = job;
		o.run_id = id;
		o.known = 1;		/* as the daemon passes them */
		o.attempt = 1;
		o.scheduled_at = row.scheduled_at;
		if (via_daemon) {
			close(sv[0]);
			o.chan = sv[1];
		}
		_exit(lc_supervise(&o, &res, NULL) == 0 &&
		    res.status == LC_RUN_SUCCEEDED ? 0 : 1);
	}
	if (via_daemon) {
		close(sv[1]);
		serve(sv[0], db, id, pid);
		close(sv[0]);
	}
	waitpid(pid, NULL, 0);
	return (now_us() - t0);
}

int
main(void)
{
	static double		 a[ROUNDS], b[ROUNDS], ca[ROUNDS], cb[ROUNDS];
	static double		 d[ROUNDS], cd[ROUNDS];
	double			 c0;
	struct lc_config_opts	 opts = { .as_root = geteuid() == 0 };
	struct lc_config_diag	 diag;
	struct lc_config	*cfg;
	char			 dir[] = "/tmp/lockcron-bench-sup.XXXXXX";
	char			 path[256], db[256], cmd[300];
	FILE			*f;
	int			 i;

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/lockcron.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return (1);
	fprintf(f, "state_dir = \"%s/state\";\nruntime_dir = \"%s/run\";\n"
	    "timezone = \"UTC\";\nlog = \"stderr\";\njobs = ( { name = "
	    "\"true\"; schedule = \"@daily\"; command = [\"/bin/true\"]; "
	    "output = { keep_bytes = 0; }; } );\n", dir, dir);
	fclose(f);
	memset(&diag, 0, sizeof diag);
	if ((cfg = lc_config_load(path, &opts, &diag)) == NULL) {
		fprintf(stderr, "%s\n", diag.nerrors ? diag.errors[0] : "?");
		return (1);
	}
	snprintf(db, sizeof db, "%s/state/history.db", dir);
	for (i = 0; i < WARMUP; i++) {
		bare();
		supervised(cfg, &cfg->jobs[0], db, 1);
		supervised(cfg, &cfg->jobs[0], db, 0);
	}
	for (i = 0; i < ROUNDS; i++) {
		c0 = cpu_us();
		a[i] = bare();
		ca[i] = cpu_us() - c0;
		c0 = cpu_us();
		b[i] = supervised(cfg, &cfg->jobs[0], db, 1);
		cb[i] = cpu_us() - c0;
		c0 = cpu_us();
		d[i] = supervised(cfg, &cfg->jobs[0], db, 0);
		cd[i] = cpu_us() - c0;
	}
	qsort(a, ROUNDS, sizeof *a, cmp);
	qsort(b, ROUNDS, sizeof *b, cmp);
	qsort(ca, ROUNDS, sizeof *ca, cmp);
	qsort(cb, ROUNDS, sizeof *cb, cmp);
	qsort(d, ROUNDS, sizeof *d, cmp);
	qsort(cd, ROUNDS, sizeof *cd, cmp);
	printf("bare fork+exec+wait of /bin/true:   median %7.0f us  "
	    "(p10 %.0f, p90 %.0f)\n", a[ROUNDS / 2], a[ROUNDS / 10],
	    a[ROUNDS * 9 / 10]);
	printf("supervised, the daemon's path:      median %7.0f us  "
	    "(p10 %.0f, p90 %.0f)  ratio %.2fx\n", b[ROUNDS / 2],
	    b[ROUNDS / 10], b[ROUNDS * 9 / 10], b[ROUNDS / 2] / a[ROUNDS / 2]);
	printf("supervised, writing its own record: median %7.0f us  "
	    "(p10 %.0f, p90 %.0f)  ratio %.2fx\n", d[ROUNDS / 2],
	    d[ROUNDS / 10], d[ROUNDS * 9 / 10], d[ROUNDS / 2] / a[ROUNDS / 2]);
	printf("(medians of %d each, interleaved)\n", ROUNDS);
	printf("CPU per run (user+system, with children): bare median %.0f us,"
	    " the daemon's path %.0f us (%.2fx), its own record %.0f us "
	    "(%.2fx)\n", ca[ROUNDS / 2], cb[ROUNDS / 2],
	    cb[ROUNDS / 2] / ca[ROUNDS / 2], cd[ROUNDS / 2],
	    cd[ROUNDS / 2] / ca[ROUNDS / 2]);
	lc_config_free(cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : 1);
}
