/*
 * What the history's source files share and nothing else sees: the handle,
 * the statement cache and the transaction helpers.
 */
#ifndef LOCKCRON_HISTORY_INT_H
#define LOCKCRON_HISTORY_INT_H

#include <limits.h>
#include <sqlite3.h>
#include <sys/types.h>

#include "lockcron/history.h"

#define HISTORY_NSTMT	40
#define HISTORY_WAL_MAX	(64 * 1024 * 1024)	/* bytes, then truncate */

/* A cached prepared statement, keyed by the address of its SQL text. */
struct history_stmt {
	const char	*sql;
	sqlite3_stmt	*stmt;
};

struct lc_history {
	sqlite3			*db;
	char			*path;
	int			 flags;
	pid_t			 pid;		/* the process that opened it */
	int			 depth;		/* transaction nesting */
	int			 explicit_txn;	/* lc_history_begin is open */
	int			 busy_ms;
	int			 busy_retries;
	struct history_stmt	 stmts[HISTORY_NSTMT];
	size_t			 nstmts;
	char			 host[HOST_NAME_MAX + 1]; /* "" until needed */
	char			 boot_id[LC_UUID_BUFSZ];
};

/* The column list of a run without output, in run_from_row's order. */
#define HISTORY_RUN_COLUMNS "id, fire_id, job, \"trigger\", attempt, "	\
	"scheduled_at, started_at, finished_at, duration_ms, status, "	\
	"exit_code, signal, host, boot_id, supervisor_pid, "		\
	"supervisor_start, error"

int		 history_check(struct lc_history *, char **cause);
sqlite3_stmt	*history_stmt(struct lc_history *, const char *sql,
		     char **cause);
void		 history_set_cause(struct lc_history *, char **cause,
		     const char *what);
int		 history_write_begin(struct lc_history *, char **cause);
int		 history_write_end(struct lc_history *, int ok, char **cause);
int		 history_read_begin(struct lc_history *, char **cause);
void		 history_read_end(struct lc_history *);
int		 history_exec(struct lc_history *, const char *sql,
		     char **cause);
const char	*history_host(struct lc_history *);
const char	*history_boot_id(struct lc_history *);

void		 history_bind_text(sqlite3_stmt *, int, const char *);
void		 history_bind_int64(sqlite3_stmt *, int, int64_t);
int64_t		 history_column_int64(sqlite3_stmt *, int);
char		*history_column_text(sqlite3_stmt *, int);
int		 history_run_from_row(sqlite3_stmt *, struct lc_run *,
		     int with_output, char **cause);

#endif
