/*
 * Logging to syslog, stderr or an append-only file. One line per message,
 * "TIMESTAMP LEVEL message" in files and on stderr; syslog adds its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/log.h"

enum target { TARGET_STDERR, TARGET_SYSLOG, TARGET_FILE };

static enum target	 log_target = TARGET_STDERR;
static enum lc_log_level log_level = LC_LOG_INFO;
static char		*log_path;
static int		 log_fd = -1;

static const char *level_names[] = {
	"error", "warning", "notice", "info", "debug"
};

static int
open_file(const char *path, char **cause)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd == -1) {
		lc_set_cause(cause, "cannot open log file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	return (0);
}

/* Forgets a log file when another kind of target replaces it. */
static void
close_file(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	free(log_path);
	log_path = NULL;
}

int
lc_log_child_fd(void)
{
	/* glibc's syslog() connects again at the next message. */
	if (log_target == TARGET_SYSLOG)
		closelog();
	return (log_fd);
}

int
lc_log_open(const char *ident, const char *target, char **cause)
{
	if (target == NULL || strcmp(target, "stderr") == 0) {
		close_file();
		log_target = TARGET_STDERR;
		return (0);
	}
	if (strcmp(target, "syslog") == 0) {
		close_file();
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_CRON);
		log_target = TARGET_SYSLOG;
		return (0);
	}
	if (target[0] != '/') {
		lc_set_cause(cause, "log target must be \"syslog\", \"stderr\" "
		    "or an absolute path: %s", target);
		return (-1);
	}
	if (open_file(target, cause) != 0)
		return (-1);
	free(log_path);
	log_path = xstrdup(target);
	log_target = TARGET_FILE;
	return (0);
}

void
lc_log_set_level(enum lc_log_level level)
{
	log_level = level;
}

int
lc_log_parse_level(const char *s, enum lc_log_level *out)
{
	size_t	 i;

	for (i = 0; i < LC_NELEM(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum lc_log_level)i;
			return (0);
		}
	}
	return (-1);
}

int
lc_log_enabled(enum lc_log_level level)
{
	return (level <= log_level);
}

int
lc_log_reopen(char **cause)
{
	if (log_target != TARGET_FILE)
		return (0);
	return (open_file(log_path, cause));
}

void
lc_log_close(void)
{
	if (log_target == TARGET_SYSLOG)
		closelog();
	close_file();
	log_target = TARGET_STDERR;
}

/* Writes one whole line with a single write(2), so lines never interleave. */
static void
write_line(int fd, enum lc_log_level level, const char *msg)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32], *line;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = xasprintf(&line, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000,
	    level_names[level], msg);
	if (write(fd, line, (size_t)n) == -1) {
		/* Nowhere left to report a failing log. */
	}
	free(line);
}

void
lc_log_write(enum lc_log_level level, const char *fmt, ...)
{
	static const int prio[] = {
		LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
	};
	va_list	 ap;
	char	*msg;
	int	 saved;

	saved = errno;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	switch (log_target) {
	case TARGET_SYSLOG:
		syslog(prio[level], "%s", msg);
		break;
	case TARGET_FILE:
		write_line(log_fd, level, msg);
		break;
	case TARGET_STDERR:
		write_line(STDERR_FILENO, level, msg);
		break;
	}
	free(msg);
	errno = saved;
}
