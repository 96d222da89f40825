/*
 * One run's lifecycle, the same code for the daemon's runs and for
 * `lockcron run`: record the run as running, take the lock, fetch the
 * secrets, start the job as its user, capture and mask its output, enforce
 * its timeout, leave no process behind, and finish the record.
 */
#ifndef LOCKCRON_SUPERVISOR_H
#define LOCKCRON_SUPERVISOR_H

#include <stdint.h>

#include "lockcron/config.h"
#include "lockcron/history.h"

struct lc_supervise_opts {
	const struct lc_config	*cfg;
	const struct lc_job	*job;
	/* The daemon's queued row; NULL: insert a running row ourselves. */
	const char		*run_id;
	/* For a row we insert (lockcron run), and for the daemon's row
	 * when known is set (then it is not read back). */
	enum lc_run_trigger	 trigger;
	int			 attempt;
	int64_t			 scheduled_at;	/* ms */
	const char		*fire_id;	/* NULL: the run's own id */
	int			 known;
	/* The daemon's record channel (lockcron/record.h), which becomes
	 * the supervisor's; 0: none, the supervisor writes its record. */
	int			 chan;
	/* Also copy the job's output to our stdout and stderr. */
	int			 foreground;
	/* Log "job=… run=… status=started pid=…" once the job has started
	 * (the daemon's runs; a run that never starts logs no start). */
	int			 log_start;
};

#define LC_SUPERVISE_ERRSZ	1024

struct lc_supervise_result {
	char			 run_id[LC_UUID_BUFSZ];
	enum lc_run_status	 status;
	int			 exit_code;	/* -1: none */
	int			 signal;	/* 0: none */
	int			 not_found;	/* launch error: no such command */
	char			 error[LC_SUPERVISE_ERRSZ]; /* the row's error
						   (shortened); "": none */
};

/*
 * Supervises one run to its end. Returns 0 when the run was recorded
 * (whatever its outcome, in result), -1 when it could not be: then the
 * job did not start and *cause says why.
 */
int	 lc_supervise(const struct lc_supervise_opts *,
	     struct lc_supervise_result *, char **cause);
/* The exit status `lockcron run` reports for a result (lockcron(1)). */
int	 lc_supervise_exit_status(const struct lc_supervise_result *);

#endif
