/*
 * Notifications: what cron's MAILTO did, and more. A job's `notify` decides
 * what a run sends:
 *
 *	webhook	a POST of the run as JSON (runjson.h: show's object, output
 *		tail included, secrets already masked) when its status is in
 *		`on`
 *	mail	the same run as a mail through `sendmail -t -oi`, readable
 *		text then the JSON, when its status is in `on`
 *	ping	healthchecks.io's convention, whatever `on` says:
 *		{ping}/start when the job starts, {ping} when the run
 *		succeeded, {ping}/fail when it failed (LC_RUN_FAILURE_MASK);
 *		each with ?rid=RUN_ID so that the service pairs them
 *
 * Every delivery, good or bad, is an event on the run: notify_sent or
 * notify_failed with the channel and the HTTP status or the error (never
 * the URL, which often holds a token). A notification never changes the
 * run's status.
 *
 * HTTP as the keystore does it (keystore.h): http and https only, plain
 * http only to a loopback host, no redirects, no proxies, TLS verified; a
 * timeout per attempt and bounded retries with backoff on connection
 * errors, timeouts, 429 and 5xx.
 *
 * Sending blocks, so it never happens where it could delay a run: in a
 * notifier process. The supervisor starts one with lc_notifier_new() before
 * it opens the history, takes the lock or fetches a secret, so the notifier
 * never holds any of them; tells it when the job started and when the row is
 * finished, and exits without waiting. The daemon forks one with
 * lc_notify_fork() for the rows it finishes itself (lost, missed, skipped)
 * and calls lc_notify_runs() there.
 *
 * Test hooks (environment of the process that sends): LOCKCRON_SENDMAIL is
 * the sendmail program to run instead of LC_NOTIFY_SENDMAIL;
 * LOCKCRON_NOTIFY_TIMEOUT_MS the timeout of each HTTP attempt.
 */
#ifndef LOCKCRON_NOTIFY_H
#define LOCKCRON_NOTIFY_H

#include <stddef.h>
#include <sys/types.h>

#include "lockcron/config.h"
#include "lockcron/history.h"

#define LC_NOTIFY_TIMEOUT_MS		10000	/* one HTTP attempt */
#define LC_NOTIFY_CONNECT_TIMEOUT_MS	3000
#define LC_NOTIFY_RETRIES		3	/* after the first attempt */
#define LC_NOTIFY_BACKOFF_MS		500	/* doubling, +-25% */
#define LC_NOTIFY_BACKOFF_MAX_MS	5000
#define LC_NOTIFY_MAIL_TIMEOUT_MS	30000	/* sendmail, start to exit */
#define LC_NOTIFY_SENDMAIL		"/usr/sbin/sendmail"

/* Channels, for lc_notify_channels. */
#define LC_NOTIFY_WEBHOOK	0x1
#define LC_NOTIFY_MAIL		0x2
#define LC_NOTIFY_PING		0x4

/* What a run of job ending in status st sends; 0: nothing. */
unsigned	 lc_notify_channels(const struct lc_job *, enum lc_run_status st);
/* Has the job any notification at all (a webhook, a mail or a ping)? */
int		 lc_notify_configured(const struct lc_job *);

/*
 * In a notifier: the start ping of run id, then the notifications of its
 * end once the row is finished, each recorded as an event through h. They
 * block for as long as the timeouts and retries allow. lc_notify_end
 * returns -1 with *cause only when the run cannot be read.
 */
void	 lc_notify_start(struct lc_history *, const struct lc_job *,
	     const char *run_id);
int	 lc_notify_end(struct lc_history *, const struct lc_job *,
	     const char *run_id, char **cause);
/* The end notifications of finished runs ids[0..n), each of its own job in
 * cfg, through a history connection of our own. */
void	 lc_notify_runs(const struct lc_config *, char *const *ids, size_t n);

/*
 * Forks a notifier process. In it (0 is returned) the session is its own,
 * every signal has its default action but SIGPIPE (ignored), none is
 * blocked, stdin and stdout are /dev/null, and so is stderr unless
 * keep_stderr. Without detach the caller reaps it (its pid is returned);
 * with detach it is nobody's child (a double fork, with the caller's
 * subreaper flag lifted meanwhile) and 1 is returned. -1 and errno when
 * fork failed.
 */
pid_t	 lc_notify_fork(int detach, int keep_stderr);

/* The supervisor's notifier, started before the run holds anything. */
struct lc_notifier;

/* NULL when the job has no notification or the fork failed (logged). */
struct lc_notifier	*lc_notifier_new(const struct lc_config *,
			     const struct lc_job *, int keep_stderr);
/* The job of run id has started: the start ping goes out. */
void			 lc_notifier_started(struct lc_notifier *,
			     const char *run_id);
/* Run id's row is finished: the notifier sends; frees nt. */
void			 lc_notifier_end(struct lc_notifier *,
			     const char *run_id);
/* Frees nt without an end: the notifier exits sending nothing more. */
void			 lc_notifier_free(struct lc_notifier *);

#endif
