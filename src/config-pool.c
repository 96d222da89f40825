/*
 * What jobs share, stored once per config: parsed schedules by their text,
 * lists of schedules, commands run directly, environments, and the strings
 * jobs repeat (shell, user, group, workdir, command words, environment
 * entries). A config of 100,000 jobs often holds a few hundred distinct
 * ones; before, each job had its own copies (a parsed schedule alone is
 * about 130 bytes with its text). Parsing each distinct schedule once also
 * shortens loading. Everything here is immutable once made and owned by
 * the config's priv; jobs only point into it.
 *
 * Values that are each a job's own (a unique environment entry, a command
 * word with the job's shard number) cost a slot here for nothing, so the
 * tables are lean: open addressing of bare pointers, the key read from
 * the value itself, up to three quarters full. Lists are NULL-terminated
 * arrays of pooled pointers: equal contents are then equal pointers.
 * Shell command strings, nearly always a job's own, are not pooled.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "lockcron/cronexpr.h"

/* What a table holds: how to find a value's key. */
enum kind {
	K_STR,		/* the string itself */
	K_EXPR,		/* a cronexpr: its text */
	K_LIST		/* a NULL-terminated array of pointers */
};

static uint64_t
fnv(const void *p, size_t len)
{
	const unsigned char	*b = p;
	uint64_t		 h = 14695981039346656037ULL;	/* FNV-1a */

	while (len-- > 0) {
		h ^= *b++;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* A key's bytes: the string with its NUL, or the list with its NULL. */
static size_t
key_len(enum kind k, const void *key)
{
	const void *const	*l = key;
	size_t			 n = 0;

	if (k != K_LIST)
		return (strlen(key) + 1);
	while (l[n] != NULL)
		n++;
	return ((n + 1) * sizeof *l);
}

/* The key of a stored value. */
static const void *
key_of(enum kind k, void *val)
{
	return (k == K_EXPR ? lc_cronexpr_text(val) : val);
}

/* The slot holding key (len bytes), or the empty one where it goes. */
static void **
slot(struct cfg_ptab *t, enum kind k, const void *key, size_t len)
{
	const void	*vk;
	size_t		 i, mask = t->cap - 1;

	for (i = fnv(key, len) & mask; t->v[i] != NULL; i = (i + 1) & mask) {
		vk = key_of(k, t->v[i]);
		if (key_len(k, vk) == len && memcmp(vk, key, len) == 0)
			break;
	}
	return (&t->v[i]);
}

/* The value stored under key, or NULL. */
static void *
lookup(struct cfg_ptab *t, enum kind k, const void *key)
{
	if (t->cap == 0)
		return (NULL);
	return (*slot(t, k, key, key_len(k, key)));
}

/* Stores val (owned by the pool from now on); its key is not there. */
static void
insert(struct cfg_ptab *t, enum kind k, void *val)
{
	void		**old = t->v;
	const void	 *key;
	size_t		  i, oldcap = t->cap;

	if (4 * (t->n + 1) > 3 * t->cap) {
		t->cap = t->cap == 0 ? 64 : 2 * t->cap;
		t->v = xcalloc(t->cap, sizeof *t->v);
		for (i = 0; i < oldcap; i++) {
			if (old[i] == NULL)
				continue;
			key = key_of(k, old[i]);
			*slot(t, k, key, key_len(k, key)) = old[i];
		}
		free(old);
	}
	key = key_of(k, val);
	*slot(t, k, key, key_len(k, key)) = val;
	t->n++;
}

struct lc_cronexpr *
cfg_pool_cronexpr(struct cfg_pool *p, const char *text, char **cause)
{
	struct lc_cronexpr	*e, *have;

	if ((e = lookup(&p->exprs, K_EXPR, text)) != NULL)
		return (e);
	/* A schedule that does not parse is not kept: each job using it
	 * reports it. */
	if ((e = lc_cronexpr_parse(text, cause)) == NULL)
		return (NULL);
	/* Stored under its own text: the same, but for blanks around a
	 * lone @reboot, which is then parsed again and found here. */
	if ((have = lookup(&p->exprs, K_EXPR, lc_cronexpr_text(e))) != NULL) {
		lc_cronexpr_free(e);
		return (have);
	}
	insert(&p->exprs, K_EXPR, e);
	return (e);
}

/* Replaces *v (a string, or a list of pooled pointers) by the pooled
 * copy of its contents, freeing it when there was one. */
static void
pool(struct cfg_ptab *t, enum kind k, void *v)
{
	void	**p = v, *have;

	if (*p == NULL)
		return;
	if ((have = lookup(t, k, *p)) == NULL) {
		insert(t, k, *p);
		return;
	}
	free(*p);
	*p = have;
}

void
cfg_pool_job(struct cfg_pool *p, struct lc_job *job)
{
	size_t	 i;

	pool(&p->lists, K_LIST, &job->schedules);
	for (i = 0; job->argv != NULL && job->argv[i] != NULL; i++)
		pool(&p->strs, K_STR, &job->argv[i]);
	pool(&p->lists, K_LIST, &job->argv);
	pool(&p->strs, K_STR, &job->shell);
	pool(&p->strs, K_STR, &job->user);
	pool(&p->strs, K_STR, &job->group);
	pool(&p->strs, K_STR, &job->workdir);
	for (i = 0; i < job->nenv; i++)
		pool(&p->strs, K_STR, &job->env[i]);
	pool(&p->lists, K_LIST, &job->env);
}

void
cfg_pool_free(struct cfg_pool *p)
{
	size_t	 i;

	for (i = 0; i < p->exprs.cap; i++)
		lc_cronexpr_free(p->exprs.v[i]);
	for (i = 0; i < p->strs.cap; i++)
		free(p->strs.v[i]);
	for (i = 0; i < p->lists.cap; i++)
		free(p->lists.v[i]);
	free(p->exprs.v);
	free(p->strs.v);
	free(p->lists.v);
	memset(p, 0, sizeof *p);
}
