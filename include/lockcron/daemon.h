/*
 * lockcrond's event loop: one thread, one poll over a timerfd (absolute
 * CLOCK_REALTIME, cancelled when the clock is set), a signalfd, the control
 * socket and the pidfds of supervisors adopted from a previous daemon. It
 * sleeps until the next due instant and never holds a secret.
 */
#ifndef LOCKCRON_DAEMON_H
#define LOCKCRON_DAEMON_H

struct lc_daemon_opts {
	const char	*config_path;
	const char	*pidfile;	/* NULL: none */
	const char	*log_target;	/* NULL: the config's "log" */
	const char	*boot_id_file;	/* tests: a fake boot id */
	int		 as_root;
};

/*
 * Runs the daemon until SIGTERM or SIGINT. Returns 0 after a clean stop,
 * -1 when it could not start (*cause says why: an invalid config, another
 * daemon on the same state directory, ...).
 */
int	 lc_daemon_run(const struct lc_daemon_opts *, char **cause);

#endif
