/*
 * Running one job process to completion: the parent's side. One poll()
 * loop over a signalfd and the output pipes until the main process exits,
 * a bounded drain of the pipes, then every descendant still alive is
 * terminated (we are their subreaper).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/proc.h"
#include "lockcron/util.h"
#include "proc-int.h"

#define PROC_READ_SIZE		65536
/* While SIGKILLed processes die, rescan this often: an orphan reparented
 * to us by a dying grandchild sends no SIGCHLD. */
#define PROC_RESCAN_MS		100
/* How long a group told to terminate may take to be gone before the
 * end-of-run sweep counts its members as leftovers. */
#define PROC_SETTLE_MS		200

/* The parent's side of one run. */
struct proc_run {
	const struct lc_proc_spec *spec;
	struct lc_proc_result	 *res;
	pid_t			  pid;
	int			  sfd;
	int			  out_rd;
	int			  err_rd;
	int			  in_wr;
	int			  errpipe_rd;
	size_t			  in_off;
	size_t			  in_len;
	int			  main_done;
	int64_t			  timeout_at;	/* 0: none */
	int64_t			  tick_at;	/* 0: none, or called */
	int64_t			  kill_at;	/* 0: none */
	int64_t			  drain_until;
	char			 *buf;
};

/* Signal state saved for the run and restored after it. */
struct proc_sigsave {
	sigset_t		 mask;
	struct sigaction	 chld;
	struct sigaction	 pipe;
};

/* A growable set of pids. */
struct proc_pids {
	pid_t	*v;
	size_t	 n;
	size_t	 cap;
};

/* Creates the stdio pipes and the error pipe; the parent's ends are
 * non-blocking, the child's are not. */
static int
open_pipes(struct proc_launch *pl, struct proc_run *r,
    struct lc_proc_result *res)
{
	int	 p[4][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int	 i;

	for (i = 0; i < 4; i++) {
		if (i == 0 && r->spec->stdin_text == NULL)
			continue;
		if (pipe2(p[i], O_CLOEXEC) != 0) {
			proc_launch_error(res, "pipe", errno, "pipe: %s",
			    strerror(errno));
			goto fail;
		}
	}
	if (r->spec->stdin_text == NULL &&
	    (p[0][0] = open("/dev/null", O_RDONLY|O_CLOEXEC)) == -1) {
		proc_launch_error(res, "stdin", errno, "/dev/null: %s",
		    strerror(errno));
		goto fail;
	}
	pl->in_rd = p[0][0];
	r->in_wr = p[0][1];
	r->out_rd = p[1][0];
	pl->out_wr = p[1][1];
	r->err_rd = p[2][0];
	pl->err_wr = p[2][1];
	r->errpipe_rd = p[3][0];
	pl->errpipe_wr = p[3][1];
	for (i = 0; i < 3; i++) {
		if (p[i][i == 0 ? 1 : 0] != -1)
			(void)fcntl(p[i][i == 0 ? 1 : 0], F_SETFL, O_NONBLOCK);
	}
	return (0);
fail:
	for (i = 0; i < 4; i++) {
		proc_close_fd(&p[i][0]);
		proc_close_fd(&p[i][1]);
	}
	return (-1);
}

/* The descriptors the job inherits must be open and above stdio. */
static int
check_keep_fds(const struct lc_proc_spec *spec, struct lc_proc_result *res)
{
	size_t	 k;
	int	 fd;

	for (k = 0; k < spec->nkeep_fds; k++) {
		fd = spec->keep_fds[k];
		if (fd < 3 || fcntl(fd, F_GETFD) == -1) {
			proc_launch_error(res, "fds", EBADF,
			    "descriptor %d cannot be inherited", fd);
			return (-1);
		}
	}
	return (0);
}

/* Blocks the run's signals, reads them from a signalfd, makes sure
 * children can be waited for and a closed stdin pipe cannot kill us. */
static int
signals_enter(struct proc_sigsave *save, int *sfd, struct lc_proc_result *res)
{
	struct sigaction	 sa;
	sigset_t		 set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &save->mask);
	if ((*sfd = signalfd(-1, &set, SFD_NONBLOCK|SFD_CLOEXEC)) == -1) {
		proc_launch_error(res, "signalfd", errno, "signalfd: %s",
		    strerror(errno));
		sigprocmask(SIG_SETMASK, &save->mask, NULL);
		return (-1);
	}
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, &save->chld);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &save->pipe);
	return (0);
}

/* Restores what signals_enter() changed. SIGCHLD and SIGHUP still pending
 * were ours; SIGTERM and SIGINT that came after the run are the caller's. */
static void
signals_leave(struct proc_sigsave *save, int *sfd)
{
	struct timespec	 zero = { 0, 0 };
	sigset_t	 ours;

	proc_close_fd(sfd);
	sigemptyset(&ours);
	sigaddset(&ours, SIGCHLD);
	sigaddset(&ours, SIGHUP);
	while (sigtimedwait(&ours, NULL, &zero) > 0)
		;
	sigaction(SIGPIPE, &save->pipe, NULL);
	sigaction(SIGCHLD, &save->chld, NULL);
	sigprocmask(SIG_SETMASK, &save->mask, NULL);
}

/*
 * vfork(): the child borrows our memory until it execs, so nothing is
 * copied (a fork of the supervisor copied its page tables, and each side
 * then took a page fault for every page it wrote: a quarter of a run's
 * cost). Every signal stays blocked meanwhile, so no handler of ours runs
 * in the child; the child sets its handlers to the default before it
 * unblocks them. The child only makes system calls, writes its own stack
 * and never returns (proc_child_main).
 */
static pid_t
vfork_child(const struct proc_launch *pl)
{
	sigset_t	 all, old;
	pid_t		 pid;
	int		 saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0)
		proc_child_main(pl);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return (pid);
}

/* Starts the job; -1 (child reaped, result filled) if it could not exec. */
static int
spawn(struct proc_launch *pl, struct proc_run *r)
{
	struct proc_child_err	 ce;
	ssize_t			 n;
	pid_t			 pid;
	int			 status;

	if ((pid = vfork_child(pl)) == -1) {
		proc_launch_error(r->res, "fork", errno, "fork: %s",
		    strerror(errno));
		return (-1);
	}
	/* Both sides set the group, so kill(-pid) works at once. */
	(void)setpgid(pid, pid);
	r->pid = r->res->pid = pid;
	proc_close_fd(&pl->in_rd);
	proc_close_fd(&pl->out_wr);
	proc_close_fd(&pl->err_wr);
	proc_close_fd(&pl->errpipe_wr);
	do
		n = read(r->errpipe_rd, &ce, sizeof ce);
	while (n == -1 && errno == EINTR);
	proc_close_fd(&r->errpipe_rd);
	if (n != (ssize_t)sizeof ce)
		return (0);		/* EOF: exec succeeded */
	ce.stage[sizeof ce.stage - 1] = '\0';
	proc_child_error(pl, &ce, r->res);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (-1);
}

/* SIGTERM (and SIGCONT, so stopped processes see it) to the job's group;
 * SIGKILL follows after the grace period. */
static void
terminate(struct proc_run *r, int64_t now)
{
	kill(-r->pid, SIGTERM);
	kill(-r->pid, SIGCONT);
	if (r->kill_at == 0)
		r->kill_at = now + r->spec->kill_grace_ms;
}

/* Acts on the timeout and the SIGKILL deadline when they are due. */
static void
check_deadlines(struct proc_run *r, int64_t now)
{
	if (!r->main_done && r->timeout_at != 0 && now >= r->timeout_at) {
		r->res->timed_out = 1;
		r->timeout_at = 0;
		terminate(r, now);
	}
	if (r->kill_at != 0 && now >= r->kill_at) {
		kill(-r->pid, SIGKILL);
		r->kill_at = 0;
	}
	if (r->tick_at != 0 && now >= r->tick_at) {
		r->tick_at = 0;
		r->spec->tick_cb(r->spec->cb_arg);
	}
}

/* Milliseconds until the next deadline, or -1 for none. */
static int
next_wake(const struct proc_run *r, int64_t now)
{
	int64_t	 at = 0, t[4];
	size_t	 i;

	t[0] = r->main_done ? 0 : r->timeout_at;
	t[1] = r->kill_at;
	t[2] = r->main_done ? r->drain_until : 0;
	t[3] = r->tick_at;
	for (i = 0; i < LC_NELEM(t); i++) {
		if (t[i] != 0 && (at == 0 || t[i] < at))
			at = t[i];
	}
	if (at == 0)
		return (-1);
	if (at <= now)
		return (0);
	return (at - now > 60000 ? 60000 : (int)(at - now));
}

/* Records how the main process ended. */
static void
main_exited(struct proc_run *r, int status)
{
	struct lc_proc_result	*res = r->res;

	r->main_done = 1;
	res->end_mono_ms = lc_mono_ms();
	res->end_ms = lc_now_ms();
	if (WIFEXITED(status)) {
		res->end = LC_PROC_EXITED;
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->end = LC_PROC_SIGNALED;
		res->signal = WTERMSIG(status);
	}
	r->drain_until = res->end_mono_ms + LC_PROC_DRAIN_MS;
	proc_close_fd(&r->in_wr);
}

/* Reaps every child that has exited; 1 when we have none left at all. */
static int
reap(struct proc_run *r)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == r->pid && !r->main_done)
			main_exited(r, status);
	}
	return (pid == -1 && errno == ECHILD);
}

/* SIGTERM or SIGINT: cancel the run; a second one skips the grace. */
static void
cancel(struct proc_run *r, int sig, int64_t now)
{
	if (r->main_done) {
		r->drain_until = now;	/* over already: stop draining */
		return;
	}
	if (r->res->cancelled) {
		r->kill_at = now;
		return;
	}
	r->res->cancelled = 1;
	r->res->cancel_signal = sig;
	terminate(r, now);
}

/* Handles the signals read from the signalfd; returns the last cancel
 * signal seen (0 for none). */
static int
read_signals(struct proc_run *r)
{
	struct signalfd_siginfo	 si;
	int			 cancel_sig = 0;

	while (read(r->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			reap(r);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			cancel_sig = (int)si.ssi_signo;
		/* SIGHUP: consumed, so a closing terminal cannot kill us. */
	}
	return (cancel_sig);
}

/* One read from an output pipe, handed to the caller. */
static void
read_output(struct proc_run *r, int *fd, enum lc_proc_stream stream)
{
	ssize_t	 n;

	n = read(*fd, r->buf, PROC_READ_SIZE);
	if (n > 0) {
		if (r->spec->output_cb != NULL)
			r->spec->output_cb(stream, r->buf, (size_t)n,
			    r->spec->cb_arg);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		proc_close_fd(fd);
}

/* Feeds the stdin text without ever blocking; closes the pipe when done
 * or when the job stopped reading. */
static void
write_stdin(struct proc_run *r)
{
	ssize_t	 n;

	if (r->in_off < r->in_len) {
		n = write(r->in_wr, r->spec->stdin_text + r->in_off,
		    r->in_len - r->in_off);
		if (n > 0)
			r->in_off += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			r->in_off = r->in_len;
	}
	if (r->in_off >= r->in_len)
		proc_close_fd(&r->in_wr);
}

/* Polls the signalfd and the pipes once; -1 if poll() itself failed. */
static int
poll_once(struct proc_run *r, int64_t now)
{
	struct pollfd	 pfd[4];
	nfds_t		 n = 0;
	int		 out = -1, err = -1, in = -1, sig;

	pfd[n].fd = r->sfd;
	pfd[n++].events = POLLIN;
	if (r->out_rd != -1) {
		pfd[out = n].fd = r->out_rd;
		pfd[n++].events = POLLIN;
	}
	if (r->err_rd != -1) {
		pfd[err = n].fd = r->err_rd;
		pfd[n++].events = POLLIN;
	}
	if (r->in_wr != -1) {
		pfd[in = n].fd = r->in_wr;
		pfd[n++].events = POLLOUT;
	}
	if (poll(pfd, n, next_wake(r, now)) == -1)
		return (errno == EINTR ? 0 : -1);
	if (pfd[0].revents != 0 && (sig = read_signals(r)) != 0)
		cancel(r, sig, lc_mono_ms());
	if (out != -1 && pfd[out].revents != 0)
		read_output(r, &r->out_rd, LC_PROC_STDOUT);
	if (err != -1 && pfd[err].revents != 0)
		read_output(r, &r->err_rd, LC_PROC_STDERR);
	if (in != -1 && r->in_wr != -1 && pfd[in].revents != 0)
		write_stdin(r);
	return (0);
}

/* The run: until the main process exits and its output is drained. */
static void
run_loop(struct proc_run *r)
{
	int64_t	 now;
	int	 status;

	if (r->in_wr != -1 && r->in_len == 0)
		proc_close_fd(&r->in_wr);
	for (;;) {
		now = lc_mono_ms();
		check_deadlines(r, now);
		if (r->main_done && (now >= r->drain_until ||
		    (r->out_rd == -1 && r->err_rd == -1)))
			break;
		if (poll_once(r, now) != 0) {
			/* Cannot wait properly any more: end it hard. */
			kill(-r->pid, SIGKILL);
			while (!r->main_done && waitpid(r->pid, &status, 0) > 0)
				main_exited(r, status);
			break;
		}
	}
	proc_close_fd(&r->out_rd);
	proc_close_fd(&r->err_rd);
	proc_close_fd(&r->in_wr);
}

static int
pids_has(const struct proc_pids *s, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i] == pid)
			return (1);
	}
	return (0);
}

static void
pids_add(struct proc_pids *s, pid_t pid)
{
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = pid;
}

/* Parent and state of a process, from /proc/PID/stat; -1 if gone. */
static int
read_stat(pid_t pid, pid_t *ppid, char *state)
{
	char	 path[64], buf[512], *p;
	ssize_t	 n;
	int	 fd, pp;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %d", state, &pp) != 2)
		return (-1);
	*ppid = pp;
	return (0);
}

/* Every live (not zombie) descendant of root, any generation, found
 * through the parent links in /proc. */
static void
find_descendants(pid_t root, struct proc_pids *out)
{
	struct proc_pids	 all = { 0 }, parents = { 0 };
	struct dirent		*de;
	DIR			*d;
	size_t			 i;
	pid_t			 pid, ppid;
	char			 state;
	int			 grew;

	out->n = 0;
	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (read_stat(pid, &ppid, &state) != 0 || state == 'Z')
			continue;
		pids_add(&all, pid);
		pids_add(&parents, ppid);
	}
	closedir(d);
	do {
		grew = 0;
		for (i = 0; i < all.n; i++) {
			if ((parents.v[i] == root || pids_has(out,
			    parents.v[i])) && !pids_has(out, all.v[i])) {
				pids_add(out, all.v[i]);
				grew = 1;
			}
		}
	} while (grew);
	free(all.v);
	free(parents.v);
}

/* Waits on the signalfd up to ms (-1: forever); 1 if asked to cancel. */
static int
sweep_wait(struct proc_run *r, int ms)
{
	struct pollfd	 pfd;

	pfd.fd = r->sfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return (0);
	return (read_signals(r) != 0);
}

/*
 * After a timeout or a cancel the job's group was told to terminate: its
 * members on their way out (files closed, not yet zombies) are not
 * leftovers. Waits up to PROC_SETTLE_MS for the group to be gone before
 * the sweep counts what is left. Returns 1 if a cancel came meanwhile.
 */
static int
settle_group(struct proc_run *r)
{
	int64_t	 deadline = lc_mono_ms() + PROC_SETTLE_MS, now;
	int	 cancelled = 0;

	if (!r->res->timed_out && !r->res->cancelled)
		return (0);
	/* Short waits: a grandchild's death signals its parent, not us. */
	while (!reap(r) && kill(-r->pid, 0) == 0 &&
	    (now = lc_mono_ms()) < deadline)
		cancelled |= sweep_wait(r, deadline - now < 10 ?
		    (int)(deadline - now) : 10);
	return (cancelled);
}

/*
 * The end of every run: SIGTERM to each descendant still alive, SIGKILL to
 * those left after the grace period, until waitpid() says we have no
 * children. As subreaper we inherit the orphans, even those that called
 * setsid(). Returns how many distinct processes were signalled.
 */
static int
sweep(struct proc_run *r)
{
	struct proc_pids	 found = { 0 }, counted = { 0 }, phase = { 0 };
	int64_t			 kill_at = 0, now;
	size_t			 i;
	int			 sig = 0, group_sig = 0, ms, n, hurry;

	hurry = settle_group(r);
	while (!reap(r)) {
		now = lc_mono_ms();
		if (sig == 0) {
			sig = SIGTERM;
			kill_at = hurry ? now : now + r->spec->kill_grace_ms;
		}
		if (sig == SIGTERM && now >= kill_at) {
			sig = SIGKILL;
			phase.n = 0;
		}
		find_descendants(getpid(), &found);
		for (i = 0; i < found.n; i++) {
			if (!pids_has(&counted, found.v[i]))
				pids_add(&counted, found.v[i]);
			if (pids_has(&phase, found.v[i]))
				continue;
			pids_add(&phase, found.v[i]);
			kill(found.v[i], sig);
			if (sig == SIGTERM)
				kill(found.v[i], SIGCONT);
		}
		/* Also the job's group, in case /proc could not tell. */
		if (group_sig != sig)
			kill(-r->pid, group_sig = sig);
		ms = sig == SIGTERM ? (int)(kill_at - now) : PROC_RESCAN_MS;
		if (sweep_wait(r, ms) && sig == SIGTERM)
			kill_at = now;	/* cancelled while sweeping */
	}
	n = (int)counted.n;
	free(found.v);
	free(counted.v);
	free(phase.v);
	return (n);
}

static void
run_free(struct proc_run *r)
{
	proc_close_fd(&r->out_rd);
	proc_close_fd(&r->err_rd);
	proc_close_fd(&r->in_wr);
	proc_close_fd(&r->errpipe_rd);
	proc_close_fd(&r->sfd);
	free(r->buf);
}

int
lc_proc_run(const struct lc_proc_spec *spec, struct lc_proc_result *res)
{
	struct proc_launch	 pl;
	struct proc_run		 r;
	struct proc_sigsave	 save;
	int			 rc = -1;

	memset(res, 0, sizeof *res);
	memset(&pl, 0, sizeof pl);
	memset(&r, 0, sizeof r);
	pl.spec = r.spec = spec;
	r.res = res;
	pl.in_rd = pl.out_wr = pl.err_wr = pl.errpipe_wr = -1;
	r.sfd = r.out_rd = r.err_rd = r.in_wr = r.errpipe_rd = -1;
	r.in_len = spec->stdin_text != NULL ? strlen(spec->stdin_text) : 0;
	res->start_mono_ms = lc_mono_ms();
	res->start_ms = lc_now_ms();
	if (proc_launch_prepare(&pl, res) != 0 ||
	    check_keep_fds(spec, res) != 0 || open_pipes(&pl, &r, res) != 0 ||
	    signals_enter(&save, &r.sfd, res) != 0)
		goto out;
	if (spawn(&pl, &r) == 0) {
		rc = 0;
		if (spec->started_cb != NULL)
			spec->started_cb(r.pid, res->start_ms, spec->cb_arg);
		if (spec->timeout_ms > 0)
			r.timeout_at = res->start_mono_ms + spec->timeout_ms;
		if (spec->tick_cb != NULL)
			r.tick_at = res->start_mono_ms + spec->tick_ms;
		r.buf = xmalloc(PROC_READ_SIZE);
		run_loop(&r);
		res->killed_descendants = sweep(&r);
	}
	signals_leave(&save, &r.sfd);
out:
	if (rc != 0) {
		res->end_mono_ms = lc_mono_ms();
		res->end_ms = lc_now_ms();
	}
	proc_launch_free(&pl);
	run_free(&r);
	return (rc);
}

void
lc_proc_result_clear(struct lc_proc_result *res)
{
	if (res == NULL)
		return;
	free(res->error);
	memset(res, 0, sizeof *res);
}

int
lc_proc_set_subreaper(char **cause)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		lc_set_cause(cause, "PR_SET_CHILD_SUBREAPER: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

