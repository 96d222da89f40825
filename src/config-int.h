/*
 * Shared between the config loader's files (config.c, config-file.c,
 * config-value.c, config-job.c, config-keystore.c): the load context, the
 * diagnostics it collects and the typed readers of libconfig settings.
 * Nothing outside src/config*.c includes this header.
 */
#ifndef LOCKCRON_CONFIG_INT_H
#define LOCKCRON_CONFIG_INT_H

#include <sys/stat.h>

#include <libconfig.h>
#include <stdint.h>

#include "lockcron/config.h"
#include "lockcron/util.h"

/* Longest job, keystore or lock name: NAME.lock must fit a file name. */
#define CFG_NAME_MAX		200
/* Largest config file or drop-in read. */
#define CFG_FILE_MAX		(256 * 1024 * 1024)
/* Largest duration accepted anywhere: one year. */
#define CFG_DURATION_MAX	((int64_t)366 * 86400)
/* Largest output tail kept per run. */
#define CFG_BYTES_MAX		((int64_t)64 * 1024 * 1024)

/* One diagnostic; file is an index into the config's files. */
struct cfg_msg {
	size_t	 file;
	int	 line;
	size_t	 seq;		/* order of discovery, for a stable sort */
	int	 warning;
	char	*text;
};

/* A cached lookup: a zone, or a user or group's existence. */
struct cfg_cache_entry {
	char		*name;
	struct lc_tz	*tz;		/* zones: NULL when it failed */
	char		*cause;		/* zones: why it failed */
	int		 found;		/* users and groups */
};

struct cfg_cache {
	struct cfg_cache_entry	*v;
	size_t			 n;
	size_t			 cap;
};

/* Owned data behind lc_config.priv. */
struct cfg_priv {
	struct cfg_cache	 zones;
	size_t			*by_name;	/* job indices sorted by name */
	size_t			 nby_name;
};

/* The state of one lc_config_load(). */
struct cfg_ctx {
	struct lc_config		*cfg;
	struct cfg_priv			*priv;
	const struct lc_config_opts	*opts;

	struct cfg_msg			*msgs;
	size_t				 nmsgs;
	size_t				 msgs_cap;
	int				 quiet;	/* > 0: values from defaults */

	/* The file whose tree is being walked. */
	size_t				 file;		/* its index */
	char				*incdir;	/* its @include base */

	/* What messages are about: "job `x`: ", "defaults: ", "". */
	char				*prefix;
	const config_setting_t		*anchor;	/* paths start below */

	const config_setting_t		*defaults;	/* defaults = {...} */
	int				 defaults_bad;
	int				 in_defaults;	/* checking `defaults` */
	int				 line_offset;	/* of a job chunk */
	int				 system_tz_failed;
	struct cfg_cache		 users;
	struct cfg_cache		 groups;
	size_t				 jobs_cap;
};

/* A key of a group: its handler gets the job's (or global) setting and,
 * for keys that merge with `defaults`, the default's setting. */
struct cfg_key {
	const char	*name;
	void		(*fn)(struct cfg_ctx *, void *,
			    const config_setting_t *,
			    const config_setting_t *);
	int		 merge;		/* fn merges own and default itself */
};

/* config-split.c: the top-level jobs list, cut between elements */
struct cfg_split {
	size_t	 open;		/* its '(' */
	size_t	 close;		/* its ')' */
	size_t	*cuts;		/* the commas where chunks end */
	size_t	 ncuts;
	int	*lines;		/* the first line of each chunk */
	size_t	 nelems;
};
int	 cfg_split_find(const char *, size_t, size_t per, struct cfg_split *);
char	*cfg_split_main(const char *, size_t, const struct cfg_split *);
char	*cfg_split_chunk(const char *, const struct cfg_split *, size_t,
	     int *line);
size_t	 cfg_split_count(const struct cfg_split *);
void	 cfg_split_free(struct cfg_split *);

/* config-file.c: a file being read, its main tree and its job chunks */
struct cfg_text {
	int			 fd;
	struct stat		 st;		/* when it was read */
	char			*text;		/* NULL once the tree is read */
	size_t			 len;
	config_t		*c;		/* the tree, without the chunks */
	struct cfg_split	 split;
	int			 has_split;
	size_t			 next;		/* the next chunk */
	size_t			 base;		/* jobs before it */
	size_t			 mark;		/* messages before this file */
	size_t			 njobs;		/* jobs before this file */
	int			 failed;	/* a chunk had a syntax error */
};
extern size_t	 cfg_chunk_jobs;
struct cfg_text	*cfg_file_open(struct cfg_ctx *, const char *path);
config_t	*cfg_file_chunk(struct cfg_ctx *, struct cfg_text *,
		     size_t *base);
void		 cfg_file_close(struct cfg_ctx *, struct cfg_text *);
void		 cfg_file_done(config_t *);
char		**cfg_file_list_dropins(struct cfg_ctx *, const char *dir,
		     const config_setting_t *where);
size_t		 cfg_file_add(struct cfg_ctx *, const char *path);

/* config-value.c: diagnostics */
size_t	 cfg_setting_file(struct cfg_ctx *, const config_setting_t *);
int	 cfg_setting_line(const struct cfg_ctx *, const config_setting_t *);
size_t	 cfg_file_of(struct cfg_ctx *, const char *lc_name);
void	 cfg_error(struct cfg_ctx *, const config_setting_t *,
	     const char *, ...) LC_PRINTF(3, 4);
void	 cfg_warn(struct cfg_ctx *, const config_setting_t *,
	     const char *, ...) LC_PRINTF(3, 4);
void	 cfg_error_at(struct cfg_ctx *, size_t file, int line,
	     const char *, ...) LC_PRINTF(4, 5);
void	 cfg_warn_at(struct cfg_ctx *, size_t file, int line,
	     const char *, ...) LC_PRINTF(4, 5);
void	 cfg_diag_finish(struct cfg_ctx *, struct lc_config_diag *);
void	 cfg_msgs_truncate(struct cfg_ctx *, size_t);
int	 cfg_nerrors(const struct cfg_ctx *);
void	 cfg_set_prefix(struct cfg_ctx *, const char *, ...) LC_PRINTF(2, 3);
char	*cfg_path(const struct cfg_ctx *, const config_setting_t *);

/* config-value.c: the group walker and typed readers */
void	 cfg_apply(struct cfg_ctx *, const struct cfg_key *, size_t,
	     void *, const config_setting_t *, const config_setting_t *);
void	 cfg_unknown_key(struct cfg_ctx *, const config_setting_t *,
	     const struct cfg_key *, size_t);
const char *cfg_type_name(const config_setting_t *);
int	 cfg_is_int(const config_setting_t *);
int	 cfg_get_string(struct cfg_ctx *, const config_setting_t *,
	     const char **);
int	 cfg_get_nonempty(struct cfg_ctx *, const config_setting_t *,
	     const char **);
int	 cfg_get_int(struct cfg_ctx *, const config_setting_t *, int64_t min,
	     int64_t max, int64_t *);
int	 cfg_get_bool(struct cfg_ctx *, const config_setting_t *, int *);
int	 cfg_get_duration(struct cfg_ctx *, const config_setting_t *,
	     int64_t max, int64_t *);
int	 cfg_get_duration_ms(struct cfg_ctx *, const config_setting_t *,
	     int64_t max, int64_t *);
int	 cfg_get_size(struct cfg_ctx *, const config_setting_t *, int64_t max,
	     int64_t *);
int	 cfg_get_abspath(struct cfg_ctx *, const config_setting_t *, char **);
int	 cfg_get_enum(struct cfg_ctx *, const config_setting_t *,
	     const char *const *, int *);
int	 cfg_get_mode(struct cfg_ctx *, const config_setting_t *, mode_t max,
	     const char *example, mode_t *);
int	 cfg_need_group(struct cfg_ctx *, const config_setting_t *);
int	 cfg_need_list(struct cfg_ctx *, const config_setting_t *);
int	 cfg_valid_name(const char *);
int	 cfg_valid_env_name(const char *);
const char *cfg_closest(const char *, const char *const *, size_t);
void	 cfg_set_str(char **, const char *);

/* config-cache.c */
struct cfg_cache_entry *cfg_cache_find(struct cfg_cache *, const char *);
struct cfg_cache_entry *cfg_cache_add(struct cfg_cache *, const char *);
void	 cfg_cache_free(struct cfg_cache *);
const struct lc_tz *cfg_zone(struct cfg_ctx *, const char *, char **);
int	 cfg_user_exists(struct cfg_ctx *, const char *);
int	 cfg_group_exists(struct cfg_ctx *, const char *);

/* config-job.c */
void	 cfg_jobs_parse(struct cfg_ctx *, const config_setting_t *, size_t);
void	 cfg_jobs_reserve(struct cfg_ctx *, size_t);
void	 cfg_jobs_truncate(struct cfg_ctx *, size_t);
void	 cfg_defaults_check(struct cfg_ctx *, const config_setting_t *);
void	 cfg_jobs_finish(struct cfg_ctx *);
void	 cfg_job_clear(struct lc_job *);

/* config-keystore.c */
void	 cfg_keystores_parse(struct cfg_ctx *, const config_setting_t *);
void	 cfg_keystore_clear(struct lc_keystore_conf *);
void	 cfg_job_secrets(struct cfg_ctx *, void *, const config_setting_t *,
	     const config_setting_t *);
void	 cfg_job_notify(struct cfg_ctx *, void *, const config_setting_t *,
	     const config_setting_t *);
void	 cfg_secrets_check(struct cfg_ctx *, const struct lc_job *,
	     const config_setting_t *, const config_setting_t *,
	     const config_setting_t *);
void	 cfg_secrets_clear(struct lc_job_secrets *);
void	 cfg_notify_clear(struct lc_notify *);
void	 cfg_notify_clear_on(struct lc_notify *);

#endif
