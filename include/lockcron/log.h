/*
 * The one log: syslog, stderr or a file (reopened on SIGHUP), with levels
 * checked before any formatting is done.
 */
#ifndef LOCKCRON_LOG_H
#define LOCKCRON_LOG_H

#include "lockcron/util.h"

enum lc_log_level {
	LC_LOG_ERROR = 0,
	LC_LOG_WARNING,
	LC_LOG_NOTICE,
	LC_LOG_INFO,
	LC_LOG_DEBUG
};

/* target: "stderr", "syslog" or an absolute file path. */
int	 lc_log_open(const char *ident, const char *target, char **cause);
void	 lc_log_set_level(enum lc_log_level);
int	 lc_log_parse_level(const char *, enum lc_log_level *);
int	 lc_log_enabled(enum lc_log_level);
/* Reopens a log file (after logrotate moved it); no-op for other targets. */
int	 lc_log_reopen(char **cause);
void	 lc_log_close(void);
/*
 * For a forked child about to close every descriptor it does not need:
 * the log file's descriptor to keep, or -1 (syslog's socket is closed
 * here and opened again by the next message).
 */
int	 lc_log_child_fd(void);
void	 lc_log_write(enum lc_log_level, const char *fmt, ...) LC_PRINTF(2, 3);

#define lc_log(lvl, ...) do {						\
	if (lc_log_enabled(lvl))					\
		lc_log_write(lvl, __VA_ARGS__);				\
} while (0)
#define log_error(...)	lc_log(LC_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	lc_log(LC_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	lc_log(LC_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	lc_log(LC_LOG_INFO, __VA_ARGS__)
#define log_debug(fmt, ...) lc_log(LC_LOG_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__)

#endif
