/*
 * Secret values while a run holds them: protected memory (mlock'ed,
 * MADV_DONTDUMP, zeroed before it is unmapped), the set of (key -> value)
 * a keystore returned, the job's VAR=value pairs built inside that memory,
 * a streaming masker for the job's output, and the private directory of
 * secret files.
 *
 * Lifecycle in the supervisor (one run):
 *
 *	lc_secret_protect_process()	once, before anything is fetched
 *	set = lc_keystore_fetch_job()	after the lock, before the fork
 *	env = lc_secret_set_env(set)	VAR=value strings for the job's envp
 *	lc_secret_files_write(set, dir)	dir = lc_secret_dir_path(...)
 *	m = lc_masker_new(set)		every output chunk goes through it
 *	... run the job, lc_masker_feed() each read, lc_masker_flush() ...
 *	lc_masker_free(m); lc_secret_dir_remove(dir); lc_secret_set_free(set)
 */
#ifndef LOCKCRON_SECRET_H
#define LOCKCRON_SECRET_H

#include <stddef.h>
#include <sys/types.h>

#include "lockcron/config.h"
#include "lockcron/util.h"

/* Values shorter than this are not masked (they would mask too much). */
#define LC_MASK_MIN_LEN	4
#define LC_MASK_TEXT	"****"

/*
 * Protected memory. lc_secure_alloc returns zeroed, page-backed memory that
 * is locked (no swap) and left out of core dumps; it never returns NULL
 * (aborts on OOM like xmalloc). A failing mlock is logged once, not fatal.
 * lc_secure_free zeroes the whole mapping before unmapping it; NULL is a
 * no-op. lc_secure_realloc keeps the old contents and zeroes the old block.
 */
void	*lc_secure_alloc(size_t);
void	*lc_secure_realloc(void *, size_t);
void	 lc_secure_free(void *);
/* Tests only: called with each mapping after zeroing, before munmap. */
void	 lc_secure_set_free_hook(void (*)(const void *, size_t));

/* Marks the process non-dumpable (no core, no ptrace by the same user). */
int	 lc_secret_protect_process(char **cause);

/* The set of (key -> value) fetched for one run. Keys are not secret. */
struct lc_secret_set;

struct lc_secret_set	*lc_secret_set_new(void);
void			 lc_secret_set_free(struct lc_secret_set *);
/* Copies value (len bytes, may hold any byte) into protected memory. */
void			 lc_secret_set_add(struct lc_secret_set *,
			     const char *key, const char *value, size_t len);
/* The value (NUL-terminated, in protected memory) or NULL. */
const char		*lc_secret_set_get(const struct lc_secret_set *,
			     const char *key, size_t *len);
size_t			 lc_secret_set_count(const struct lc_secret_set *);
const char		*lc_secret_set_key(const struct lc_secret_set *,
			     size_t i);
/*
 * The job's "VAR=value" strings for secrets->env, NULL-terminated, built in
 * protected memory and owned by the set (valid until lc_secret_set_free).
 * NULL with *cause set when a key is missing from the set or a value holds
 * a NUL byte.
 */
char *const		*lc_secret_set_env(struct lc_secret_set *,
			     const struct lc_job_secrets *, char **cause);

/*
 * Streaming output masker: every occurrence of any value of at least
 * LC_MASK_MIN_LEN bytes becomes LC_MASK_TEXT, whatever the chunking. Up to
 * (longest value - 1) bytes are held back between feeds; lc_masker_flush
 * releases them at the end of the stream. Overlapping or adjacent
 * occurrences are masked as one. The masker keeps its own protected copy
 * of the values, so it may outlive the set.
 */
struct lc_masker;

struct lc_masker	*lc_masker_new(const struct lc_secret_set *);
void			 lc_masker_free(struct lc_masker *);
/* Appends the masked form of as much of data as can be decided to out. */
void			 lc_masker_feed(struct lc_masker *, const void *data,
			     size_t len, struct lc_buf *out);
/* End of stream: appends what was held back. The masker can be reused. */
void			 lc_masker_flush(struct lc_masker *, struct lc_buf *out);
/* Bytes currently held back (for tests and for sizing). */
size_t			 lc_masker_pending(const struct lc_masker *);

/*
 * Secret files: "RUNTIME_DIR/secrets/RUN_ID", created 0700 and owned by
 * uid:gid, holding one file per secrets->files entry (mode from the config,
 * default 0400, owned by uid:gid; contents are the value, no newline).
 * "RUNTIME_DIR/secrets" is created 0711 when missing. On failure nothing is
 * left behind.
 */
char	*lc_secret_dir_path(const char *runtime_dir, const char *run_id);
int	 lc_secret_files_write(const struct lc_secret_set *,
	     const struct lc_job_secrets *, const char *dir, uid_t, gid_t,
	     char **cause);
/* Removes dir and everything in it, never following symlinks; a missing
 * dir is not an error. */
int	 lc_secret_dir_remove(const char *dir, char **cause);

#endif
