/*
 * lockcrond's event loop. Signals arrive as signalfd reads, the clock as a
 * timerfd armed at the next due instant (absolute CLOCK_REALTIME with
 * TFD_TIMER_CANCEL_ON_SET, so a clock step wakes the loop at once), control
 * requests on a socket; nothing polls on a period, so an idle daemon makes
 * no wake-ups at all.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <limits.h>
#include <malloc.h>
#endif
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon-int.h"
#include "lockcron/ctl.h"
#include "lockcron/curl-load.h"
#include "lockcron/keystore.h"
#include "lockcron/lock.h"
#include "lockcron/log.h"
#include "lockcron/util.h"

/* Far enough to mean "nothing due", near enough to keep the timer armed
 * (a disarmed timerfd would not report clock steps). */
#define IDLE_TIMER_MS	(366LL * 86400 * 1000)
#define PRUNE_EVERY_MS	(86400LL * 1000)

/*
 * sd_notify(3) for a Type=notify unit: one datagram to the AF_UNIX socket
 * named by $NOTIFY_SOCKET ("@..." in the abstract namespace), the protocol
 * systemd documents for reimplementation. Linking libsystemd for it cost
 * the daemon six shared libraries (libgcrypt, liblzma, liblz4, libzstd,
 * libcap, libgpg-error) and 0.9 MB of resident memory.
 */
static void
notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	struct sockaddr_un	 sa;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof sa.sun_path)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) +
	    len) == -1)
		log_warn("sd_notify %s: %s", path, strerror(errno));
	close(fd);
#else
	(void)state;
#endif
}

/*
 * The daemon's history connection: opened when needed, kept while runs are
 * active (their supervisors' units come several a run), closed when none
 * is (daemon_history_done) and before every fork (daemon_history_close):
 * SQLite's per-process state must never be inherited by a child that may
 * open the history itself.
 */
struct lc_history *
daemon_history(struct lc_daemon *d)
{
	char	*cause = NULL;

	if (d->hist != NULL)
		return (d->hist);
	d->hist = lc_history_open(d->db_path, 0, d->cfg->history_group,
	    &cause);
	if (d->hist == NULL) {
		log_error("history %s: %s", d->db_path, cause);
		free(cause);
	} else
		d->shmfd = lc_history_hold(d->db_path, d->shmfd);
	return (d->hist);
}

/* Done with the history for now: closed unless runs are active. */
void
daemon_history_done(struct lc_daemon *d)
{
	if (d->nruns == 0)
		daemon_history_close(d);
}

void
daemon_history_close(struct lc_daemon *d)
{
	lc_history_close(d->hist);
	d->hist = NULL;
}

/* The descriptor limit lockcrond was started with (raise_nofile). */
static struct rlimit	 nofile_orig;
static int		 nofile_raised;

/*
 * A run holds one descriptor in the daemon (its record channel) while it
 * lives: 1,000 runs at once need more than the usual soft limit of 1,024.
 * The daemon raises it to the hard limit, as systemd advises for programs
 * that do not use select(); its children get the original back, so that
 * jobs see the limit they would have seen under cron. Without a channel
 * (no descriptor left) a supervisor writes its record itself.
 */
static void
raise_nofile(struct lc_daemon *d)
{
	struct rlimit	 rl;

	d->fd_limit = 1024;
	if (getrlimit(RLIMIT_NOFILE, &nofile_orig) != 0)
		return;
	rl = nofile_orig;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			nofile_raised = 1;
		else
			rl = nofile_orig;
	}
	d->fd_limit = rl.rlim_cur > INT_MAX ? INT_MAX : (size_t)rl.rlim_cur;
}

/*
 * A forked child keeps none of the daemon's descriptors but stdio, the log
 * and keep (-1: none), and gets back the descriptor limit the daemon was
 * started with: not the timer, the signals, the control socket and
 * its connections, the state directory's lock, the history, nor another
 * run's pidfd or record channel (a copy of the daemon's end of a channel
 * in another process would hide the daemon's death from its run). One
 * close_range() per gap, not one close() per descriptor: a burst of 1,000
 * supervisors would otherwise make half a million calls.
 */
void
daemon_close_fds_in_child(int keep)
{
	int	 k[2], lo = 3, i, t;

	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &nofile_orig);
	k[0] = lc_log_child_fd();
	k[1] = keep;
	if (k[0] > k[1]) {
		t = k[0];
		k[0] = k[1];
		k[1] = t;
	}
	for (i = 0; i < 2; i++) {
		if (k[i] < lo)
			continue;
		if (k[i] > lo)
			close_range((unsigned)lo, (unsigned)k[i] - 1, 0);
		lo = k[i] + 1;
	}
	close_range((unsigned)lo, ~0U, 0);
}

/* Arms the timer at the scheduler's next wake-up. */
static void
arm_timer(struct lc_daemon *d)
{
	struct itimerspec	 its;
	int64_t			 due = lc_sched_wakeup(d->sched);
	int64_t			 now = lc_now_ms();

	if (due < d->hist_retry_at)
		due = d->hist_retry_at;
	if (due == INT64_MAX)
		due = now + IDLE_TIMER_MS;
	if (due <= 0)
		due = 1;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = due / 1000;
	its.it_value.tv_nsec = (due % 1000) * 1000000;
	if (timerfd_settime(d->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	    &its, NULL) != 0)
		log_error("timerfd_settime: %s", strerror(errno));
}

/*
 * Loads libcurl when a job will need it (secrets, notifications): the
 * supervisors forked afterwards inherit it loaded, instead of paying 4 to 8
 * ms each to load it. A config without such jobs never loads it, which
 * keeps the daemon 5 to 6 MB smaller. It is loaded, not initialised: no
 * TLS state lives in the daemon.
 */
static void
preload_http(const struct lc_config *cfg)
{
	char	*cause = NULL;
	size_t	 i;

	if (lc_curl_loaded())
		return;
	for (i = 0; i < cfg->njobs; i++) {
		if (cfg->jobs[i].secrets.keystore != NULL ||
		    cfg->jobs[i].notify.webhook != NULL ||
		    cfg->jobs[i].notify.ping != NULL)
			break;
	}
	if (i < cfg->njobs && lc_curl_load(&cause) != 0) {
		log_warn("%s; each run that needs it will try again", cause);
		free(cause);
	}
}

/*
 * Gives back the memory a config load used for a while (libconfig's parse
 * tree, and after a reload the old config): glibc keeps freed heap pages
 * otherwise, and a daemon of 100,000 jobs would keep its peak size.
 */
static void
trim_memory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * Runs fn(arg) on a thread of its own, joined at once: the config and the
 * scheduler are built this way. glibc gives the thread its own malloc
 * arena (and the next such thread the same one), so they and the
 * leftovers of the config's parse (libconfig's tree, freed in pieces
 * between the jobs' data) live apart from the heap the daemon's loop and
 * its supervisors allocate from. A supervisor is a fork() of the daemon:
 * every heap page its mallocs write is copied, and searching free chunks
 * spread through a fragmented 100,000-job heap cost each supervisor about
 * 500 more page copies than with a small config. The config's pages are
 * only ever read by supervisors. If no thread can be made, fn runs here.
 */
static void
apart(void *(*fn)(void *), void *arg)
{
	pthread_t	 t;

	if (pthread_create(&t, NULL, fn, arg) != 0) {
		fn(arg);
		return;
	}
	pthread_join(t, NULL);
}

struct load {
	struct lc_daemon	*d;
	struct lc_config_diag	*diag;
	struct lc_config	*cfg;		/* loaded; or for build_sched */
	const struct lc_config	*oldcfg;
	struct lc_history	*h;
	struct lc_sched		*sched;		/* built */
};

static void *
load_main(void *arg)
{
	struct load	*l = arg;

	l->cfg = lc_config_load(l->d->opts->config_path, &l->d->copts,
	    l->diag);
	return (NULL);
}

static struct lc_config *
load_config(struct lc_daemon *d, struct lc_config_diag *diag)
{
	struct load	 l = { .d = d, .diag = diag };

	apart(load_main, &l);
	return (l.cfg);
}

static struct lc_sched	*build_sched(struct lc_daemon *, struct lc_config *,
			     const struct lc_config *, struct lc_history *);

static void *
sched_main(void *arg)
{
	struct load	*l = arg;

	l->sched = build_sched(l->d, l->cfg, l->oldcfg, l->h);
	return (NULL);
}

/* build_sched(), apart() as the config. */
static struct lc_sched *
build_sched_apart(struct lc_daemon *d, struct lc_config *cfg,
    const struct lc_config *oldcfg, struct lc_history *h)
{
	struct load	 l = { .d = d, .cfg = cfg, .oldcfg = oldcfg, .h = h };

	apart(sched_main, &l);
	return (l.sched);
}

/* The stored state of job in states (ordered by job, as listed). */
static const struct lc_job_state *
state_find(const struct lc_job_state *states, size_t n, const char *job)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(states[mid].job, job)) == 0)
			return (&states[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * A job's stored state at start-up, from every state read in one query
 * (100,000 queries of one row each took half a second); one query for
 * this job if that list could not be read.
 */
static void
state_of(struct lc_history *h, const struct lc_job_state *states,
    size_t n, int listed, const char *job, struct lc_job_state *st)
{
	const struct lc_job_state	*found;

	lc_history_state_init(st);
	if (!listed) {
		if (h != NULL)
			lc_history_state_get(h, job, st, NULL);
		return;
	}
	if ((found = state_find(states, n, job)) == NULL)
		return;
	*st = *found;
	/* Its strings stay the list's: copies, for state_clear. */
	st->job = found->job != NULL ? xstrdup(found->job) : NULL;
	st->retry_fire_id = found->retry_fire_id != NULL ?
	    xstrdup(found->retry_fire_id) : NULL;
	st->reboot_boot_id = found->reboot_boot_id != NULL ?
	    xstrdup(found->reboot_boot_id) : NULL;
}

/*
 * A reload: the last instant a job of the new config has handled.
 * Unchanged jobs go on where they were. New timing starts from now (the
 * current second still due, as lc_sched_add does) but never fires again
 * an instant the job has handled already.
 */
static int64_t
reload_last(struct lc_daemon *d, const struct lc_config *oldcfg,
    const struct lc_job *job, int64_t now)
{
	const struct lc_job	*old = lc_config_find_job(oldcfg, job->name);
	int64_t			 prev = lc_sched_last(d->sched, job->name);
	int64_t			 last;

	if (old != NULL && lc_sched_same_timing(old, job))
		return (prev);
	last = now / 1000 - 1 - lc_sched_jitter(job);
	return (prev != LC_SCHED_NEVER && prev > last ? prev : last);
}

/* Every job's stored state, read at start-up (see state_of). */
struct states {
	struct lc_job_state	*v;
	size_t			 n;
	int			 listed;
};

/* Start-up: a job goes on from its stored state (last fire, pause,
 * pending retry). */
static void
startup_job(struct lc_daemon *d, struct lc_sched *s, const struct lc_job *job,
    struct lc_history *h, const struct states *sv, int64_t now)
{
	struct lc_job_state	 st;
	int64_t			 last = LC_SCHED_NEVER;

	state_of(h, sv->v, sv->n, sv->listed, job->name, &st);
	if (st.last_fire_at != LC_HISTORY_NONE)
		last = st.last_fire_at / 1000;
	lc_sched_add(s, job, last, now);
	if (st.paused && !runs_is_paused(d, job->name)) {
		d->paused = xreallocarray(d->paused, d->npaused + 1,
		    sizeof *d->paused);
		d->paused[d->npaused++] = xstrdup(job->name);
	}
	if (st.retry_attempt > 0)
		lc_sched_set_retry(s, job->name, st.retry_attempt,
		    st.retry_due_at, st.retry_fire_id,
		    st.retry_scheduled_at / 1000);
	lc_history_state_clear(&st);
}

/* Builds a scheduler for cfg, carrying over what old knew. */
static struct lc_sched *
build_sched(struct lc_daemon *d, struct lc_config *cfg,
    const struct lc_config *oldcfg, struct lc_history *h)
{
	struct lc_sched		*s = lc_sched_new();
	const struct lc_job	*job;
	struct states		 sv = { NULL, 0, 0 };
	int64_t			 now = lc_now_ms();
	size_t			 i;

	if (oldcfg == NULL && h != NULL)
		sv.listed = lc_history_state_list(h, &sv.v, &sv.n, NULL) == 0;
	for (i = 0; i < cfg->njobs; i++) {
		job = &cfg->jobs[i];
		if (oldcfg == NULL) {
			startup_job(d, s, job, h, &sv, now);
			continue;
		}
		lc_sched_add(s, job, reload_last(d, oldcfg, job, now), now);
		/* A pending retry belongs to a past fire: it stays, as
		 * job_state keeps it. */
		lc_sched_copy_retry(s, d->sched, job->name);
	}
	lc_history_states_free(sv.v, sv.n);
	/* Pruning: a minute after start, then daily. A reload keeps the
	 * day's turn (re-arming it would put off pruning for ever on a
	 * host that reloads more often than daily). */
	if (oldcfg == NULL)
		lc_sched_set_prune(s, now + 60000);
	else if (lc_sched_prune_due(d->sched) != INT64_MAX)
		lc_sched_set_prune(s, lc_sched_prune_due(d->sched));
	else
		lc_sched_set_prune(s, now + PRUNE_EVERY_MS);
	return (s);
}

#define PREPARE_LOCKS_SAID	10

/*
 * Creates the lock files of the jobs just loaded that have none yet, in a
 * child process of low priority, so that a job's first run finds its file
 * as every later run does: 1,000 first runs due in the same second would
 * otherwise create 1,000 files in the busiest second there is. The child
 * is reaped with the supervisors (runs_reap). A file it cannot create is
 * said in the log now (PREPARE_LOCKS_SAID lines, then a count), and again
 * by the run.
 */
static void
prepare_locks(const struct lc_config *cfg)
{
	char	*cause = NULL;
	size_t	 i, failed = 0;
	pid_t	 pid;

	if ((pid = fork()) == -1)
		log_warn("fork: %s; lock files are created by first runs",
		    strerror(errno));
	if (pid != 0)
		return;
	daemon_close_fds_in_child(-1);
	(void)setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + 10);
	/* As a run would: the configured lock directory is ours to create. */
	if (lc_mkdir_p(cfg->lock_dir, 0755, &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
		cause = NULL;
	}
	for (i = 0; i < cfg->njobs; i++) {
		if (!cfg->jobs[i].enabled ||
		    lc_lock_prepare(cfg->jobs[i].lock_path, &cause) == 0)
			continue;
		/* A directory refused to all of them: not a line each. */
		if (failed++ < PREPARE_LOCKS_SAID)
			log_warn("job=%s: %s", cfg->jobs[i].name, cause);
		free(cause);
		cause = NULL;
	}
	if (failed > PREPARE_LOCKS_SAID)
		log_warn("%zu more lock files could not be made; their runs "
		    "will say why", failed - PREPARE_LOCKS_SAID);
	_exit(0);
}

/*
 * A disabled job forgets the last fire it handled, so that enabling it
 * again, by a reload or across a restart, starts from that moment: the
 * time it spent disabled is not missed.
 */
static void
forget_disabled(const struct lc_config *cfg, struct lc_history *h)
{
	struct lc_job_state	 st;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < cfg->njobs; i++) {
		if (cfg->jobs[i].enabled)
			continue;
		lc_history_state_init(&st);
		if (lc_history_state_get(h, cfg->jobs[i].name, &st,
		    &cause) == 0 && st.last_fire_at != LC_HISTORY_NONE) {
			st.last_fire_at = LC_HISTORY_NONE;
			lc_history_state_put(h, &st, &cause);
		}
		if (cause != NULL) {
			log_error("job=%s: job_state: %s", cfg->jobs[i].name,
			    cause);
			free(cause);
			cause = NULL;
		}
		lc_history_state_clear(&st);
	}
}

static void
log_diag(const struct lc_config_diag *diag, json_t *errors)
{
	size_t	 i;

	for (i = 0; i < diag->nwarnings; i++)
		log_warn("%s", diag->warnings[i]);
	for (i = 0; i < diag->nerrors; i++) {
		log_error("%s", diag->errors[i]);
		if (errors != NULL)
			json_array_append_new(errors,
			    json_string(diag->errors[i]));
	}
}

/* Switches the log to a new target; on failure the old one stays. */
static void
open_log(const char *target)
{
	char	*cause = NULL;

	if (lc_log_open("lockcrond", target, &cause) != 0) {
		log_error("%s; logging goes on as before", cause);
		free(cause);
	}
}

/* SIGHUP: a log file is opened again (logrotate moved it), whatever
 * named it (--log or the config) and whatever the reload then finds. */
static void
reopen_log(void)
{
	char	*cause = NULL;

	if (lc_log_reopen(&cause) != 0) {
		log_error("%s", cause);
		free(cause);
	}
}

/* Re-reads the config; on any error keeps the old one. 0 or -1. */
int
daemon_reload(struct lc_daemon *d, json_t *errors)
{
	struct lc_config_diag	 diag;
	struct lc_config	*cfg;
	struct lc_sched		*s;
	struct lc_history	*h;

	notify("RELOADING=1");
	memset(&diag, 0, sizeof diag);
	cfg = load_config(d, &diag);
	log_diag(&diag, errors);
	lc_config_diag_clear(&diag);
	if (cfg == NULL) {
		log_error("reload refused: the configuration has errors; "
		    "keeping the old one");
		notify("READY=1");
		return (-1);
	}
	preload_http(cfg);
	s = build_sched_apart(d, cfg, d->cfg, NULL);
	/* A new `log` target applies at once (unless --log overrides it). */
	if (d->opts->log_target == NULL && strcmp(cfg->log, d->cfg->log) != 0)
		open_log(cfg->log);
	lc_sched_free(d->sched);
	lc_config_free(d->cfg);
	d->sched = s;
	d->cfg = cfg;
	trim_memory();
	lc_log_set_level(cfg->log_level);
	if ((h = daemon_history(d)) != NULL) {
		forget_disabled(cfg, h);
		daemon_history_done(d);
	}
	prepare_locks(cfg);
	log_notice("reloaded %s: %zu jobs", d->opts->config_path, cfg->njobs);
	notify("READY=1");
	return (0);
}

/* Takes state_dir/lockcrond.lock: one daemon per state directory. */
static int
lock_state_dir(struct lc_daemon *d, char **cause)
{
	char	*path, buf[32];
	int	 fd;

	if (lc_mkdir_p(d->cfg->state_dir, 0755, cause) != 0 ||
	    lc_mkdir_p(d->cfg->lock_dir, 0755, cause) != 0)
		return (-1);
	xasprintf(&path, "%s/lockcrond.lock", d->cfg->state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		lc_set_cause(cause, "%s: %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t	 n = pread(fd, buf, sizeof buf - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		lc_set_cause(cause, "another lockcrond (pid %s) is running "
		    "with state_dir %s", buf[0] ? buf : "?", d->cfg->state_dir);
		close(fd);
		free(path);
		return (-1);
	}
	if (ftruncate(fd, 0) == 0) {
		snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
		if (pwrite(fd, buf, strlen(buf), 0) < 0)
			log_warn("%s: %s", path, strerror(errno));
	}
	free(path);
	d->lockfd = fd;
	return (0);
}

static int
write_pidfile(const char *path, char **cause)
{
	FILE	*f;

	if ((f = fopen(path, "we")) == NULL) {
		lc_set_cause(cause, "pidfile %s: %s", path, strerror(errno));
		return (-1);
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return (0);
}

/* Blocks the signals the loop reads from its signalfd. */
static int
setup_signals(struct lc_daemon *d, char **cause)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		lc_set_cause(cause, "signalfd: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

/* Everything before the loop: config, log, lock, history, sockets. */
static int
setup(struct lc_daemon *d, char **cause)
{
	struct lc_config_diag	 diag;
	struct lc_history	*h;
	char			**unfinished;
	size_t			 nlost = 0, nunfinished;

	memset(&diag, 0, sizeof diag);
	d->cfg = load_config(d, &diag);
	log_diag(&diag, NULL);
	lc_config_diag_clear(&diag);
	if (d->cfg == NULL) {
		lc_set_cause(cause, "%s: invalid configuration",
		    d->opts->config_path);
		return (-1);
	}
	if (d->opts->log_target == NULL &&
	    lc_log_open("lockcrond", d->cfg->log, cause) != 0)
		return (-1);
	lc_log_set_level(d->cfg->log_level);
	preload_http(d->cfg);
	if (d->opts->boot_id_file != NULL)
		lc_boot_id_set_path(d->opts->boot_id_file);
	if (lc_boot_id(d->boot_id) != 0) {
		lc_set_cause(cause, "cannot read the boot id: %s",
		    strerror(errno));
		return (-1);
	}
	if (lock_state_dir(d, cause) != 0 || setup_signals(d, cause) != 0)
		return (-1);
	raise_nofile(d);
	/* Notifiers that supervisors detach come back to us to be reaped
	 * (runs_reap), not to an init that may never reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		log_warn("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	if (d->opts->pidfile != NULL) {
		if (write_pidfile(d->opts->pidfile, cause) != 0)
			return (-1);
		d->pidfile_ours = 1;
	}
	d->db_path = lc_history_default_path(d->cfg->state_dir);
	if ((h = lc_history_open(d->db_path, 0, d->cfg->history_group,
	    cause)) == NULL)
		return (-1);
	/* From now on no open rebuilds the WAL index. */
	d->shmfd = lc_history_hold(d->db_path, -1);
	unfinished = runs_unfinished(h, &nunfinished);
	if (lc_history_reconcile(h, LC_RECONCILE_STARTING, &nlost,
	    cause) != 0) {
		lc_history_close(h);
		while (nunfinished > 0)
			free(unfinished[--nunfinished]);
		free(unfinished);
		return (-1);
	}
	if (nlost > 0)
		log_warn("%zu runs of an earlier daemon were lost", nlost);
	runs_adopt(d, h);
	secrets_clean(d, h);
	d->sched = build_sched_apart(d, d->cfg, NULL, h);
	forget_disabled(d->cfg, h);
	runs_reboot(d, h);
	lc_history_close(h);
	trim_memory();
	runs_notify_lost(d, unfinished, nunfinished);

	xasprintf(&d->sock_path, "%s/%s", d->cfg->runtime_dir, LC_CTL_SOCKET);
	if (lc_mkdir_p(d->cfg->runtime_dir, 0755, cause) != 0)
		return (-1);
	if ((d->lfd = lc_ctl_listen(d->sock_path, cause)) == -1)
		return (-1);
	d->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->tfd == -1) {
		lc_set_cause(cause, "timerfd_create: %s", strerror(errno));
		return (-1);
	}
	prepare_locks(d->cfg);
	return (0);
}

static void
handle_signals(struct lc_daemon *d)
{
	struct signalfd_siginfo	 si;

	while (read(d->sfd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			runs_reap(d);
			break;
		case SIGHUP:
			reopen_log();
			log_notice("SIGHUP: reloading %s",
			    d->opts->config_path);
			daemon_reload(d, NULL);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("%s: stopping; running jobs carry on",
			    strsignal((int)si.ssi_signo));
			d->quit = 1;
			break;
		}
	}
}

/* The timer fired, or the clock was set (ECANCELED): run what is due. */
static void
handle_timer(struct lc_daemon *d)
{
	uint64_t	 ticks;

	if (read(d->tfd, &ticks, sizeof ticks) == -1 && errno == ECANCELED)
		log_notice("the system clock was set; rescheduling");
	runs_wake(d, lc_now_ms());
}

/* What a polled descriptor is, to dispatch it. */
enum slot_kind { SLOT_TIMER, SLOT_SIGNAL, SLOT_LISTEN, SLOT_CONN, SLOT_PIDFD,
    SLOT_CHAN };

struct slot {
	enum slot_kind	 kind;
	size_t		 conn;		/* SLOT_CONN: its index */
	struct drun	*run;		/* SLOT_PIDFD, SLOT_CHAN */
};

/* Adds a descriptor to poll; -1 is left out. */
static void
slot_add(struct pollfd *pfd, struct slot *sl, size_t *n, int fd,
    enum slot_kind kind, size_t conn, struct drun *run)
{
	if (fd == -1)
		return;
	pfd[*n].fd = fd;
	pfd[*n].events = POLLIN;
	pfd[*n].revents = 0;
	sl[*n].kind = kind;
	sl[*n].conn = conn;
	sl[*n].run = run;
	(*n)++;
}

/* True when a slot of that kind is ready. */
static int
ready(const struct pollfd *pfd, const struct slot *sl, size_t n,
    enum slot_kind kind)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (sl[i].kind == kind && pfd[i].revents)
			return (1);
	return (0);
}

/*
 * A failed poll() is logged once a minute at most, and the loop pauses a
 * little before the next: a persistent failure must neither spin nor
 * flood the log.
 */
static void
poll_failed(void)
{
	static int64_t		 last_ms = -60000;
	struct timespec		 ts = { 0, 100 * 1000000L };
	int			 e = errno;

	if (lc_mono_ms() - last_ms >= 60000) {
		log_error("poll: %s", strerror(e));
		last_ms = lc_mono_ms();
	}
	nanosleep(&ts, NULL);
}

/*
 * Polls every descriptor once and dispatches what is ready. The array
 * holds only open descriptors (poll() refuses more entries than the
 * descriptor limit). The units of record the supervisors sent come first,
 * all written in one transaction, so that a supervisor reaped below has
 * its end written.
 */
static void
loop_once(struct lc_daemon *d)
{
	struct pollfd	*pfd;
	struct slot	*sl;
	size_t		 max = 3 + d->nconns + 2 * d->nruns, n = 0, i, r;
	int64_t		 wait;

	pfd = xcalloc(max, sizeof *pfd);
	sl = xcalloc(max, sizeof *sl);
	slot_add(pfd, sl, &n, d->tfd, SLOT_TIMER, 0, NULL);
	slot_add(pfd, sl, &n, d->sfd, SLOT_SIGNAL, 0, NULL);
	if ((wait = d->accept_again_ms - lc_mono_ms()) <= 0)
		slot_add(pfd, sl, &n, d->lfd, SLOT_LISTEN, 0, NULL);
	else if (wait > 1000)
		wait = 1000;
	for (i = 0; i < d->nconns; i++)
		slot_add(pfd, sl, &n, lc_ctl_conn_fd(d->conns[i]), SLOT_CONN,
		    i, NULL);
	for (i = 0; i < d->nruns; i++) {
		slot_add(pfd, sl, &n, d->runs[i]->pidfd, SLOT_PIDFD, 0,
		    d->runs[i]);
		slot_add(pfd, sl, &n, d->runs[i]->chan, SLOT_CHAN, 0,
		    d->runs[i]);
	}
	if (poll(pfd, (nfds_t)n, wait > 0 ? (int)wait : -1) < 0) {
		if (errno != EINTR)
			poll_failed();
		goto out;
	}
	for (i = 0; i < n; i++)
		if (sl[i].kind == SLOT_CHAN && pfd[i].revents)
			runs_chan_ready(d, sl[i].run);
	runs_flush(d);
	if (ready(pfd, sl, n, SLOT_SIGNAL))
		handle_signals(d);
	if (ready(pfd, sl, n, SLOT_TIMER) && !d->quit)
		handle_timer(d);
	/* Connections and runs may change below: walk the connections from
	 * the end and find runs by descriptor. */
	for (i = n; i > 0; i--)
		if (sl[i - 1].kind == SLOT_CONN && pfd[i - 1].revents &&
		    sl[i - 1].conn < d->nconns)
			ctl_ready(d, sl[i - 1].conn);
	for (i = 0; i < n; i++) {
		if (sl[i].kind != SLOT_PIDFD || !pfd[i].revents)
			continue;
		for (r = 0; r < d->nruns; r++)
			if (d->runs[r]->pidfd == pfd[i].fd) {
				runs_pidfd_ready(d, d->runs[r]);
				break;
			}
	}
	if (ready(pfd, sl, n, SLOT_LISTEN))
		ctl_accept(d);
	if (!d->quit)
		arm_timer(d);
out:
	free(pfd);
	free(sl);
}

static void
teardown(struct lc_daemon *d)
{
	size_t	 i;

	if (d->sock_path != NULL && d->lfd != -1)
		unlink(d->sock_path);
	/* A daemon that could not start (another one holds the state
	 * directory) must not remove the running one's pidfile. */
	if (d->pidfile_ours)
		unlink(d->opts->pidfile);
	for (i = 0; i < d->nconns; i++)
		lc_ctl_conn_free(d->conns[i]);
	free(d->conns);
	runs_flush(d);
	daemon_history_close(d);
	for (i = 0; i < d->capunits; i++)
		lc_buf_free(&d->units[i].pkt);
	free(d->units);
	for (i = 0; i < d->nruns; i++) {
		if (d->runs[i]->pidfd != -1)
			close(d->runs[i]->pidfd);
		if (d->runs[i]->chan != -1)
			close(d->runs[i]->chan);
		free(d->runs[i]->job);
		free(d->runs[i]->fire_id);
		free(d->runs[i]);
	}
	free(d->runs);
	for (i = 0; i < d->npaused; i++)
		free(d->paused[i]);
	free(d->paused);
	for (i = 0; i < d->nskips; i++)
		free(d->skips[i].job);
	free(d->skips);
	lc_sched_free(d->sched);
	lc_config_free(d->cfg);
	free(d->db_path);
	free(d->sock_path);
	if (d->shmfd != -1)
		close(d->shmfd);
	for (i = 0; i < 4; i++) {
		int fd = i == 0 ? d->tfd : i == 1 ? d->sfd : i == 2 ? d->lfd :
		    d->lockfd;

		if (fd != -1)
			close(fd);
	}
}

int
lc_daemon_run(const struct lc_daemon_opts *opts, char **cause)
{
	struct lc_daemon	 d;
	int			 rc = 0;

	memset(&d, 0, sizeof d);
	d.opts = opts;
	d.copts.as_root = opts->as_root;
	d.tfd = d.sfd = d.lfd = d.lockfd = d.shmfd = -1;
	d.accept_again_ms = -60001;	/* no pause yet, nor a line */
	if (setup(&d, cause) != 0) {
		teardown(&d);
		return (-1);
	}
	log_notice("lockcrond %s started: %zu jobs from %s, state in %s",
	    PACKAGE_VERSION, d.cfg->njobs, opts->config_path,
	    d.cfg->state_dir);
	notify("READY=1");
	runs_wake(&d, lc_now_ms());
	arm_timer(&d);
	while (!d.quit)
		loop_once(&d);
	notify("STOPPING=1");
	log_notice("lockcrond stopped");
	teardown(&d);
	return (rc);
}
