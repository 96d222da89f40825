/*
 * One job process, run to completion: the library call the (single-
 * threaded) supervisor makes to start the job as its user, in its own
 * process group, with a cron-like environment, feed its stdin, hand its
 * output to the caller, enforce the timeout, honour cancellation and, at
 * the end, leave no process of the run alive.
 *
 * lc_proc_run() owns the calling process's children while it runs: it
 * reaps with waitpid(-1) and, at the end, terminates every descendant. The
 * caller must have no other children of its own at that time.
 */
#ifndef LOCKCRON_PROC_H
#define LOCKCRON_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long output is still read after the main process exits. */
#define LC_PROC_DRAIN_MS	2000

/* Which stream a chunk of output came from. */
enum lc_proc_stream {
	LC_PROC_STDOUT = 1,
	LC_PROC_STDERR = 2
};

/* Called with every chunk of output, in order per stream. */
typedef void (*lc_proc_output_cb)(enum lc_proc_stream, const char *buf,
    size_t len, void *arg);
/* Called once the job's exec has succeeded (for the "started" event). */
typedef void (*lc_proc_started_cb)(pid_t pid, int64_t start_ms, void *arg);
/* Called once, when the run has lasted tick_ms (see lc_proc_spec). */
typedef void (*lc_proc_tick_cb)(void *arg);

/* What to run and how. Only command or argv is required. */
struct lc_proc_spec {
	const char		 *command;	/* run as: shell -c command */
	char *const		 *argv;		/* or: execve, argv[0] looked
						   up in the job's PATH */
	const char		 *shell;	/* NULL: /bin/sh */
	const char		 *user;		/* NULL: our own user */
	const char		 *group;	/* NULL: the user's group */
	const char		 *workdir;	/* NULL: the user's home */
	char *const		 *env;		/* the job's "NAME=value" list,
						   NULL-terminated, or NULL */
	char *const		 *extra_env;	/* the caller's (LOCKCRON_*,
						   secrets): never logged */
	int			  has_umask;
	mode_t			  umask;
	int			  nice;		/* increment, as nice(1) */
	const char		 *stdin_text;	/* NULL: /dev/null */
	const int		 *keep_fds;	/* the job inherits (>= 3) */
	size_t			  nkeep_fds;
	int64_t			  timeout_ms;	/* 0: none */
	int64_t			  kill_grace_ms; /* SIGTERM to SIGKILL */
	lc_proc_output_cb	  output_cb;	/* NULL: output discarded */
	lc_proc_started_cb	  started_cb;	/* NULL: not told */
	lc_proc_tick_cb		  tick_cb;	/* NULL: none */
	int64_t			  tick_ms;	/* after the start, once, if
						   the run still lasts */
	void			 *cb_arg;	/* for the callbacks */
};

enum lc_proc_end {
	LC_PROC_EXITED = 0,	/* exit_code is valid */
	LC_PROC_SIGNALED,	/* signal is valid */
	LC_PROC_LAUNCH_ERROR	/* never started: error, error_errno, stage */
};

struct lc_proc_result {
	enum lc_proc_end	 end;
	int			 exit_code;
	int			 signal;
	int			 timed_out;	/* the timeout fired */
	int			 cancelled;	/* SIGTERM/SIGINT reached us */
	int			 cancel_signal;
	int			 not_found;	/* launch error: no such
						   command (CLI: exit 127) */
	char			*error;		/* launch error text */
	int			 error_errno;
	char			 stage[16];	/* "user", "chdir", "exec"... */
	int			 killed_descendants; /* alive at the end */
	pid_t			 pid;		/* the job's, 0 if none */
	int64_t			 start_mono_ms;
	int64_t			 end_mono_ms;	/* the main process exited */
	int64_t			 start_ms;	/* wall clock, UTC */
	int64_t			 end_ms;
};

/*
 * Runs the job to completion and fills result (clear it afterwards with
 * lc_proc_result_clear). Returns 0 when the job started, -1 for a launch
 * error. Blocks SIGCHLD, SIGTERM, SIGINT, SIGHUP and ignores SIGPIPE while
 * it runs, restoring the mask and actions before it returns: SIGTERM or
 * SIGINT cancel the run; SIGHUP is consumed and ignored.
 */
int	 lc_proc_run(const struct lc_proc_spec *, struct lc_proc_result *);
void	 lc_proc_result_clear(struct lc_proc_result *);

/* Makes this process the subreaper of its descendants (call once). */
int	 lc_proc_set_subreaper(char **cause);

/*
 * Opens path for appending with the rights of user (and group; NULL: the
 * user's): as root, a helper child that drops to the user opens it
 * (O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC, mode 0640 less the
 * umask) and passes the descriptor back; never root's rights on the user's
 * behalf. Must be a regular file. Returns the descriptor or -1.
 */
int	 lc_proc_open_output(const char *path, const char *user,
	     const char *group, char **cause);

#endif
