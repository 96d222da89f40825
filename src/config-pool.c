/*
 * What jobs share, stored once per config: parsed schedules by their text,
 * lists of schedules, commands, environments, and the strings jobs repeat
 * (shell, user, group, workdir, command words, environment entries). A config of 100,000 jobs
 * holds a few hundred distinct ones; before, each job had its own copies
 * (a parsed schedule alone is about 130 bytes with its text), which made
 * up a quarter of the daemon's memory. Parsing each distinct schedule
 * once also shortens loading. Everything here is immutable once made and
 * owned by the config's priv; jobs only point into it.
 *
 * One open-addressing table per kind, keyed by bytes: a string with its
 * NUL, or an array of pooled pointers (equal contents are then equal
 * pointers, since their elements were pooled first).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "lockcron/cronexpr.h"

static uint64_t
hash_bytes(const void *p, size_t len)
{
	const unsigned char	*b = p;
	uint64_t		 h = 14695981039346656037ULL;	/* FNV-1a */

	while (len-- > 0) {
		h ^= *b++;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* The slot holding key, or the empty one where it belongs. */
static struct cfg_pool_ent *
slot(struct cfg_ptab *t, const void *key, size_t len, uint64_t h)
{
	struct cfg_pool_ent	*e;
	size_t			 i, mask = t->cap - 1;

	for (i = h & mask;; i = (i + 1) & mask) {
		e = &t->v[i];
		if (e->key == NULL || (e->hash == h && e->len == len &&
		    memcmp(e->key, key, len) == 0))
			return (e);
	}
}

/* The value stored under key, or NULL. */
static void *
lookup(struct cfg_ptab *t, const void *key, size_t len)
{
	if (t->cap == 0)
		return (NULL);
	return (slot(t, key, len, hash_bytes(key, len))->val);
}

/* Stores val under key (both owned by the pool from now on). */
static void
insert(struct cfg_ptab *t, const void *key, size_t len, void *val)
{
	struct cfg_pool_ent	*old = t->v, *e;
	size_t			 i, oldcap = t->cap;

	if (2 * (t->n + 1) > t->cap) {
		t->cap = t->cap == 0 ? 64 : 2 * t->cap;
		t->v = xcalloc(t->cap, sizeof *t->v);
		for (i = 0; i < oldcap; i++)
			if (old[i].key != NULL)
				*slot(t, old[i].key, old[i].len,
				    old[i].hash) = old[i];
		free(old);
	}
	e = slot(t, key, len, hash_bytes(key, len));
	e->key = key;
	e->len = len;
	e->hash = hash_bytes(key, len);
	e->val = val;
	t->n++;
}

struct lc_cronexpr *
cfg_pool_cronexpr(struct cfg_pool *p, const char *text, char **cause)
{
	struct lc_cronexpr	*e;
	char			*key;
	size_t			 len = strlen(text) + 1;

	if ((e = lookup(&p->exprs, text, len)) != NULL)
		return (e);
	/* A schedule that does not parse is not kept: each job using it
	 * reports it. */
	if ((e = lc_cronexpr_parse(text, cause)) == NULL)
		return (NULL);
	key = xstrdup(text);
	insert(&p->exprs, key, len, e);
	return (e);
}

/* Replaces *s by the pooled copy of its text. */
static void
pool_str(struct cfg_pool *p, char **s)
{
	char	*v;
	size_t	 len;

	if (*s == NULL)
		return;
	len = strlen(*s) + 1;
	if ((v = lookup(&p->strs, *s, len)) == NULL) {
		insert(&p->strs, *s, len, *s);
		return;
	}
	free(*s);
	*s = v;
}

/* Replaces *array (n pooled pointers, then more if extra) by the pooled
 * array with the same contents. */
static void
pool_array(struct cfg_ptab *t, void *array, size_t len)
{
	void	**a = array, *v;

	if (*a == NULL)
		return;
	if ((v = lookup(t, *a, len)) == NULL) {
		insert(t, *a, len, *a);
		return;
	}
	free(*a);
	*a = v;
}

void
cfg_pool_job(struct cfg_pool *p, struct lc_job *job)
{
	size_t	 i;

	pool_array(&p->lists, &job->schedules,
	    job->nschedules * sizeof *job->schedules);
	pool_str(p, &job->command);
	for (i = 0; job->argv != NULL && job->argv[i] != NULL; i++)
		pool_str(p, &job->argv[i]);
	/* With its NULL, as env below. */
	if (job->argv != NULL)
		pool_array(&p->lists, &job->argv, (i + 1) * sizeof *job->argv);
	pool_str(p, &job->shell);
	pool_str(p, &job->user);
	pool_str(p, &job->group);
	pool_str(p, &job->workdir);
	for (i = 0; i < job->nenv; i++)
		pool_str(p, &job->env[i]);
	/* With its NULL: the array is NULL-terminated for its users. */
	if (job->env != NULL)
		pool_array(&p->envs, &job->env,
		    (job->nenv + 1) * sizeof *job->env);
}

void
cfg_pool_free(struct cfg_pool *p)
{
	size_t	 i;

	for (i = 0; i < p->exprs.cap; i++) {
		if (p->exprs.v[i].key == NULL)
			continue;
		free((void *)p->exprs.v[i].key);
		lc_cronexpr_free(p->exprs.v[i].val);
	}
	for (i = 0; i < p->strs.cap; i++)
		free(p->strs.v[i].val);
	for (i = 0; i < p->lists.cap; i++)
		free(p->lists.v[i].val);
	for (i = 0; i < p->envs.cap; i++)
		free(p->envs.v[i].val);
	free(p->exprs.v);
	free(p->strs.v);
	free(p->lists.v);
	free(p->envs.v);
	memset(p, 0, sizeof *p);
}
