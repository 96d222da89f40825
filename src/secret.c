/*
 * Secret values while a run holds them: protected memory, the set of
 * fetched values, the job's VAR=value pairs, the non-dumpable switch, the
 * streaming output masker and the private directory of secret files.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/log.h"
#include "lockcron/secret.h"

/* Each mapping starts with this header; the caller's memory follows. */
struct secure_hdr {
	size_t	 maplen;
	size_t	 size;
};
#define SECURE_HDR	16

/* One block of the set's arena. */
struct chunk {
	char	*mem;
	size_t	 used;
	size_t	 cap;
};

struct secret {
	char	*key;		/* ordinary heap: key names are not secret */
	char	*value;		/* in the arena, NUL-terminated */
	size_t	 len;
};

struct lc_secret_set {
	struct secret	*items;
	size_t		 n;
	struct chunk	*chunks;
	size_t		 nchunks;
};

static void	(*secure_free_hook)(const void *, size_t);
static int	  secure_lock_warned;

/* Protected memory cannot be had: as with xmalloc, stop. */
static void __attribute__((noreturn))
secure_oom(size_t size)
{
	fprintf(stderr, "lockcron: cannot map %zu bytes of secret memory: %s\n",
	    size, strerror(errno));
	abort();
}

void *
lc_secure_alloc(size_t size)
{
	struct secure_hdr	*h;
	size_t			 pg, maplen;
	void			*base;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (size > SIZE_MAX - SECURE_HDR - pg)
		secure_oom(size);
	maplen = (size + SECURE_HDR + pg - 1) / pg * pg;
	base = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		secure_oom(size);
	/* Best effort: a kernel or rlimit that refuses is worth one line. */
	if ((madvise(base, maplen, MADV_DONTDUMP) != 0 ||
	    mlock(base, maplen) != 0) && !secure_lock_warned) {
		secure_lock_warned = 1;
		log_warn("secret memory could not be locked or excluded from "
		    "core dumps (%s); check RLIMIT_MEMLOCK", strerror(errno));
	}
	h = base;
	h->maplen = maplen;
	h->size = size;
	return ((char *)base + SECURE_HDR);
}

void
lc_secure_free(void *p)
{
	struct secure_hdr	*h;
	size_t			 maplen;

	if (p == NULL)
		return;
	h = (struct secure_hdr *)((char *)p - SECURE_HDR);
	maplen = h->maplen;
	explicit_bzero(h, maplen);
	if (secure_free_hook != NULL)
		secure_free_hook(h, maplen);
	munlock(h, maplen);
	munmap(h, maplen);
}

void *
lc_secure_realloc(void *p, size_t size)
{
	struct secure_hdr	*h;
	void			*n;

	if (p == NULL)
		return (lc_secure_alloc(size));
	h = (struct secure_hdr *)((char *)p - SECURE_HDR);
	if (size <= h->maplen - SECURE_HDR) {
		h->size = size;
		return (p);
	}
	n = lc_secure_alloc(size);
	memcpy(n, p, h->size < size ? h->size : size);
	lc_secure_free(p);
	return (n);
}

void
lc_secure_set_free_hook(void (*hook)(const void *, size_t))
{
	secure_free_hook = hook;
}

/*
 * A non-dumpable process leaves no core and cannot be read through ptrace
 * or /proc/PID/mem by its own user. It is reset by execve, so the job is
 * unaffected.
 */
int
lc_secret_protect_process(char **cause)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		lc_set_cause(cause, "prctl(PR_SET_DUMPABLE): %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

struct lc_secret_set *
lc_secret_set_new(void)
{
	return (xcalloc(1, sizeof(struct lc_secret_set)));
}

void
lc_secret_set_free(struct lc_secret_set *set)
{
	size_t	 i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nchunks; i++)
		lc_secure_free(set->chunks[i].mem);
	for (i = 0; i < set->n; i++)
		free(set->items[i].key);
	free(set->chunks);
	free(set->items);
	free(set);
}

/* Carves size bytes (8-aligned) out of the set's protected arena. */
static void *
arena_alloc(struct lc_secret_set *set, size_t size)
{
	struct chunk	*c;
	size_t		 cap;
	void		*p;

	size = (size + 7) & ~(size_t)7;
	c = set->nchunks > 0 ? &set->chunks[set->nchunks - 1] : NULL;
	if (c == NULL || c->cap - c->used < size) {
		cap = size > 4096 - SECURE_HDR ? size : 4096 - SECURE_HDR;
		set->chunks = xreallocarray(set->chunks, set->nchunks + 1,
		    sizeof *set->chunks);
		c = &set->chunks[set->nchunks++];
		c->mem = lc_secure_alloc(cap);
		c->used = 0;
		c->cap = cap;
	}
	p = c->mem + c->used;
	c->used += size;
	return (p);
}

static struct secret *
set_find(const struct lc_secret_set *set, const char *key)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		if (strcmp(set->items[i].key, key) == 0)
			return (&set->items[i]);
	}
	return (NULL);
}

void
lc_secret_set_add(struct lc_secret_set *set, const char *key,
    const char *value, size_t len)
{
	struct secret	*s;

	if ((s = set_find(set, key)) == NULL) {
		set->items = xreallocarray(set->items, set->n + 1,
		    sizeof *set->items);
		s = &set->items[set->n++];
		s->key = xstrdup(key);
	} else
		explicit_bzero(s->value, s->len);
	s->value = arena_alloc(set, len + 1);
	memcpy(s->value, value, len);
	s->value[len] = '\0';
	s->len = len;
}

const char *
lc_secret_set_get(const struct lc_secret_set *set, const char *key,
    size_t *len)
{
	struct secret	*s;

	if ((s = set_find(set, key)) == NULL)
		return (NULL);
	if (len != NULL)
		*len = s->len;
	return (s->value);
}

size_t
lc_secret_set_count(const struct lc_secret_set *set)
{
	return (set->n);
}

const char *
lc_secret_set_key(const struct lc_secret_set *set, size_t i)
{
	return (i < set->n ? set->items[i].key : NULL);
}

char *const *
lc_secret_set_env(struct lc_secret_set *set, const struct lc_job_secrets *js,
    char **cause)
{
	struct secret	*s;
	char		**env;
	size_t		  i, vlen;

	env = arena_alloc(set, (js->nenv + 1) * sizeof *env);
	for (i = 0; i < js->nenv; i++) {
		if ((s = set_find(set, js->env[i].key)) == NULL) {
			lc_set_cause(cause, "secret key \"%s\" (for %s) was "
			    "not fetched", js->env[i].key, js->env[i].var);
			return (NULL);
		}
		if (strlen(s->value) != s->len) {
			lc_set_cause(cause, "secret key \"%s\" holds a NUL "
			    "byte and cannot be put in %s", s->key,
			    js->env[i].var);
			return (NULL);
		}
		vlen = strlen(js->env[i].var);
		env[i] = arena_alloc(set, vlen + 1 + s->len + 1);
		memcpy(env[i], js->env[i].var, vlen);
		env[i][vlen] = '=';
		memcpy(env[i] + vlen + 1, s->value, s->len + 1);
	}
	env[i] = NULL;
	return (env);
}

/* One value to mask, in the masker's own protected memory. */
struct pattern {
	const unsigned char	*p;
	size_t			 len;
};

struct lc_masker {
	struct pattern	*pats;		/* longest first */
	size_t		 npats;
	size_t		 maxlen;
	unsigned char	 first[256];	/* bytes that can start a value */
	unsigned char	*store;		/* the values, protected */
	unsigned char	*work;		/* held-back bytes + next input */
	size_t		 held;		/* bytes held back in work */
	size_t		 skip;		/* bytes still inside a masked span */
};

static int
pattern_cmp(const void *a, const void *b)
{
	const struct pattern	*x = a, *y = b;

	if (x->len != y->len)
		return (x->len < y->len ? 1 : -1);
	return (memcmp(x->p, y->p, x->len));
}

struct lc_masker *
lc_masker_new(const struct lc_secret_set *set)
{
	struct lc_masker	*m;
	size_t			 i, total = 0, off = 0, n = 0;

	m = xcalloc(1, sizeof *m);
	for (i = 0; i < set->n; i++) {
		if (set->items[i].len >= LC_MASK_MIN_LEN)
			total += set->items[i].len;
	}
	if (total == 0)
		return (m);
	m->store = lc_secure_alloc(total);
	m->pats = xreallocarray(NULL, set->n, sizeof *m->pats);
	for (i = 0; i < set->n; i++) {
		if (set->items[i].len < LC_MASK_MIN_LEN)
			continue;
		memcpy(m->store + off, set->items[i].value, set->items[i].len);
		m->pats[n].p = m->store + off;
		m->pats[n++].len = set->items[i].len;
		off += set->items[i].len;
	}
	qsort(m->pats, n, sizeof *m->pats, pattern_cmp);
	for (i = 0; i < n; i++) {
		if (m->npats > 0 && pattern_cmp(&m->pats[m->npats - 1],
		    &m->pats[i]) == 0)
			continue;	/* the same value under two keys */
		m->pats[m->npats++] = m->pats[i];
		m->first[m->pats[i].p[0]] = 1;
	}
	m->maxlen = m->pats[0].len;
	m->work = lc_secure_alloc(2 * m->maxlen);
	return (m);
}

void
lc_masker_free(struct lc_masker *m)
{
	if (m == NULL)
		return;
	lc_secure_free(m->store);
	lc_secure_free(m->work);
	free(m->pats);
	free(m);
}

size_t
lc_masker_pending(const struct lc_masker *m)
{
	return (m->held);
}

/*
 * Length of the longest value starting at p (rem bytes available), 0 for
 * none. *undecided is set when, the stream not being over, a value longer
 * than rem could still start here: the answer must wait for more bytes.
 */
static size_t
match_at(const struct lc_masker *m, const unsigned char *p, size_t rem,
    int final, int *undecided)
{
	const struct pattern	*pat;
	size_t			 i;

	*undecided = 0;
	for (i = 0; i < m->npats; i++) {
		pat = &m->pats[i];
		if (pat->len > rem) {
			if (!final && memcmp(pat->p, p, rem) == 0) {
				*undecided = 1;
				return (0);
			}
		} else if (memcmp(pat->p, p, pat->len) == 0)
			return (pat->len);	/* longest first */
	}
	return (0);
}

/*
 * Masks positions [from, upto) of p[0, n), appending to out. Stops early
 * at the first position that cannot be decided yet; returns where it
 * stopped. A masked span covers the union of every occurrence found, so
 * overlapping values leave no fragment behind.
 */
static size_t
scan(struct lc_masker *m, const unsigned char *p, size_t n, size_t from,
    size_t upto, int final, struct lc_buf *out)
{
	size_t	 i, run = from, len;
	int	 undecided;

	for (i = from; i < upto; i++) {
		len = 0;
		if (m->first[p[i]]) {
			len = match_at(m, p + i, n - i, final, &undecided);
			if (undecided)
				break;
		}
		if (len > 0 && m->skip == 0) {
			lc_buf_add(out, p + run, i - run);
			lc_buf_add(out, LC_MASK_TEXT, sizeof LC_MASK_TEXT - 1);
			run = i;
		}
		if (len > m->skip)
			m->skip = len;
		if (m->skip > 0) {
			lc_buf_add(out, p + run, i - run);
			run = i + 1;
			m->skip--;
		}
	}
	lc_buf_add(out, p + run, i - run);
	return (i);
}

void
lc_masker_feed(struct lc_masker *m, const void *data, size_t len,
    struct lc_buf *out)
{
	const unsigned char	*p = data;
	size_t			 k, s, held;

	if (m->npats == 0) {
		lc_buf_add(out, data, len);
		return;
	}
	if (m->held > 0) {
		/* Decide the held-back bytes with enough of the new input. */
		held = m->held;
		k = len < m->maxlen ? len : m->maxlen;
		memcpy(m->work + held, p, k);
		s = scan(m, m->work, held + k, 0, held, 0, out);
		if (s < held) {
			/* Still undecided: all of the input fit in work. */
			memmove(m->work, m->work + s, held + k - s);
			m->held = held + k - s;
			return;
		}
		m->held = 0;
	}
	s = scan(m, p, len, 0, len, 0, out);
	memcpy(m->work, p + s, len - s);
	m->held = len - s;
}

void
lc_masker_flush(struct lc_masker *m, struct lc_buf *out)
{
	if (m->npats == 0)
		return;
	scan(m, m->work, m->held, 0, m->held, 1, out);
	explicit_bzero(m->work, 2 * m->maxlen);
	m->held = 0;
	m->skip = 0;
}

char *
lc_secret_dir_path(const char *runtime_dir, const char *run_id)
{
	char	*path;

	xasprintf(&path, "%s/secrets/%s", runtime_dir, run_id);
	return (path);
}

/*
 * "RUNTIME_DIR/secrets": ours, not writable by anyone else, and 0711 so a
 * job's user can reach its own directory without listing the others.
 */
static int
make_parent(const char *dir, char **cause)
{
	struct stat	 sb;
	char		*copy, *parent;
	int		 ret = -1;

	copy = xstrdup(dir);
	parent = dirname(copy);
	if (mkdir(parent, 0711) == 0 && chmod(parent, 0711) != 0) {
		lc_set_cause(cause, "chmod %s: %s", parent, strerror(errno));
		goto out;
	}
	if (lstat(parent, &sb) != 0) {
		lc_set_cause(cause, "cannot create %s: %s", parent,
		    strerror(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		lc_set_cause(cause, "%s must be a directory owned by uid %ld "
		    "and writable by no one else", parent, (long)geteuid());
		goto out;
	}
	ret = 0;
out:
	free(copy);
	return (ret);
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Writes one secret file inside the (still private) directory dfd. */
static int
write_file(int dfd, const char *dir, const struct lc_secret_file *f,
    const struct lc_secret_set *set, uid_t uid, gid_t gid, char **cause)
{
	const char	*value;
	size_t		 len;
	mode_t		 mode;
	int		 fd;

	if (f->name[0] == '\0' || strchr(f->name, '/') != NULL ||
	    strcmp(f->name, ".") == 0 || strcmp(f->name, "..") == 0) {
		lc_set_cause(cause, "invalid secret file name \"%s\"", f->name);
		return (-1);
	}
	if ((value = lc_secret_set_get(set, f->key, &len)) == NULL) {
		lc_set_cause(cause, "secret key \"%s\" (for file %s) was not "
		    "fetched", f->key, f->name);
		return (-1);
	}
	mode = f->mode != 0 ? (f->mode & 0777) : 0400;
	fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		lc_set_cause(cause, "cannot create %s/%s: %s", dir, f->name,
		    strerror(errno));
		return (-1);
	}
	if (write_all(fd, value, len) != 0 || fchown(fd, uid, gid) != 0 ||
	    fchmod(fd, mode) != 0) {
		lc_set_cause(cause, "cannot write %s/%s: %s", dir, f->name,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if (close(fd) != 0) {
		lc_set_cause(cause, "cannot write %s/%s: %s", dir, f->name,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * The directory stays ours (0700) while the files are written and is given
 * to the job's user last, so that user never sees a half-written file.
 */
int
lc_secret_files_write(const struct lc_secret_set *set,
    const struct lc_job_secrets *js, const char *dir, uid_t uid, gid_t gid,
    char **cause)
{
	size_t	 i;
	int	 dfd;

	if (make_parent(dir, cause) != 0)
		return (-1);
	if (mkdir(dir, 0700) != 0) {
		lc_set_cause(cause, "cannot create %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1) {
		lc_set_cause(cause, "cannot open %s: %s", dir, strerror(errno));
		goto fail;
	}
	for (i = 0; i < js->nfiles; i++) {
		if (write_file(dfd, dir, &js->files[i], set, uid, gid,
		    cause) != 0)
			goto fail;
	}
	if (fchown(dfd, uid, gid) != 0 || fchmod(dfd, 0700) != 0) {
		lc_set_cause(cause, "cannot give %s to %ld:%ld: %s", dir,
		    (long)uid, (long)gid, strerror(errno));
		goto fail;
	}
	close(dfd);
	return (0);
fail:
	if (dfd != -1)
		close(dfd);
	lc_secret_dir_remove(dir, NULL);
	return (-1);
}

/*
 * Opens the directory name (relative to dfd) for removal, never through a
 * symlink. The job owns its directory and may have taken our permissions
 * away (chmod 0500, 0000): when it is ours, they are given back first,
 * through /proc on an O_PATH descriptor so that what is changed is what
 * was opened.
 */
static int
open_dir(int dfd, const char *name)
{
	struct stat	 sb;
	char		 proc[64];
	int		 pfd, fd, saved;

	pfd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd == -1)
		return (-1);
	if (fstat(pfd, &sb) == 0 && sb.st_uid == geteuid() &&
	    (sb.st_mode & 0700) != 0700) {
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
		(void)chmod(proc, 0700);
	}
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	close(pfd);
	errno = saved;
	return (fd);
}

/*
 * Empties the directory dfd: files and symlinks are unlinked (never
 * followed), subdirectories the job made are emptied and removed.
 */
static int
remove_tree(int dfd, const char *dir, int depth, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, sub, ret = 0;

	if (depth > 32) {
		lc_set_cause(cause, "cannot remove %s: nested too deep", dir);
		return (-1);
	}
	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1)
		d = NULL;
	else if ((d = fdopendir(fd)) == NULL)
		close(fd);
	if (d == NULL) {
		lc_set_cause(cause, "cannot read %s: %s", dir, strerror(errno));
		return (-1);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR &&
		    (sub = open_dir(dfd, de->d_name)) != -1) {
			if (remove_tree(sub, dir, depth + 1,
			    ret == 0 ? cause : NULL) != 0)
				ret = -1;
			close(sub);
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0)
				continue;
		}
		if (ret == 0)
			lc_set_cause(cause, "cannot remove %s/%s: %s", dir,
			    de->d_name, strerror(errno));
		ret = -1;
	}
	closedir(d);
	return (ret);
}

int
lc_secret_dir_remove(const char *dir, char **cause)
{
	int	 dfd, ret;

	dfd = open_dir(AT_FDCWD, dir);
	if (dfd == -1) {
		if (errno == ENOENT)
			return (0);
		lc_set_cause(cause, "cannot open %s: %s", dir, strerror(errno));
		return (-1);
	}
	ret = remove_tree(dfd, dir, 0, cause);
	close(dfd);
	if (ret != 0)
		return (-1);
	if (rmdir(dir) != 0 && errno != ENOENT) {
		lc_set_cause(cause, "cannot remove %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	return (0);
}
