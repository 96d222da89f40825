/*
 * Small helpers shared by every module: allocation that never returns NULL,
 * string building, and the clock.
 */
#ifndef LOCKCRON_UTIL_H
#define LOCKCRON_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LC_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: abort with a message on OOM, so no call site drops work. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) LC_PRINTF(2, 3);
int	 xvasprintf(char **, const char *, va_list) LC_PRINTF(2, 0);

/* Sets *cause (when cause is not NULL) to a formatted, allocated message. */
void	 lc_set_cause(char **cause, const char *fmt, ...) LC_PRINTF(2, 3);

/* A growable byte buffer, always NUL-terminated. */
struct lc_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 lc_buf_add(struct lc_buf *, const void *, size_t);
void	 lc_buf_addstr(struct lc_buf *, const char *);
void	 lc_buf_printf(struct lc_buf *, const char *, ...) LC_PRINTF(2, 3);
char	*lc_buf_steal(struct lc_buf *);
void	 lc_buf_free(struct lc_buf *);

/* Wall clock in milliseconds since the epoch (UTC). */
int64_t	 lc_now_ms(void);
/* Monotonic clock in milliseconds. */
int64_t	 lc_mono_ms(void);

/*
 * Before forking children that will allocate: has malloc sort the free
 * chunks the process left unsorted, so that each child does not (see
 * util.c). No-op without glibc.
 */
void	 lc_heap_settle(void);

/* mkdir -p: creates dir and its missing parents, each new one with mode
 * (whatever the umask). 0, or -1 with *cause. */
int	 lc_mkdir_p(const char *dir, mode_t mode, char **cause);

/* Parses a whole base-10 integer in [min, max]; 0 on success. */
int	 lc_parse_int(const char *, long long min, long long max,
	     long long *out);

/* A URL's host (IPv6 in brackets) that is this machine: 127.0.0.0/8, ::1
 * or localhost. */
int	 lc_host_is_loopback(const char *host);

#endif
