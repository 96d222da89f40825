/*
 * crontab(5) files read the way Debian's cron(8) reads them, turned into
 * lockcron jobs: environment lines, schedules, cron's '%' rule, flock(1)
 * wrappers and job names. Pure code: the text comes in as a buffer, the
 * config goes out as a string, and the two facts it needs from the system
 * (does a user exist, is a path a directory) come from callbacks.
 */
#ifndef LOCKCRON_CRONTAB_H
#define LOCKCRON_CRONTAB_H

#include <stddef.h>
#include <stdint.h>

struct lc_crontab;

enum lc_crontab_kind {
	LC_CRONTAB_AUTO = 0,	/* system if lc_crontab_is_system() says so */
	LC_CRONTAB_USER,	/* five time fields, then the command */
	LC_CRONTAB_SYSTEM	/* five time fields, a user name, the command */
};

/* Answers 1 (yes) or 0 (no) about a user name or a path. */
typedef int (*lc_crontab_query_cb)(const char *, void *);

struct lc_crontab_opts {
	const char		*source;	/* for the header; NULL: stdin */
	enum lc_crontab_kind	 kind;
	const char		*user;		/* user of every job (user kind) */
	lc_crontab_query_cb	 user_exists_cb; /* NULL: every user exists */
	lc_crontab_query_cb	 is_dir_cb;	/* NULL: no path is a directory */
	void			*cb_arg;
};

/*
 * A system crontab: path is /etc/crontab or a file in /etc/cron.d, and the
 * first job line's sixth field (second after an @macro) is a user name
 * user_exists accepts.
 */
int			 lc_crontab_is_system(const char *path,
			     const char *text, size_t len,
			     lc_crontab_query_cb user_exists, void *arg);

/* Converts a whole crontab; never fails (bad lines become warnings). */
struct lc_crontab	*lc_crontab_parse(const char *text, size_t len,
			     const struct lc_crontab_opts *);
void			 lc_crontab_free(struct lc_crontab *);
/* The complete lockcron config: a header comment and a jobs list. */
const char		*lc_crontab_config(const struct lc_crontab *);
int			 lc_crontab_is_system_kind(const struct lc_crontab *);
size_t			 lc_crontab_njobs(const struct lc_crontab *);
/* Lines cron ran (or tried to) that produced no job. */
size_t			 lc_crontab_nfailed(const struct lc_crontab *);
size_t			 lc_crontab_nwarnings(const struct lc_crontab *);
/* Warning i; *line is its crontab line (0: the whole file). */
const char		*lc_crontab_warning(const struct lc_crontab *,
			     size_t i, int *line);

/*
 * The pieces, public for the tests and the fuzzer.
 */

/* cron's environment line: 1 and name/value set, or 0 (not one). */
int	 lc_crontab_env_line(const char *line, char **name, char **value);

/*
 * cron's '%' rule on a command: *command is the text before the first
 * unescaped '%' ("\%" is '%', "\\" is '\'); *input (NULL when there is no
 * '%') the rest with each '%' a newline, ending in a newline.
 */
void	 lc_crontab_percent(const char *cmd, char **command, char **input);

/*
 * The five time fields of a job line as cron(8) reads them, as a schedule
 * lockcron accepts with the same fire times. *note (may be NULL) tells what
 * was rewritten. Returns -1 with *cause when cron refused the fields or
 * they never fire.
 */
int	 lc_crontab_schedule(const char *const fields[5], char **schedule,
	     char **note, char **cause);

/* A command wrapped in flock(1). */
struct lc_crontab_flock {
	char	*lock;		/* the lock file, absolute */
	int	 nonblock;	/* -n, or -w 0: overlap "skip" */
	int64_t	 wait;		/* -w N: seconds (rounded up) for "wait" */
	char	*command;	/* the command flock ran, for a shell */
};
/*
 * Returns 1 when cmd is one flock(1) call lockcron can take over, 0 when cmd
 * does not start with flock, -1 (with *cause) when it does but must stay a
 * plain command.
 */
int	 lc_crontab_flock(const char *cmd, struct lc_crontab_flock *,
	     char **cause);
void	 lc_crontab_flock_clear(struct lc_crontab_flock *);

/* A job name from a command: the script's base name, [A-Za-z0-9._-]+. */
char	*lc_crontab_job_name(const char *cmd);

#endif
