/*
 * Jobs: `jobs = ( { ... }, ... )` in the main file and the drop-ins, each
 * merged over `defaults = { ... }`, validated key by key and then as a
 * whole (required keys, lock, overlap, secrets), and checked for duplicate
 * names across every file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config-int.h"

/* A job being read: the job itself and what its checks need to know. */
struct jb {
	struct lc_job		*job;
	const config_setting_t	*grp;		/* the job's group */
	char			*lock;		/* as written: name or path */
	int			 lock_wait_set;
	const config_setting_t	*lock_wait_s;	/* own lock_wait, or NULL */
	const config_setting_t	*overlap_s;	/* own overlap, or NULL */
	const config_setting_t	*secrets_own;	/* the job's secrets group */
	const config_setting_t	*secrets_def;	/* the defaults' one */
};

static const char *const overlap_names[] = { "skip", "wait", NULL };
static const char *const catch_up_names[] = { "none", "once", NULL };

/* --- scalar keys -------------------------------------------------------- */

static void
key_name(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	if (ctx->in_defaults)
		cfg_error(ctx, s, "`name` cannot have a default: every job "
		    "names itself");
	/* A job's own name was read before the walk. */
}

static void
add_schedule(struct cfg_ctx *ctx, struct lc_job *job,
    const config_setting_t *s)
{
	struct lc_cronexpr	*e;
	const char		*text;
	char			*cause = NULL;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, s, "`schedule` must be a string or an array of "
		    "strings, not %s", cfg_type_name(s));
		return;
	}
	text = config_setting_get_string(s);
	if ((e = lc_cronexpr_parse(text, &cause)) == NULL) {
		cfg_error(ctx, s, "invalid schedule \"%s\": %s", text, cause);
		free(cause);
		return;
	}
	job->schedules = xreallocarray(job->schedules, job->nschedules + 1,
	    sizeof *job->schedules);
	job->schedules[job->nschedules++] = e;
}

static void
key_schedule(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;
	int		 i, n;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		if ((n = config_setting_length(s)) == 0)
			cfg_error(ctx, s, "`schedule` is empty");
		for (i = 0; i < n; i++)
			add_schedule(ctx, job,
			    config_setting_get_elem(s, (unsigned int)i));
		break;
	default:
		add_schedule(ctx, job, s);
		break;
	}
}

/* A string is run by the shell; an array is run as it is, without one. */
static void
key_command(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job		*job = ((struct jb *)obj)->job;
	const config_setting_t	*e;
	const char		*v = NULL;
	int			 i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
		if (v[strspn(v, " \t\r\n")] == '\0') {
			cfg_error(ctx, s, "`command` is empty");
			return;
		}
		cfg_set_str(&job->command, v);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "`command` must be a string (run by the "
		    "shell) or an array of strings (run directly), not %s",
		    cfg_type_name(s));
		return;
	}
	if ((n = config_setting_length(s)) == 0) {
		cfg_error(ctx, s, "`command` is empty");
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(ctx, e, "`command` must be an array of "
			    "strings, not of %s", cfg_type_name(e));
			return;
		}
	}
	if (*config_setting_get_string_elem(s, 0) == '\0') {
		cfg_error(ctx, s, "`command`: the program (first element) is "
		    "empty");
		return;
	}
	job->argv = xcalloc((size_t)n + 1, sizeof *job->argv);
	for (i = 0; i < n; i++)
		job->argv[i] = xstrdup(config_setting_get_string_elem(s, i));
}

static void
key_timezone(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;
	const char	*v = NULL;
	char		*cause = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if ((job->tz = cfg_zone(ctx, v, &cause)) == NULL) {
		cfg_error(ctx, s, "`timezone`: %s", cause);
		free(cause);
	}
}

/* A user or group that does not exist: an error as root, else a warning. */
static void
missing_id(struct cfg_ctx *ctx, const config_setting_t *s, const char *what,
    const char *name)
{
	if (ctx->opts->as_root)
		cfg_error(ctx, s, "no such %s `%s`", what, name);
	else
		cfg_warn(ctx, s, "no such %s `%s` (an error when running as "
		    "root)", what, name);
}

static void
key_user(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (!cfg_user_exists(ctx, v))
		missing_id(ctx, s, "user", v);
	cfg_set_str(&job->user, v);
}

static void
key_group(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (!cfg_group_exists(ctx, v))
		missing_id(ctx, s, "group", v);
	cfg_set_str(&job->group, v);
}

static void
key_workdir(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &((struct jb *)obj)->job->workdir);
}

static void
key_shell(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &((struct jb *)obj)->job->shell);
}

static void
key_stdin(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL;

	if (cfg_get_string(ctx, s, &v) == 0)
		cfg_set_str(&((struct jb *)obj)->job->stdin_text, v);
}

static void
key_umask(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;

	if (cfg_get_mode(ctx, s, 0777, "0022", &job->umask) == 0)
		job->has_umask = 1;
}

static void
key_nice(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int64_t	 v;

	if (cfg_get_int(ctx, s, -20, 19, &v) == 0)
		((struct jb *)obj)->job->nice = (int)v;
}

static void
key_lock(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct jb	*jb = obj;
	const char	*v = NULL;
	size_t		 len;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	len = strlen(v);
	if (v[0] == '/' ? v[len - 1] == '/' || strstr(v, "/../") != NULL ||
	    (len >= 3 && strcmp(v + len - 3, "/..") == 0) :
	    !cfg_valid_name(v)) {
		cfg_error(ctx, s, "`lock` must be a name ([A-Za-z0-9._-]+, for "
		    "LOCK_DIR/NAME.lock) or an absolute file path, not \"%s\"",
		    v);
		return;
	}
	cfg_set_str(&jb->lock, v);
}

static void
key_overlap(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct jb	*jb = obj;
	int		 v;

	if (cfg_get_enum(ctx, s, overlap_names, &v) == 0)
		jb->job->overlap = (enum lc_overlap)v;
	if (ctx->quiet == 0)
		jb->overlap_s = s;
}

static void
key_lock_wait(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct jb	*jb = obj;

	if (cfg_get_duration(ctx, s, CFG_DURATION_MAX, &jb->job->lock_wait)
	    == 0)
		jb->lock_wait_set = 1;
	if (ctx->quiet == 0)
		jb->lock_wait_s = s;
}

static void
key_timeout(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration(ctx, s, CFG_DURATION_MAX,
	    &((struct jb *)obj)->job->timeout);
}

static void
key_kill_grace(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration(ctx, s, 86400, &((struct jb *)obj)->job->kill_grace);
}

static void
key_catch_up(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int	 v;

	if (cfg_get_enum(ctx, s, catch_up_names, &v) == 0)
		((struct jb *)obj)->job->catch_up = (enum lc_catch_up)v;
}

static void
key_jitter(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration(ctx, s, 86400, &((struct jb *)obj)->job->jitter);
}

static void
key_enabled(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_bool(ctx, s, &((struct jb *)obj)->job->enabled);
}

/* --- env: a group of NAME = "value", or a list of "NAME=value" ---------- */

/* Adds or replaces NAME=value in a NULL-terminated vector. */
static void
env_put(char ***env, size_t *n, const char *name, size_t nlen,
    const char *value)
{
	size_t	 i;
	char	*kv;

	xasprintf(&kv, "%.*s=%s", (int)nlen, name, value);
	for (i = 0; i < *n; i++) {
		if (strncmp((*env)[i], name, nlen) == 0 &&
		    (*env)[i][nlen] == '=') {
			free((*env)[i]);
			(*env)[i] = kv;
			return;
		}
	}
	*env = xreallocarray(*env, *n + 2, sizeof **env);
	(*env)[(*n)++] = kv;
	(*env)[*n] = NULL;
}

static int
env_name_ok(struct cfg_ctx *ctx, const config_setting_t *s, const char *name,
    size_t len)
{
	char	*n = xstrndup(name, len);
	int	 ok = 0;

	if (!cfg_valid_env_name(n))
		cfg_error(ctx, s, "`env`: \"%s\" is not a valid variable name "
		    "([A-Za-z_][A-Za-z0-9_]*)", n);
	else if (strncmp(n, "LOCKCRON_", 9) == 0)
		cfg_error(ctx, s, "`env`: %s: names starting with LOCKCRON_ "
		    "are set by lockcron itself", n);
	else
		ok = 1;
	free(n);
	return (ok);
}

/* Reads one env setting into env/n; repeats within it are errors. */
static void
env_read(struct cfg_ctx *ctx, const config_setting_t *s, char ***env,
    size_t *n)
{
	const config_setting_t	*e;
	const char		*v, *eq;
	size_t			 i, start = *n, j;
	int			 list = config_setting_type(s) != CONFIG_TYPE_GROUP;

	if (list && config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "`env` must be a group ({ NAME = \"value\"; "
		    "}) or a list of \"NAME=value\" strings, not %s",
		    cfg_type_name(s));
		return;
	}
	for (i = 0; i < (size_t)config_setting_length(s); i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(ctx, e, "`env%s%s` must be a string, not %s",
			    list ? "" : ".", list ? "" : config_setting_name(e),
			    cfg_type_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if (!list) {
			if (env_name_ok(ctx, e, config_setting_name(e),
			    strlen(config_setting_name(e))))
				env_put(env, n, config_setting_name(e),
				    strlen(config_setting_name(e)), v);
			continue;
		}
		if ((eq = strchr(v, '=')) == NULL) {
			cfg_error(ctx, e, "`env`: \"%s\" is not NAME=value", v);
			continue;
		}
		if (!env_name_ok(ctx, e, v, (size_t)(eq - v)))
			continue;
		for (j = start; j < *n; j++)
			if (strncmp((*env)[j], v, (size_t)(eq - v) + 1) == 0)
				cfg_error(ctx, e, "`env`: %.*s is set twice",
				    (int)(eq - v), v);
		env_put(env, n, v, (size_t)(eq - v), eq + 1);
	}
}

/* The job's variables replace the defaults' ones of the same name. */
static void
key_env(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job	*job = ((struct jb *)obj)->job;

	if (d != NULL) {
		ctx->quiet++;
		env_read(ctx, d, &job->env, &job->nenv);
		ctx->quiet--;
	}
	if (s != NULL)
		env_read(ctx, s, &job->env, &job->nenv);
}

/* --- groups: retries, output -------------------------------------------- */

static void
key_retries_count(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int64_t	 v;

	if (cfg_get_int(ctx, s, 0, 1000, &v) == 0)
		((struct lc_retries *)obj)->count = (int)v;
}

static void
key_retries_delay(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration(ctx, s, CFG_DURATION_MAX,
	    &((struct lc_retries *)obj)->delay);
}

static void
key_retries_backoff(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	double	 v;
	char	*path;

	if (cfg_is_int(s))
		v = (double)config_setting_get_int64(s);
	else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s` must be a number (like 2 or 1.5), "
		    "not %s", path, cfg_type_name(s));
		free(path);
		return;
	}
	if (!(v >= 1.0 && v <= 100.0)) {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s` must be from 1 to 100, not %g", path,
		    v);
		free(path);
		return;
	}
	((struct lc_retries *)obj)->backoff = v;
}

static void
key_retries_max_delay(struct cfg_ctx *ctx, void *obj,
    const config_setting_t *s, const config_setting_t *d)
{
	cfg_get_duration(ctx, s, CFG_DURATION_MAX,
	    &((struct lc_retries *)obj)->max_delay);
}

static const struct cfg_key retries_keys[] = {
	{ "count", key_retries_count, 0 },
	{ "delay", key_retries_delay, 0 },
	{ "backoff", key_retries_backoff, 0 },
	{ "max_delay", key_retries_max_delay, 0 },
};

/* Applies keys to own merged over def, when each is a group. */
static void
merge_group(struct cfg_ctx *ctx, const struct cfg_key *keys, size_t n,
    void *obj, const config_setting_t *s, const config_setting_t *d)
{
	if (s != NULL && cfg_need_group(ctx, s) != 0)
		return;
	if (d != NULL && config_setting_type(d) != CONFIG_TYPE_GROUP)
		d = NULL;	/* reported in defaults */
	cfg_apply(ctx, keys, n, obj, s, d);
}

static void
key_retries(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	merge_group(ctx, retries_keys, LC_NELEM(retries_keys),
	    &((struct jb *)obj)->job->retries, s, d);
}

static void
key_output_keep_bytes(struct cfg_ctx *ctx, void *obj,
    const config_setting_t *s, const config_setting_t *d)
{
	cfg_get_size(ctx, s, CFG_BYTES_MAX, &((struct lc_job *)obj)->keep_bytes);
}

static void
key_output_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_abspath(ctx, s, &((struct lc_job *)obj)->output_file);
}

static const struct cfg_key output_keys[] = {
	{ "keep_bytes", key_output_keep_bytes, 0 },
	{ "file", key_output_file, 0 },
};

static void
key_output(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	merge_group(ctx, output_keys, LC_NELEM(output_keys),
	    ((struct jb *)obj)->job, s, d);
}

static void
key_secrets(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct jb	*jb = obj;

	if (s != NULL && cfg_need_group(ctx, s) != 0)
		return;
	if (d != NULL && config_setting_type(d) != CONFIG_TYPE_GROUP)
		d = NULL;
	jb->secrets_own = s;
	jb->secrets_def = d;
	cfg_job_secrets(ctx, jb->job, s, d);
}

static void
key_notify(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	if (s != NULL && cfg_need_group(ctx, s) != 0)
		return;
	if (d != NULL && config_setting_type(d) != CONFIG_TYPE_GROUP)
		d = NULL;
	cfg_job_notify(ctx, ((struct jb *)obj)->job, s, d);
}

static const struct cfg_key job_keys[] = {
	{ "name", key_name, 0 },
	{ "schedule", key_schedule, 0 },
	{ "command", key_command, 0 },
	{ "timezone", key_timezone, 0 },
	{ "user", key_user, 0 },
	{ "group", key_group, 0 },
	{ "workdir", key_workdir, 0 },
	{ "env", key_env, 1 },
	{ "umask", key_umask, 0 },
	{ "nice", key_nice, 0 },
	{ "shell", key_shell, 0 },
	{ "stdin", key_stdin, 0 },
	{ "lock", key_lock, 0 },
	{ "overlap", key_overlap, 0 },
	{ "lock_wait", key_lock_wait, 0 },
	{ "timeout", key_timeout, 0 },
	{ "kill_grace", key_kill_grace, 0 },
	{ "retries", key_retries, 1 },
	{ "catch_up", key_catch_up, 0 },
	{ "jitter", key_jitter, 0 },
	{ "enabled", key_enabled, 0 },
	{ "secrets", key_secrets, 1 },
	{ "notify", key_notify, 1 },
	{ "output", key_output, 1 },
};

/* --- one job ------------------------------------------------------------ */

static void
job_init(struct lc_job *job)
{
	memset(job, 0, sizeof *job);
	job->kill_grace = 10;
	job->enabled = 1;
	job->keep_bytes = -1;
	job->retries.delay = 60;
	job->retries.backoff = 2.0;
}

void
cfg_job_clear(struct lc_job *job)
{
	size_t	 i;

	free(job->name);
	for (i = 0; i < job->nschedules; i++)
		lc_cronexpr_free(job->schedules[i]);
	free(job->schedules);
	free(job->command);
	for (i = 0; job->argv != NULL && job->argv[i] != NULL; i++)
		free(job->argv[i]);
	free(job->argv);
	free(job->shell);
	free(job->user);
	free(job->group);
	free(job->workdir);
	for (i = 0; i < job->nenv; i++)
		free(job->env[i]);
	free(job->env);
	free(job->stdin_text);
	free(job->lock_path);
	cfg_secrets_clear(&job->secrets);
	cfg_notify_clear(&job->notify);
	free(job->output_file);
	memset(job, 0, sizeof *job);
}

/* A secrets.env variable must not also be a plain env variable. */
static void
check_secret_env(struct cfg_ctx *ctx, struct jb *jb)
{
	const struct lc_job	*job = jb->job;
	size_t			 i, j, len;

	for (i = 0; i < job->secrets.nenv; i++) {
		len = strlen(job->secrets.env[i].var);
		for (j = 0; j < job->nenv; j++)
			if (strncmp(job->env[j], job->secrets.env[i].var,
			    len) == 0 && job->env[j][len] == '=')
				cfg_error(ctx, jb->grp, "%s is set both in `env` "
				    "and in `secrets.env`",
				    job->secrets.env[i].var);
	}
}

/* Checks that need the whole job, and fills in what depends on others. */
static void
job_finish(struct cfg_ctx *ctx, struct jb *jb)
{
	struct lc_job		*job = jb->job;
	struct lc_config	*cfg = ctx->cfg;
	char			*cause = NULL;

	if (config_setting_get_member(jb->grp, "name") == NULL)
		cfg_error(ctx, jb->grp, "missing `name`");
	if (job->nschedules == 0 && config_setting_get_member(jb->grp,
	    "schedule") == NULL && (ctx->defaults == NULL ||
	    config_setting_get_member(ctx->defaults, "schedule") == NULL))
		cfg_error(ctx, jb->grp, "missing `schedule`");
	if (job->command == NULL && job->argv == NULL &&
	    config_setting_get_member(jb->grp, "command") == NULL &&
	    (ctx->defaults == NULL ||
	    config_setting_get_member(ctx->defaults, "command") == NULL))
		cfg_error(ctx, jb->grp, "missing `command`");
	if (job->overlap == LC_OVERLAP_WAIT && !jb->lock_wait_set)
		cfg_error(ctx, jb->overlap_s != NULL ? jb->overlap_s : jb->grp,
		    "`overlap` is \"wait\" but `lock_wait` is not set (the "
		    "longest wait for the lock, e.g. lock_wait = \"10m\")");
	if (job->overlap == LC_OVERLAP_SKIP && jb->lock_wait_s != NULL)
		cfg_warn(ctx, jb->lock_wait_s, "`lock_wait` has no effect "
		    "unless `overlap` is \"wait\"");
	if (jb->secrets_own != NULL || jb->secrets_def != NULL) {
		cfg_secrets_check(ctx, job, jb->secrets_own, jb->secrets_def,
		    jb->grp);
		check_secret_env(ctx, jb);
	}
	if (job->shell == NULL)
		job->shell = xstrdup("/bin/sh");
	if (job->keep_bytes < 0)
		job->keep_bytes = cfg->output_bytes;
	if (jb->lock != NULL && jb->lock[0] == '/')
		job->lock_path = xstrdup(jb->lock);
	else if (jb->lock != NULL || job->name != NULL)
		xasprintf(&job->lock_path, "%s/%s.lock", cfg->lock_dir,
		    jb->lock != NULL ? jb->lock : job->name);
	if (job->tz == NULL && (job->tz = cfg_zone(ctx, cfg->timezone,
	    &cause)) == NULL && cfg->timezone == NULL &&
	    !ctx->system_tz_failed) {
		ctx->system_tz_failed = 1;
		cfg_error(ctx, jb->grp, "cannot load the system time zone: %s",
		    cause);
	}
	free(cause);
}

/* Reads `name` first, so that every message about the job names it. */
static void
job_name(struct cfg_ctx *ctx, struct jb *jb, size_t nth)
{
	const config_setting_t	*s;
	const char		*v = NULL;

	cfg_set_prefix(ctx, "job #%zu: ", nth);
	if ((s = config_setting_get_member(jb->grp, "name")) == NULL ||
	    cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (!cfg_valid_name(v)) {
		cfg_error(ctx, s, "invalid job name \"%s\" (use letters, "
		    "digits, '.', '_' and '-', not first '.' or '-', at most "
		    "%d characters)", v, CFG_NAME_MAX);
		return;
	}
	jb->job->name = xstrdup(v);
	cfg_set_prefix(ctx, "job `%s`: ", v);
}

static void
job_parse(struct cfg_ctx *ctx, const config_setting_t *grp, size_t nth)
{
	struct lc_config	*cfg = ctx->cfg;
	struct jb		 jb;

	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, grp, "each element of `jobs` must be a group "
		    "({ name = ...; ... }), not %s", cfg_type_name(grp));
		return;
	}
	if (cfg->njobs == ctx->jobs_cap)
		cfg_jobs_reserve(ctx, ctx->jobs_cap < 16 ? 16 : ctx->jobs_cap);
	memset(&jb, 0, sizeof jb);
	jb.job = &cfg->jobs[cfg->njobs];
	jb.grp = grp;
	job_init(jb.job);
	jb.job->src_file = cfg->files[cfg_setting_file(ctx, grp)];
	jb.job->src_line = cfg_setting_line(ctx, grp);
	ctx->anchor = grp;
	job_name(ctx, &jb, nth);
	cfg_apply(ctx, job_keys, LC_NELEM(job_keys), &jb, grp,
	    ctx->defaults_bad ? NULL : ctx->defaults);
	job_finish(ctx, &jb);
	free(jb.lock);
	cfg->njobs++;
	cfg_set_prefix(ctx, NULL);
}

/* Makes room for n more jobs (a list's length is known before it is read:
 * no doubling slack in a table of 100,000). */
void
cfg_jobs_reserve(struct cfg_ctx *ctx, size_t n)
{
	struct lc_config	*cfg = ctx->cfg;

	if (cfg->njobs + n <= ctx->jobs_cap)
		return;
	ctx->jobs_cap = cfg->njobs + n;
	cfg->jobs = xreallocarray(cfg->jobs, ctx->jobs_cap, sizeof *cfg->jobs);
}

/* Forgets the jobs after the first n. */
void
cfg_jobs_truncate(struct cfg_ctx *ctx, size_t n)
{
	struct lc_config	*cfg = ctx->cfg;

	while (cfg->njobs > n)
		cfg_job_clear(&cfg->jobs[--cfg->njobs]);
}

/* The jobs of a list; base: elements of the same list read before. */
void
cfg_jobs_parse(struct cfg_ctx *ctx, const config_setting_t *jobs, size_t base)
{
	int	 i, n;

	if (config_setting_type(jobs) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(jobs) == 0)
		return;
	if (cfg_need_list(ctx, jobs) != 0)
		return;
	n = config_setting_length(jobs);
	cfg_jobs_reserve(ctx, (size_t)n);
	for (i = 0; i < n; i++)
		job_parse(ctx, config_setting_get_elem(jobs, (unsigned int)i),
		    base + (size_t)i + 1);
	ctx->anchor = NULL;
}

/* Validates `defaults` once, on a job that is then thrown away. */
void
cfg_defaults_check(struct cfg_ctx *ctx, const config_setting_t *defaults)
{
	struct lc_job	 job;
	struct jb	 jb;

	if (cfg_need_group(ctx, defaults) != 0) {
		ctx->defaults_bad = 1;
		return;
	}
	ctx->defaults = defaults;
	memset(&jb, 0, sizeof jb);
	job_init(&job);
	jb.job = &job;
	jb.grp = defaults;
	ctx->anchor = defaults;
	cfg_set_prefix(ctx, "defaults: ");
	ctx->in_defaults = 1;
	cfg_apply(ctx, job_keys, LC_NELEM(job_keys), &jb, defaults, NULL);
	ctx->in_defaults = 0;
	cfg_set_prefix(ctx, NULL);
	ctx->anchor = NULL;
	free(jb.lock);
	cfg_job_clear(&job);
}

/* --- across jobs -------------------------------------------------------- */

static const struct lc_job *sort_jobs;

static int
by_name_cmp(const void *a, const void *b)
{
	const struct lc_job	*x = &sort_jobs[*(const size_t *)a];
	const struct lc_job	*y = &sort_jobs[*(const size_t *)b];
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return (c);
	return (*(const size_t *)a < *(const size_t *)b ? -1 : 1);
}

/* Indexes jobs by name and reports names defined twice. */
void
cfg_jobs_finish(struct cfg_ctx *ctx)
{
	struct lc_config	*cfg = ctx->cfg;
	const struct lc_job	*a, *b;
	size_t			 i, n = 0, *idx, first = 0, f;

	idx = xcalloc(cfg->njobs + 1, sizeof *idx);
	for (i = 0; i < cfg->njobs; i++)
		if (cfg->jobs[i].name != NULL)
			idx[n++] = i;
	sort_jobs = cfg->jobs;
	qsort(idx, n, sizeof *idx, by_name_cmp);
	sort_jobs = NULL;
	for (i = 1; i < n; i++) {
		a = &cfg->jobs[idx[first]];
		b = &cfg->jobs[idx[i]];
		if (strcmp(a->name, b->name) != 0) {
			first = i;
			continue;
		}
		for (f = 0; f < cfg->nfiles; f++)
			if (cfg->files[f] == b->src_file)
				break;
		cfg_error_at(ctx, f, b->src_line, "duplicate job name `%s` "
		    "(first defined at %s:%d)", b->name, a->src_file,
		    a->src_line);
	}
	ctx->priv->by_name = idx;
	ctx->priv->nby_name = n;
}
