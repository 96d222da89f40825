/*
 * The daemon's state, shared by daemon.c (the loop), daemon-runs.c (fires
 * into runs) and daemon-ctl.c (control commands). Not a public header.
 */
#ifndef LOCKCRON_DAEMON_INT_H
#define LOCKCRON_DAEMON_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "lockcron/config.h"
#include "lockcron/daemon.h"
#include "lockcron/history.h"
#include "lockcron/record.h"
#include "lockcron/scheduler.h"

/* A run the daemon is responsible for: queued, or its supervisor alive. */
struct drun {
	char		 id[LC_UUID_BUFSZ];
	char		*job;		/* the job's name (configs come and go) */
	pid_t		 pid;		/* supervisor; 0 while queued */
	int		 pidfd;		/* adopted supervisors only, else -1 */
	int		 chan;		/* its record channel, else -1 */
	struct lc_record_seen seen;	/* what the daemon wrote of it */
	int		 overlap_wait;	/* the job waits for its lock */
	/* What the supervisor of a queued run would read back from its row. */
	char		*fire_id;	/* NULL: the run's own id */
	int64_t		 scheduled_at;	/* ms */
	int		 attempt;
};

/* A unit of a run's record, received from its supervisor, to write. */
struct dunit {
	struct drun	*run;
	struct lc_buf	 pkt;
};

/* Per job: rate limit of "lock busy" log lines. */
struct skiplog {
	char		*job;
	int64_t		 last_ms;
	int64_t		 suppressed;
};

struct lc_daemon {
	const struct lc_daemon_opts	*opts;
	struct lc_config_opts		 copts;
	struct lc_config		*cfg;
	struct lc_sched			*sched;
	char				*db_path;
	char				*sock_path;
	char				 boot_id[LC_UUID_BUFSZ];
	int				 tfd;	/* timerfd */
	int				 sfd;	/* signalfd */
	int				 lfd;	/* control socket */
	int				 lockfd; /* state_dir/lockcrond.lock */
	int				 shmfd;	/* lc_history_hold() */
	struct lc_history		*hist;	/* daemon_history() */
	int				 pidfile_ours; /* we wrote it */
	struct drun			**runs;	/* in queue order */
	size_t				  nruns;
	struct dunit			 *units;	/* to write this turn */
	size_t				  nunits, capunits;
	struct lc_ctl_conn		**conns;
	size_t				  nconns;
	char				**paused;
	size_t				  npaused;
	struct skiplog			 *skips;
	size_t				  nskips;
	/* After fires could not be recorded: not again before retry_at. */
	int64_t				  hist_retry_at;
	int64_t				  hist_backoff_ms;
	int				  quit;
	int				  chan_failing; /* no channel: said */
	size_t				  nchans;	/* record channels */
	size_t				  fd_limit;	/* RLIMIT_NOFILE */
	int64_t				  accept_again_ms; /* out of fds */
};

/* daemon.c */
struct lc_history	*daemon_history(struct lc_daemon *);
void			 daemon_history_done(struct lc_daemon *);
void			 daemon_history_close(struct lc_daemon *);
void			 daemon_close_fds_in_child(int keep);
int			 daemon_reload(struct lc_daemon *, json_t *errors);

/* daemon-runs.c */
void	 runs_wake(struct lc_daemon *, int64_t now_ms);
void	 runs_start_queued(struct lc_daemon *);
void	 runs_reap(struct lc_daemon *);
void	 runs_pidfd_ready(struct lc_daemon *, struct drun *);
void	 runs_chan_ready(struct lc_daemon *, struct drun *);
void	 runs_flush(struct lc_daemon *);
int	 runs_adopt(struct lc_daemon *, struct lc_history *);
void	 runs_reboot(struct lc_daemon *, struct lc_history *);
char	**runs_unfinished(struct lc_history *, size_t *);
void	 runs_notify_lost(struct lc_daemon *, char **, size_t);
int	 runs_manual(struct lc_daemon *, const struct lc_job *, char *id,
	     char **cause);
int	 runs_cancel(struct lc_daemon *, const char *prefix, uid_t,
	     char **cause);
int	 runs_is_paused(const struct lc_daemon *, const char *job);
int	 runs_set_paused(struct lc_daemon *, const char *job, int,
	     char **cause);
size_t	 runs_active(const struct lc_daemon *);

/* daemon-secrets.c */
void	 secrets_clean(struct lc_daemon *, struct lc_history *);
void	 secrets_remove(struct lc_daemon *, const char *run_id);

/* daemon-ctl.c */
void	 ctl_accept(struct lc_daemon *);
void	 ctl_ready(struct lc_daemon *, size_t i);

#endif
