/*
 * Lookups the loader makes once per distinct name, however many jobs ask:
 * time zones (each read once per config and owned by it) and the existence
 * of users and groups (NSS can be slow, and 100,000 jobs share a few).
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"

struct cfg_cache_entry *
cfg_cache_find(struct cfg_cache *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return (&c->v[i]);
	return (NULL);
}

struct cfg_cache_entry *
cfg_cache_add(struct cfg_cache *c, const char *name)
{
	struct cfg_cache_entry	*e;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 8 : c->cap * 2;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	e = &c->v[c->n++];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(name);
	return (e);
}

void
cfg_cache_free(struct cfg_cache *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		lc_tz_free(c->v[i].tz);
		free(c->v[i].cause);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* The zone named name (NULL: the system's), loaded once per config. */
const struct lc_tz *
cfg_zone(struct cfg_ctx *ctx, const char *name, char **cause)
{
	struct cfg_cache_entry	*e;
	const char		*key = name != NULL ? name : "";

	if ((e = cfg_cache_find(&ctx->priv->zones, key)) == NULL) {
		e = cfg_cache_add(&ctx->priv->zones, key);
		e->tz = lc_tz_load(name, &e->cause);
	}
	if (e->tz == NULL && cause != NULL)
		*cause = xstrdup(e->cause != NULL ? e->cause : "unknown error");
	return (e->tz);
}

int
cfg_user_exists(struct cfg_ctx *ctx, const char *name)
{
	struct cfg_cache_entry	*e;

	if ((e = cfg_cache_find(&ctx->users, name)) == NULL) {
		e = cfg_cache_add(&ctx->users, name);
		e->found = getpwnam(name) != NULL;
	}
	return (e->found);
}

int
cfg_group_exists(struct cfg_ctx *ctx, const char *name)
{
	struct cfg_cache_entry	*e;

	if ((e = cfg_cache_find(&ctx->groups, name)) == NULL) {
		e = cfg_cache_add(&ctx->groups, name);
		e->found = getgrnam(name) != NULL;
	}
	return (e->found);
}
