/*
 * The configuration: the main file's global settings, keystores, defaults
 * and jobs, then every drop-in of include_dir, validated completely into an
 * immutable lc_config. Problems are collected, never fatal one by one, and
 * handed back sorted by file and line (config-value.c).
 */
#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-int.h"

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug", NULL
};

/* --- defaults ----------------------------------------------------------- */

/* $NAME when it is an absolute path, else $HOME/fallback. */
static char *
xdg_dir(const char *name, const char *fallback)
{
	const char	*v = getenv(name), *home = getenv("HOME");
	struct passwd	*pw;
	char		*path;

	if (v != NULL && v[0] == '/')
		return (xstrdup(v));
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		home = "/";
	xasprintf(&path, "%s%s%s", home, strcmp(home, "/") == 0 ? "" : "/",
	    fallback);
	return (path);
}

char *
lc_config_default_path(int as_root)
{
	const char	*env = getenv("LOCKCRON_CONFIG");
	char		*dir, *path;

	if (env != NULL && *env != '\0')
		return (xstrdup(env));
	if (as_root)
		return (xstrdup("/etc/lockcron.conf"));
	dir = xdg_dir("XDG_CONFIG_HOME", ".config");
	xasprintf(&path, "%s/lockcron/lockcron.conf", dir);
	free(dir);
	return (path);
}

char *
lc_config_default_state_dir(int as_root)
{
	char	*dir, *path;

	if (as_root)
		return (xstrdup("/var/lib/lockcron"));
	dir = xdg_dir("XDG_STATE_HOME", ".local/state");
	xasprintf(&path, "%s/lockcron", dir);
	free(dir);
	return (path);
}

/* The values of keys the file does not set. */
static void
set_defaults(struct lc_config *cfg, int as_root)
{
	cfg->state_dir = lc_config_default_state_dir(as_root);
	if (as_root) {
		cfg->runtime_dir = xstrdup("/run/lockcron");
		cfg->log = xstrdup("syslog");
	} else {
		if (getenv("XDG_RUNTIME_DIR") != NULL &&
		    getenv("XDG_RUNTIME_DIR")[0] == '/')
			xasprintf(&cfg->runtime_dir, "%s/lockcron",
			    getenv("XDG_RUNTIME_DIR"));
		cfg->log = xstrdup("stderr");
	}
	cfg->log_level = LC_LOG_INFO;
	cfg->history_group = xstrdup("lockcron");
	cfg->keep_days = 90;
	cfg->output_bytes = 65536;
}

/* Defaults that follow from other keys: lock_dir and runtime_dir. */
static void
derive_defaults(struct lc_config *cfg)
{
	if (cfg->lock_dir == NULL)
		xasprintf(&cfg->lock_dir, "%s/locks", cfg->state_dir);
	if (cfg->runtime_dir == NULL)
		xasprintf(&cfg->runtime_dir, "%s/run", cfg->state_dir);
}

/* --- global keys -------------------------------------------------------- */

/* What the global walk sets aside for after it. */
struct globals {
	struct lc_config	*cfg;
	const config_setting_t	*jobs;
	const config_setting_t	*keystores;
	const config_setting_t	*defaults;
	const config_setting_t	*include_dir;
	const config_setting_t	*history_group;
};

#define G(obj)	(((struct globals *)(obj))->cfg)

static void
g_state_dir(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &G(obj)->state_dir);
}

static void
g_lock_dir(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &G(obj)->lock_dir);
}

static void
g_runtime_dir(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &G(obj)->runtime_dir);
}

static void
g_include_dir(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	if (cfg_get_abspath(ctx, s, &G(obj)->include_dir) == 0)
		((struct globals *)obj)->include_dir = s;
}

static void
g_timezone(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL;
	char		*cause = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (cfg_zone(ctx, v, &cause) == NULL) {
		cfg_error(ctx, s, "`timezone`: %s", cause);
		free(cause);
		return;
	}
	cfg_set_str(&G(obj)->timezone, v);
}

static void
g_log(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL;

	if (cfg_get_string(ctx, s, &v) != 0)
		return;
	if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0 &&
	    v[0] != '/') {
		cfg_error(ctx, s, "`log` must be \"syslog\", \"stderr\" or an "
		    "absolute file path, not \"%s\"", v);
		return;
	}
	cfg_set_str(&G(obj)->log, v);
}

static void
g_log_level(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int	 v;

	if (cfg_get_enum(ctx, s, level_names, &v) == 0)
		G(obj)->log_level = (enum lc_log_level)v;
}

static void
g_max_parallel(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int64_t	 v;

	if (cfg_get_int(ctx, s, 0, 100000, &v) == 0)
		G(obj)->max_parallel = (int)v;
}

static void
g_history_group(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (strpbrk(v, "/: \t\n") != NULL) {
		cfg_error(ctx, s, "`history_group`: \"%s\" is not a group name",
		    v);
		return;
	}
	cfg_set_str(&G(obj)->history_group, v);
	((struct globals *)obj)->history_group = s;
}

static void
h_keep_days(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_int(ctx, s, 0, 36500, &((struct lc_config *)obj)->keep_days);
}

static void
h_keep_runs(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_int(ctx, s, 0, INT32_MAX, &((struct lc_config *)obj)->keep_runs);
}

static void
h_output_bytes(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_size(ctx, s, CFG_BYTES_MAX,
	    &((struct lc_config *)obj)->output_bytes);
}

static const struct cfg_key history_keys[] = {
	{ "keep_days", h_keep_days, 0 },
	{ "keep_runs", h_keep_runs, 0 },
	{ "output_bytes", h_output_bytes, 0 },
};

static void
g_history(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	if (cfg_need_group(ctx, s) == 0)
		cfg_apply(ctx, history_keys, LC_NELEM(history_keys), G(obj), s,
		    NULL);
}

static void
g_keystores(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	((struct globals *)obj)->keystores = s;
}

static void
g_defaults(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	((struct globals *)obj)->defaults = s;
}

static void
g_jobs(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	((struct globals *)obj)->jobs = s;
}

static const struct cfg_key global_keys[] = {
	{ "state_dir", g_state_dir, 0 },
	{ "lock_dir", g_lock_dir, 0 },
	{ "runtime_dir", g_runtime_dir, 0 },
	{ "include_dir", g_include_dir, 0 },
	{ "timezone", g_timezone, 0 },
	{ "log", g_log, 0 },
	{ "log_level", g_log_level, 0 },
	{ "max_parallel", g_max_parallel, 0 },
	{ "history_group", g_history_group, 0 },
	{ "history", g_history, 0 },
	{ "keystores", g_keystores, 0 },
	{ "defaults", g_defaults, 0 },
	{ "jobs", g_jobs, 0 },
};

/* --- files -------------------------------------------------------------- */

/* The jobs of a file's chunks, once its own tree has been read. Returns
 * -1 when a chunk had a syntax error. */
static int
load_chunks(struct cfg_ctx *ctx, struct cfg_text *ft)
{
	config_t	*c;
	size_t		 base;

	if (ft->has_split)
		cfg_jobs_reserve(ctx, ft->split.nelems);
	while ((c = cfg_file_chunk(ctx, ft, &base)) != NULL) {
		cfg_jobs_parse(ctx, config_lookup(c, "jobs"), base);
		cfg_file_done(c);
	}
	return (ft->failed ? -1 : 0);
}

/* A drop-in holds jobs only: global settings live in the main file. */
static void
load_dropin(struct cfg_ctx *ctx, const char *path)
{
	config_setting_t	*root, *s;
	struct cfg_text		*ft;
	int			 i;

	if ((ft = cfg_file_open(ctx, path)) == NULL)
		return;
	root = config_root_setting(ft->c);
	for (i = 0; i < config_setting_length(root); i++) {
		s = config_setting_get_elem(root, (unsigned int)i);
		if (strcmp(config_setting_name(s), "jobs") == 0)
			cfg_jobs_parse(ctx, s, 0);
		else
			cfg_error(ctx, s, "`%s` is not allowed in a drop-in "
			    "file: it may hold only `jobs` (global settings "
			    "belong in %s)", config_setting_name(s),
			    ctx->cfg->path);
	}
	load_chunks(ctx, ft);
	cfg_file_close(ctx, ft);
}

static void
load_dropins(struct cfg_ctx *ctx, const struct globals *g)
{
	char	**v;
	size_t	 i;

	if (g->include_dir == NULL || (v = cfg_file_list_dropins(ctx,
	    ctx->cfg->include_dir, g->include_dir)) == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		load_dropin(ctx, v[i]);
		free(v[i]);
	}
	free(v);
}

/* The main file: globals first, as keystores and jobs depend on them.
 * Returns the file, kept open while drop-ins use its `defaults`. */
static struct cfg_text *
load_main(struct cfg_ctx *ctx, struct globals *g)
{
	struct cfg_text	*ft;

	if ((ft = cfg_file_open(ctx, ctx->cfg->path)) == NULL)
		return (NULL);
	cfg_apply(ctx, global_keys, LC_NELEM(global_keys), g,
	    config_root_setting(ft->c), NULL);
	derive_defaults(ctx->cfg);
	if (g->history_group != NULL &&
	    !cfg_group_exists(ctx, ctx->cfg->history_group))
		cfg_warn(ctx, g->history_group, "`history_group`: no such "
		    "group `%s`", ctx->cfg->history_group);
	if (ctx->opts->globals_only)
		return (ft);
	if (g->keystores != NULL)
		cfg_keystores_parse(ctx, g->keystores);
	if (g->defaults != NULL)
		cfg_defaults_check(ctx, g->defaults);
	if (g->jobs != NULL)
		cfg_jobs_parse(ctx, g->jobs, 0);
	if (load_chunks(ctx, ft) != 0) {
		cfg_file_close(ctx, ft);
		return (NULL);
	}
	return (ft);
}

/* --- the API ------------------------------------------------------------ */

struct lc_config *
lc_config_load(const char *path, const struct lc_config_opts *opts,
    struct lc_config_diag *diag)
{
	static const struct lc_config_opts	 none = { 0 };
	struct lc_config			*cfg;
	struct cfg_ctx				 ctx;
	struct globals				 g;
	struct cfg_text				*main_ft;

	cfg = xcalloc(1, sizeof *cfg);
	cfg->priv = xcalloc(1, sizeof (struct cfg_priv));
	cfg->path = xstrdup(path);
	memset(&ctx, 0, sizeof ctx);
	ctx.cfg = cfg;
	ctx.priv = cfg->priv;
	ctx.opts = opts != NULL ? opts : &none;
	memset(&g, 0, sizeof g);
	g.cfg = cfg;
	set_defaults(cfg, ctx.opts->as_root);

	main_ft = load_main(&ctx, &g);
	if (main_ft == NULL) {
		derive_defaults(cfg);
		ctx.defaults = NULL;
	} else if (!ctx.opts->globals_only)
		load_dropins(&ctx, &g);
	cfg_jobs_finish(&ctx);
	cfg_file_close(&ctx, main_ft);

	free(ctx.prefix);
	free(ctx.incdir);
	cfg_cache_free(&ctx.users);
	cfg_cache_free(&ctx.groups);
	if (cfg_nerrors(&ctx) > 0) {
		cfg_diag_finish(&ctx, diag);
		lc_config_free(cfg);
		return (NULL);
	}
	cfg_diag_finish(&ctx, diag);
	return (cfg);
}

void
lc_config_free(struct lc_config *cfg)
{
	struct cfg_priv	*priv;
	size_t		 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->njobs; i++)
		cfg_job_clear(&cfg->jobs[i]);
	free(cfg->jobs);
	for (i = 0; i < cfg->nkeystores; i++)
		cfg_keystore_clear(&cfg->keystores[i]);
	free(cfg->keystores);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->lock_dir);
	free(cfg->runtime_dir);
	free(cfg->include_dir);
	free(cfg->timezone);
	free(cfg->log);
	free(cfg->history_group);
	if ((priv = cfg->priv) != NULL) {
		cfg_pool_free(&priv->pool);
		cfg_cache_free(&priv->zones);
		free(priv->by_name);
		free(priv);
	}
	free(cfg);
}

void
lc_config_diag_clear(struct lc_config_diag *diag)
{
	size_t	 i;

	if (diag == NULL)
		return;
	for (i = 0; i < diag->nerrors; i++)
		free(diag->errors[i]);
	free(diag->errors);
	for (i = 0; i < diag->nwarnings; i++)
		free(diag->warnings[i]);
	free(diag->warnings);
	for (i = 0; i < diag->nall; i++)
		free(diag->all[i]);
	free(diag->all);
	memset(diag, 0, sizeof *diag);
}

const struct lc_job *
lc_config_find_job(const struct lc_config *cfg, const char *name)
{
	const struct cfg_priv	*priv = cfg->priv;
	size_t			 lo = 0, hi = priv->nby_name, mid;
	int			 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(cfg->jobs[priv->by_name[mid]].name, name);
		if (c == 0)
			return (&cfg->jobs[priv->by_name[mid]]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}
