/*
 * A run's output for `lockcron logs`: the tail the history kept, or, while
 * the run lives, the live file its supervisor streams to
 * (STATE_DIR/live/RUN_ID.log, 0600, unlinked when the run ends), which
 * lc_logs_follow tails until the run's row is finished.
 */
#ifndef LOCKCRON_LOGS_H
#define LOCKCRON_LOGS_H

#include "lockcron/history.h"

/* "STATE_DIR/live/RUN_ID.log", allocated. */
char	*lc_logs_live_path(const char *state_dir, const char *run_id);
/*
 * Writes run r's output to fd: the kept tail once the run has ended, the
 * live file while it runs (the kept tail when there is none). -1 with
 * *cause when reading or writing failed.
 */
int	 lc_logs_print(const char *state_dir, const struct lc_run *r, int fd,
	     char **cause);
/*
 * Writes run r's output to fd as it comes, from the start of the live
 * file, until the run's row in h is finished; then the rest of the file.
 * A run that ended before its file could be opened prints its kept tail.
 * Sleeps in poll(2) on inotify (the live directory, then the file), never
 * longer than poll_ms between looks at the row. -1 with *cause when the
 * history cannot be read, the run's supervisor is gone without recording
 * its end, or writing fails.
 */
int	 lc_logs_follow(struct lc_history *h, const char *state_dir,
	     const struct lc_run *r, int fd, int poll_ms, char **cause);

#endif
