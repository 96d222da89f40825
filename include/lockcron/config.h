/*
 * The configuration: a libconfig file plus a drop-in directory, validated
 * completely into an immutable table of jobs. Every problem is reported as
 * "FILE:LINE: message", all of them, sorted by file and line.
 *
 * The structs are public because the supervisor, the scheduler and the
 * keystore read many of their fields; nothing outside config.c writes them.
 */
#ifndef LOCKCRON_CONFIG_H
#define LOCKCRON_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockcron/cronexpr.h"
#include "lockcron/log.h"
#include "lockcron/tz.h"

enum lc_overlap {
	LC_OVERLAP_SKIP = 0,	/* lock busy: the run is skipped */
	LC_OVERLAP_WAIT		/* wait up to lock_wait seconds */
};

enum lc_catch_up {
	LC_CATCH_UP_NONE = 0,
	LC_CATCH_UP_ONCE	/* one run for the latest missed fire */
};

enum lc_keystore_type {
	LC_KEYSTORE_VAULT_KV2 = 0,
	LC_KEYSTORE_HTTP_JSON,
	LC_KEYSTORE_FILE
};

/* keystores = ( { name = "vault"; type = "vault-kv2"; ... } ); */
struct lc_keystore_conf {
	char			*name;
	enum lc_keystore_type	 type;
	char			*url;		/* vault-kv2, http-json */
	char			*mount;		/* vault-kv2, default "secret" */
	char			*vault_namespace; /* X-Vault-Namespace or NULL */
	char			*token_file;	/* NULL: no token */
	char			*file;		/* type "file": the JSON file */
	char			*ca_file;
	char			*cert_file;
	char			*key_file;
	int64_t			 timeout_ms;	/* total, default 10 s */
	int64_t			 connect_timeout_ms; /* default 3 s */
	int			 retries;	/* default 2 */
	const char		*src_file;	/* where it was defined */
	int			 src_line;
};

struct lc_secret_env {
	char	*var;			/* environment variable */
	char	*key;			/* key in the keystore's answer */
};

struct lc_secret_file {
	char	*name;			/* file name inside the secrets dir */
	char	*key;
	mode_t	 mode;			/* default 0400 */
};

/* secrets = { keystore = "..."; path = "..."; env = {...}; files = (...); } */
struct lc_job_secrets {
	const struct lc_keystore_conf	*keystore;	/* NULL: no secrets */
	char				*path;
	struct lc_secret_env		*env;
	size_t				 nenv;
	struct lc_secret_file		*files;
	size_t				 nfiles;
};

struct lc_retries {
	int	 count;			/* extra attempts after the first */
	int64_t	 delay;			/* seconds before the first retry */
	double	 backoff;		/* multiplier per further attempt */
	int64_t	 max_delay;		/* seconds; 0 = no cap */
};

/* notify = { on = [...]; webhook = "..."; mail = "..."; ping = "..."; } */
struct lc_notify {
	char	**on;			/* run statuses that notify */
	size_t	  non;
	char	 *webhook;
	char	 *mail;
	char	 *ping;
};

struct lc_job {
	char			 *name;
	struct lc_cronexpr	**schedules;
	size_t			  nschedules;
	const struct lc_tz	 *tz;		/* owned by the config */
	char			 *command;	/* run as: shell -c command */
	char			**argv;		/* or directly: NULL-terminated */
	char			 *shell;	/* default /bin/sh */
	char			 *user;		/* NULL: the daemon's user */
	char			 *group;	/* NULL: the user's group */
	char			 *workdir;	/* NULL: the user's home */
	char			**env;		/* "NAME=value", NULL-terminated */
	size_t			  nenv;
	int			  has_umask;
	mode_t			  umask;
	int			  nice;
	char			 *stdin_text;	/* NULL: /dev/null */
	char			 *lock_path;	/* absolute */
	enum lc_overlap		  overlap;
	int64_t			  lock_wait;	/* seconds */
	int64_t			  timeout;	/* seconds, 0 = none */
	int64_t			  kill_grace;	/* seconds, default 10 */
	struct lc_retries	  retries;
	enum lc_catch_up	  catch_up;
	int64_t			  jitter;	/* seconds */
	int			  enabled;
	struct lc_job_secrets	  secrets;
	struct lc_notify	  notify;
	int64_t			  keep_bytes;	/* output tail kept in history */
	char			 *output_file;	/* NULL: none */
	const char		 *src_file;	/* where it was defined */
	int			  src_line;
};

struct lc_config {
	char			 *path;		/* the main file */
	char			**files;	/* every file read, in order */
	size_t			  nfiles;
	char			 *state_dir;
	char			 *lock_dir;
	char			 *runtime_dir;
	char			 *include_dir;	/* NULL: none */
	char			 *timezone;	/* NULL: the system's zone */
	char			 *log;		/* "syslog", "stderr" or a path */
	enum lc_log_level	  log_level;
	int			  max_parallel;	/* 0 = unlimited */
	char			 *history_group;
	int64_t			  keep_days;	/* 0 = forever */
	int64_t			  keep_runs;	/* per job, 0 = all */
	int64_t			  output_bytes;	/* default keep_bytes */
	struct lc_keystore_conf	 *keystores;
	size_t			  nkeystores;
	struct lc_job		 *jobs;		/* in file order */
	size_t			  njobs;
	void			 *priv;		/* zones and other owned data */
};

/*
 * Problems found while loading; each message is "FILE:LINE: text" (or
 * "FILE: text" about a whole file), warnings "FILE:LINE: warning: text".
 * all holds both kinds together, in file and line order, for printing.
 */
struct lc_config_diag {
	char	**errors;
	size_t	  nerrors;
	char	**warnings;
	size_t	  nwarnings;
	char	**all;
	size_t	  nall;
};

/* How the file is loaded. */
struct lc_config_opts {
	int		 as_root;	/* root's defaults and ownership checks */
	/* The main file's global settings only: no jobs, no keystores, no
	 * drop-ins (the history readers need only state_dir). */
	int		 globals_only;
	/* When set, the file named replace_path (exactly as the loader names
	 * it: the main path as given, drop-ins as include_dir/NAME) is read
	 * from replace_with instead, and messages still name replace_path:
	 * `lockcron edit` checks an edited copy in place of the original. */
	const char	*replace_path;
	const char	*replace_with;
};

/* The default config file: /etc/lockcron.conf as root, else
 * $XDG_CONFIG_HOME/lockcron/lockcron.conf; $LOCKCRON_CONFIG overrides. */
char			*lc_config_default_path(int as_root);
/* The default state_dir: /var/lib/lockcron as root, else
 * $XDG_STATE_HOME/lockcron. */
char			*lc_config_default_state_dir(int as_root);
/*
 * Loads and validates path and its include_dir. Returns NULL when any error
 * was found; diag (when not NULL) receives every error and warning.
 */
struct lc_config	*lc_config_load(const char *path,
			     const struct lc_config_opts *,
			     struct lc_config_diag *diag);
void			 lc_config_free(struct lc_config *);
void			 lc_config_diag_clear(struct lc_config_diag *);
const struct lc_job	*lc_config_find_job(const struct lc_config *,
			     const char *name);

#endif
