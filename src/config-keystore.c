/*
 * Keystores (`keystores = ( { name; type; url; ... } )`), a job's
 * `secrets = { keystore; path; env; files; }` and its `notify = { on;
 * webhook; mail; ping; }`: the parts of a job that talk to other services,
 * checked here so that a run never finds out at 3 a.m. that a URL is wrong.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-int.h"

static const char *const type_names[] = {
	"vault-kv2", "http-json", "file", NULL
};

/* Every status a run can end in, for notify.on. */
static const char *const statuses[] = {
	"succeeded", "failed", "timed_out", "killed", "cancelled", "skipped",
	"secret_error", "launch_error", "missed", "lost"
};

/* notify.on when a webhook or mail is set without it. */
static const char *const default_on[] = {
	"failed", "timed_out", "killed", "secret_error", "launch_error", "lost"
};

/* --- URLs --------------------------------------------------------------- */

/* 127.0.0.0/8, ::1 and localhost: plain HTTP never leaves the host. */
static int
is_loopback(const char *host)
{
	unsigned char	 a[16];

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return (1);
	if (inet_pton(AF_INET, host, a) == 1)
		return (a[0] == 127);
	if (inet_pton(AF_INET6, host, a) == 1)
		return (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
	return (0);
}

/* Splits the authority of an http(s) URL; returns NULL when malformed. */
static const char *
url_host(const char *url, int *https, char *host, size_t hostsz,
    int *userinfo)
{
	const char	*p, *end, *at, *h, *hend;
	size_t		 n;

	if (strncasecmp(url, "https://", 8) == 0) {
		*https = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*https = 0;
		p = url + 7;
	} else
		return ("must be an http:// or https:// URL");
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	*userinfo = at != NULL;
	h = at != NULL ? at + 1 : p;
	if (*h == '[') {
		if ((hend = memchr(h, ']', (size_t)(end - h))) == NULL)
			return ("has an unterminated [IPv6] host");
		h++;
		p = hend + 1;
	} else {
		hend = h + strcspn(h, ":/?#");
		p = hend;
	}
	if (p < end && *p == ':') {
		for (p++; p < end && isdigit((unsigned char)*p); p++)
			;
	}
	if (p != end)
		return ("has an invalid host or port");
	n = (size_t)(hend - h);
	if (n == 0)
		return ("has no host");
	if (n >= hostsz)
		return ("has a host name that is too long");
	memcpy(host, h, n);
	host[n] = '\0';
	return (NULL);
}

/* An http(s) URL; for keystores, plain http only on loopback and no
 * credentials in the URL itself. */
static int
url_check(struct cfg_ctx *ctx, const config_setting_t *s, const char *url,
    int keystore)
{
	const char	*why, *p;
	char		 host[256], *path;
	int		 https, userinfo, rc = -1;

	path = cfg_path(ctx, s);
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			cfg_error(ctx, s, "`%s`: the URL contains a space or a "
			    "control character", path);
			goto out;
		}
	}
	if ((why = url_host(url, &https, host, sizeof host, &userinfo)) !=
	    NULL)
		cfg_error(ctx, s, "`%s` %s, not \"%s\"", path, why, url);
	else if (keystore && userinfo)
		cfg_error(ctx, s, "`%s`: credentials in the URL are refused; "
		    "put the token in `token_file`", path);
	else if (keystore && !https && !is_loopback(host))
		cfg_error(ctx, s, "`%s`: plain http:// to %s is refused: "
		    "secrets would cross the network unencrypted (use "
		    "https://; http:// is allowed only for 127.0.0.0/8, ::1 "
		    "and localhost)", path, host);
	else
		rc = 0;
out:
	free(path);
	return (rc);
}

/* --- keystores ---------------------------------------------------------- */

/* A keystore being read, with the settings its type checks point at. */
struct kb {
	struct lc_keystore_conf	*ks;
	const config_setting_t	*grp;
	int			 has_type;
	const config_setting_t	*set[16];	/* by key index */
};

static void
ks_type(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct kb	*kb = obj;
	int		 v;

	if (cfg_get_enum(ctx, s, type_names, &v) == 0) {
		kb->ks->type = (enum lc_keystore_type)v;
		kb->has_type = 1;
	}
}

static void
ks_url(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct kb	*kb = obj;
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) == 0 && url_check(ctx, s, v, 1) == 0)
		cfg_set_str(&kb->ks->url, v);
}

static void
ks_mount(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct kb	*kb = obj;
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (v[0] == '/' || v[strlen(v) - 1] == '/' || strstr(v, "..") != NULL ||
	    strpbrk(v, "?#% ") != NULL) {
		cfg_error(ctx, s, "`mount` must be a Vault mount path like "
		    "\"secret\" or \"kv/team\", not \"%s\"", v);
		return;
	}
	cfg_set_str(&kb->ks->mount, v);
}

static void
ks_namespace(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct kb	*kb = obj;
	const char	*v = NULL, *p;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			cfg_error(ctx, s, "`namespace` contains a control "
			    "character");
			return;
		}
	}
	cfg_set_str(&kb->ks->vault_namespace, v);
}

static void
ks_path(struct cfg_ctx *ctx, const config_setting_t *s, char **dst)
{
	cfg_get_abspath(ctx, s, dst);
}

static void
ks_token_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	ks_path(ctx, s, &((struct kb *)obj)->ks->token_file);
}

static void
ks_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	ks_path(ctx, s, &((struct kb *)obj)->ks->file);
}

static void
ks_ca_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	ks_path(ctx, s, &((struct kb *)obj)->ks->ca_file);
}

static void
ks_cert_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	ks_path(ctx, s, &((struct kb *)obj)->ks->cert_file);
}

static void
ks_key_file(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	ks_path(ctx, s, &((struct kb *)obj)->ks->key_file);
}

static void
ks_timeout(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration_ms(ctx, s, 3600, &((struct kb *)obj)->ks->timeout_ms);
}

static void
ks_connect_timeout(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_get_duration_ms(ctx, s, 3600,
	    &((struct kb *)obj)->ks->connect_timeout_ms);
}

static void
ks_retries(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	int64_t	 v;

	if (cfg_get_int(ctx, s, 0, 10, &v) == 0)
		((struct kb *)obj)->ks->retries = (int)v;
}

static void
ks_name(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	/* Read before the walk. */
}

enum {
	K_NAME, K_TYPE, K_URL, K_MOUNT, K_NAMESPACE, K_TOKEN_FILE, K_FILE,
	K_CA_FILE, K_CERT_FILE, K_KEY_FILE, K_TIMEOUT, K_CONNECT_TIMEOUT,
	K_RETRIES
};

static const struct cfg_key ks_keys[] = {
	[K_NAME] = { "name", ks_name, 0 },
	[K_TYPE] = { "type", ks_type, 0 },
	[K_URL] = { "url", ks_url, 0 },
	[K_MOUNT] = { "mount", ks_mount, 0 },
	[K_NAMESPACE] = { "namespace", ks_namespace, 0 },
	[K_TOKEN_FILE] = { "token_file", ks_token_file, 0 },
	[K_FILE] = { "file", ks_file, 0 },
	[K_CA_FILE] = { "ca_file", ks_ca_file, 0 },
	[K_CERT_FILE] = { "cert_file", ks_cert_file, 0 },
	[K_KEY_FILE] = { "key_file", ks_key_file, 0 },
	[K_TIMEOUT] = { "timeout", ks_timeout, 0 },
	[K_CONNECT_TIMEOUT] = { "connect_timeout", ks_connect_timeout, 0 },
	[K_RETRIES] = { "retries", ks_retries, 0 },
};

/* Warns about a key the keystore's type does not use. */
static void
ks_unused(struct cfg_ctx *ctx, struct kb *kb, int key)
{
	if (kb->set[key] != NULL)
		cfg_warn(ctx, kb->set[key], "`%s` is not used by type \"%s\"",
		    ks_keys[key].name, type_names[kb->ks->type]);
}

/* Checks that depend on the type. */
static void
ks_finish(struct cfg_ctx *ctx, struct kb *kb)
{
	struct lc_keystore_conf	*ks = kb->ks;
	int			 k;

	if (!kb->has_type) {
		if (kb->set[K_TYPE] == NULL)
			cfg_error(ctx, kb->grp, "missing `type` (\"vault-kv2\", "
			    "\"http-json\" or \"file\")");
		return;
	}
	if (ks->type == LC_KEYSTORE_FILE) {
		if (kb->set[K_FILE] == NULL)
			cfg_error(ctx, kb->grp, "missing `file` (the JSON file "
			    "of type \"file\")");
		for (k = K_URL; k <= K_RETRIES; k++)
			if (k != K_FILE)
				ks_unused(ctx, kb, k);
		return;
	}
	if (kb->set[K_URL] == NULL)
		cfg_error(ctx, kb->grp, "missing `url`");
	ks_unused(ctx, kb, K_FILE);
	if (ks->type == LC_KEYSTORE_HTTP_JSON) {
		if (ks->url != NULL && strstr(ks->url, "{keys}") == NULL)
			cfg_error(ctx, kb->set[K_URL], "`url` of an http-json "
			    "keystore needs a {keys} placeholder for the key "
			    "names, like \"https://keys.example/get?k={keys}\"");
		ks_unused(ctx, kb, K_MOUNT);
		ks_unused(ctx, kb, K_NAMESPACE);
	} else if (kb->set[K_TOKEN_FILE] == NULL)
		cfg_error(ctx, kb->grp, "missing `token_file` (Vault needs a "
		    "token)");
	if (kb->set[K_KEY_FILE] != NULL && kb->set[K_CERT_FILE] == NULL)
		cfg_error(ctx, kb->set[K_KEY_FILE], "`key_file` needs "
		    "`cert_file`");
	if (ks->type == LC_KEYSTORE_VAULT_KV2 && ks->mount == NULL)
		ks->mount = xstrdup("secret");
}

/* Applies the keystore's keys, recording which were set. */
static void
ks_walk(struct cfg_ctx *ctx, struct kb *kb)
{
	const config_setting_t	*s;
	size_t			 k;

	for (k = 0; k < LC_NELEM(ks_keys); k++)
		if ((s = config_setting_get_member(kb->grp, ks_keys[k].name)) !=
		    NULL)
			kb->set[k] = s;
	cfg_apply(ctx, ks_keys, LC_NELEM(ks_keys), kb, kb->grp, NULL);
}

/* Reads a keystore's name first, so that every message names it. */
static const char *
ks_name_read(struct cfg_ctx *ctx, const config_setting_t *grp, size_t nth)
{
	const struct lc_config	*cfg = ctx->cfg;
	const config_setting_t	*s;
	const char		*name = NULL;
	size_t			 i;

	cfg_set_prefix(ctx, "keystore #%zu: ", nth);
	if ((s = config_setting_get_member(grp, "name")) == NULL) {
		cfg_error(ctx, grp, "missing `name`");
		return (NULL);
	}
	if (cfg_get_nonempty(ctx, s, &name) != 0)
		return (NULL);
	if (!cfg_valid_name(name)) {
		cfg_error(ctx, s, "invalid keystore name \"%s\" (use letters, "
		    "digits, '.', '_' and '-')", name);
		return (NULL);
	}
	cfg_set_prefix(ctx, "keystore `%s`: ", name);
	for (i = 0; i < cfg->nkeystores; i++)
		if (strcmp(cfg->keystores[i].name, name) == 0)
			cfg_error(ctx, s, "duplicate keystore name (first "
			    "defined at %s:%d)", cfg->keystores[i].src_file,
			    cfg->keystores[i].src_line);
	return (name);
}

static void
ks_parse(struct cfg_ctx *ctx, const config_setting_t *grp, size_t nth)
{
	struct lc_config	*cfg = ctx->cfg;
	struct kb		 kb;
	const char		*name;

	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, grp, "each element of `keystores` must be a "
		    "group ({ name = ...; type = ...; }), not %s",
		    cfg_type_name(grp));
		return;
	}
	memset(&kb, 0, sizeof kb);
	kb.grp = grp;
	kb.ks = &cfg->keystores[cfg->nkeystores];
	memset(kb.ks, 0, sizeof *kb.ks);
	kb.ks->timeout_ms = 10000;
	kb.ks->connect_timeout_ms = 3000;
	kb.ks->retries = 2;
	kb.ks->src_file = cfg->files[cfg_setting_file(ctx, grp)];
	kb.ks->src_line = cfg_setting_line(ctx, grp);
	ctx->anchor = grp;
	name = ks_name_read(ctx, grp, nth);
	ks_walk(ctx, &kb);
	ks_finish(ctx, &kb);
	cfg_set_prefix(ctx, NULL);
	ctx->anchor = NULL;
	if (name == NULL) {
		cfg_keystore_clear(kb.ks);
		return;
	}
	kb.ks->name = xstrdup(name);
	cfg->nkeystores++;
}

/* Reads every keystore; they must be known before any job refers to one. */
void
cfg_keystores_parse(struct cfg_ctx *ctx, const config_setting_t *list)
{
	struct lc_config	*cfg = ctx->cfg;
	int			 i, n;

	if (config_setting_type(list) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(list) == 0)
		return;
	if (cfg_need_list(ctx, list) != 0)
		return;
	n = config_setting_length(list);
	cfg->keystores = xcalloc((size_t)n + 1, sizeof *cfg->keystores);
	for (i = 0; i < n; i++)
		ks_parse(ctx, config_setting_get_elem(list, (unsigned int)i),
		    (size_t)i + 1);
}

void
cfg_keystore_clear(struct lc_keystore_conf *ks)
{
	free(ks->name);
	free(ks->url);
	free(ks->mount);
	free(ks->vault_namespace);
	free(ks->token_file);
	free(ks->file);
	free(ks->ca_file);
	free(ks->cert_file);
	free(ks->key_file);
	memset(ks, 0, sizeof *ks);
}

/* --- secrets ------------------------------------------------------------ */

static void
sec_keystore(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job_secrets	*sec = &((struct lc_job *)obj)->secrets;
	const struct lc_config	*cfg = ctx->cfg;
	const char		*v = NULL, *best, **names;
	size_t			 i;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	for (i = 0; i < cfg->nkeystores; i++) {
		if (strcmp(cfg->keystores[i].name, v) == 0) {
			sec->keystore = &cfg->keystores[i];
			return;
		}
	}
	if (cfg->nkeystores == 0) {
		cfg_error(ctx, s, "`secrets.keystore`: no keystore named `%s` "
		    "(no `keystores` are defined)", v);
		return;
	}
	names = xcalloc(cfg->nkeystores, sizeof *names);
	for (i = 0; i < cfg->nkeystores; i++)
		names[i] = cfg->keystores[i].name;
	if ((best = cfg_closest(v, names, cfg->nkeystores)) != NULL)
		cfg_error(ctx, s, "`secrets.keystore`: no keystore named `%s` "
		    "(did you mean `%s`?)", v, best);
	else
		cfg_error(ctx, s, "`secrets.keystore`: no keystore named `%s`",
		    v);
	free(names);
}

static void
sec_path(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	if (v[0] == '/' || strstr(v, "..") != NULL || strpbrk(v, "?#") !=
	    NULL) {
		cfg_error(ctx, s, "`secrets.path` must be a relative secret "
		    "path like \"etl/warehouse\", not \"%s\"", v);
		return;
	}
	cfg_set_str(&((struct lc_job *)obj)->secrets.path, v);
}

/* Adds VAR -> key; a variable named twice is an error. */
static void
sec_env_add(struct cfg_ctx *ctx, struct lc_job_secrets *sec,
    const config_setting_t *e, const char *var, size_t vlen, const char *key)
{
	size_t	 i;
	char	*name = xstrndup(var, vlen);

	if (!cfg_valid_env_name(name) || strncmp(name, "LOCKCRON_", 9) == 0) {
		cfg_error(ctx, e, "`secrets.env`: \"%s\" is not a valid "
		    "variable name ([A-Za-z_][A-Za-z0-9_]*, not LOCKCRON_*)",
		    name);
		goto out;
	}
	if (*key == '\0') {
		cfg_error(ctx, e, "`secrets.env`: %s has an empty key", name);
		goto out;
	}
	for (i = 0; i < sec->nenv; i++) {
		if (strcmp(sec->env[i].var, name) == 0) {
			cfg_error(ctx, e, "`secrets.env`: %s is set twice",
			    name);
			goto out;
		}
	}
	sec->env = xreallocarray(sec->env, sec->nenv + 1, sizeof *sec->env);
	sec->env[sec->nenv].var = name;
	sec->env[sec->nenv++].key = xstrdup(key);
	return;
out:
	free(name);
}

static void
sec_env(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job_secrets	*sec = &((struct lc_job *)obj)->secrets;
	const config_setting_t	*e;
	const char		*v, *eq;
	int			 i, n, group;

	group = config_setting_type(s) == CONFIG_TYPE_GROUP;
	if (!group && config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "`secrets.env` must be a group ({ VAR = "
		    "\"key\"; }) or a list of \"VAR=key\" strings, not %s",
		    cfg_type_name(s));
		return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(ctx, e, "`secrets.env%s%s` must be a string "
			    "(a key name), not %s", group ? "." : "",
			    group ? config_setting_name(e) : "",
			    cfg_type_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if (group)
			sec_env_add(ctx, sec, e, config_setting_name(e),
			    strlen(config_setting_name(e)), v);
		else if ((eq = strchr(v, '=')) == NULL)
			cfg_error(ctx, e, "`secrets.env`: \"%s\" is not "
			    "VAR=key", v);
		else
			sec_env_add(ctx, sec, e, v, (size_t)(eq - v), eq + 1);
	}
}

/* Reads the keys of one secrets.files element; 0 when all were valid. */
static int
sec_file_keys(struct cfg_ctx *ctx, const config_setting_t *g,
    const char **name, const char **key, mode_t *mode)
{
	static const char *const keys[] = { "name", "key", "mode" };
	const config_setting_t	*s;
	const char		*best;
	size_t			 i;
	int			 ok = 1;

	for (i = 0; i < (size_t)config_setting_length(g); i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		if (strcmp(config_setting_name(s), "name") == 0)
			ok &= cfg_get_nonempty(ctx, s, name) == 0;
		else if (strcmp(config_setting_name(s), "key") == 0)
			ok &= cfg_get_nonempty(ctx, s, key) == 0;
		else if (strcmp(config_setting_name(s), "mode") == 0) {
			if (cfg_get_mode(ctx, s, 0777, "0400", mode) != 0)
				ok = 0;
			else if (*mode & 022) {
				cfg_error(ctx, s, "`secrets.files.mode` must "
				    "not let group or others write (\"0400\" "
				    "or \"0600\" are usual)");
				ok = 0;
			}
		} else if ((best = cfg_closest(config_setting_name(s), keys,
		    LC_NELEM(keys))) != NULL)
			cfg_error(ctx, s, "unknown key `secrets.files.%s` (did "
			    "you mean `secrets.files.%s`?)",
			    config_setting_name(s), best);
		else
			cfg_error(ctx, s, "unknown key `secrets.files.%s`",
			    config_setting_name(s));
	}
	return (ok ? 0 : -1);
}

/* One element of secrets.files: { name; key; mode; }. */
static void
sec_file(struct cfg_ctx *ctx, struct lc_job_secrets *sec,
    const config_setting_t *g)
{
	const char	*name = NULL, *key = NULL;
	mode_t		 mode = 0400;
	size_t		 i;
	int		 rc;

	if (cfg_need_group(ctx, g) != 0)
		return;
	rc = sec_file_keys(ctx, g, &name, &key, &mode);
	if (name == NULL && config_setting_get_member(g, "name") == NULL)
		cfg_error(ctx, g, "`secrets.files`: missing `name`");
	if (key == NULL && config_setting_get_member(g, "key") == NULL)
		cfg_error(ctx, g, "`secrets.files`: missing `key`");
	if (rc != 0 || name == NULL || key == NULL)
		return;
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strlen(name) > 255) {
		cfg_error(ctx, config_setting_get_member(g, "name"),
		    "`secrets.files.name` must be a file name without '/' "
		    "(not \".\" or \"..\"), not \"%s\"", name);
		return;
	}
	for (i = 0; i < sec->nfiles; i++) {
		if (strcmp(sec->files[i].name, name) == 0) {
			cfg_error(ctx, g, "`secrets.files`: %s is written "
			    "twice", name);
			return;
		}
	}
	sec->files = xreallocarray(sec->files, sec->nfiles + 1,
	    sizeof *sec->files);
	sec->files[sec->nfiles].name = xstrdup(name);
	sec->files[sec->nfiles].key = xstrdup(key);
	sec->files[sec->nfiles++].mode = mode;
}

static void
sec_files(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_job_secrets	*sec = &((struct lc_job *)obj)->secrets;
	int			 i, n;

	if (config_setting_type(s) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(s) == 0)
		return;
	if (cfg_need_list(ctx, s) != 0)
		return;
	n = config_setting_length(s);
	for (i = 0; i < n; i++)
		sec_file(ctx, sec, config_setting_get_elem(s, (unsigned int)i));
}

static const struct cfg_key sec_keys[] = {
	{ "keystore", sec_keystore, 0 },
	{ "path", sec_path, 0 },
	{ "env", sec_env, 0 },
	{ "files", sec_files, 0 },
};

/* A job's secrets: own keys over the defaults' ones. */
void
cfg_job_secrets(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	cfg_apply(ctx, sec_keys, LC_NELEM(sec_keys), obj, s, d);
}

/* The key named name in own, else in def. */
static const config_setting_t *
member2(const config_setting_t *own, const config_setting_t *def,
    const char *name)
{
	const config_setting_t	*s = NULL;

	if (own != NULL)
		s = config_setting_get_member(own, name);
	if (s == NULL && def != NULL)
		s = config_setting_get_member(def, name);
	return (s);
}

/* Checks a job's merged secrets as a whole (never in `defaults`, which
 * may hold only part of them). */
void
cfg_secrets_check(struct cfg_ctx *ctx, const struct lc_job *job,
    const config_setting_t *own, const config_setting_t *def,
    const config_setting_t *grp)
{
	const struct lc_job_secrets	*sec = &job->secrets;
	const config_setting_t		*at = own != NULL ? own : grp, *path;

	if (member2(own, def, "keystore") == NULL)
		cfg_error(ctx, at, "`secrets` needs `keystore`");
	path = member2(own, def, "path");
	if (sec->keystore != NULL && sec->keystore->type ==
	    LC_KEYSTORE_VAULT_KV2 && path == NULL)
		cfg_error(ctx, at, "`secrets.path` is required: keystore `%s` "
		    "is of type \"vault-kv2\"", sec->keystore->name);
	if (sec->keystore != NULL && sec->keystore->type !=
	    LC_KEYSTORE_VAULT_KV2 && path != NULL)
		cfg_warn(ctx, own != NULL && path == config_setting_get_member(
		    own, "path") ? path : at, "`secrets.path` is not used by "
		    "keystore `%s` (type \"%s\")", sec->keystore->name,
		    type_names[sec->keystore->type]);
	if (member2(own, def, "env") == NULL &&
	    member2(own, def, "files") == NULL)
		cfg_warn(ctx, at, "`secrets` fetches nothing (set `env` or "
		    "`files`)");
}

void
cfg_secrets_clear(struct lc_job_secrets *sec)
{
	size_t	 i;

	free(sec->path);
	for (i = 0; i < sec->nenv; i++) {
		free(sec->env[i].var);
		free(sec->env[i].key);
	}
	free(sec->env);
	for (i = 0; i < sec->nfiles; i++) {
		free(sec->files[i].name);
		free(sec->files[i].key);
	}
	free(sec->files);
	memset(sec, 0, sizeof *sec);
}

/* --- notify ------------------------------------------------------------- */

static void
notify_on(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_notify	*n = obj;
	const config_setting_t	*e;
	const char		*v = NULL, *best;
	size_t			 i, j;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "`notify.on` must be an array of run "
		    "statuses like [\"failed\", \"timed_out\"], not %s",
		    cfg_type_name(s));
		return;
	}
	cfg_notify_clear_on(n);
	n->on = xcalloc((size_t)config_setting_length(s) + 1, sizeof *n->on);
	for (i = 0; i < (size_t)config_setting_length(s); i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (cfg_get_string(ctx, e, &v) != 0)
			continue;
		for (j = 0; j < LC_NELEM(statuses); j++)
			if (strcmp(v, statuses[j]) == 0)
				break;
		if (j < LC_NELEM(statuses)) {
			n->on[n->non++] = xstrdup(v);
			continue;
		}
		if ((best = cfg_closest(v, statuses, LC_NELEM(statuses))) !=
		    NULL)
			cfg_error(ctx, e, "`notify.on`: unknown status \"%s\" "
			    "(did you mean \"%s\"?)", v, best);
		else
			cfg_error(ctx, e, "`notify.on`: unknown status \"%s\" "
			    "(statuses: succeeded, failed, timed_out, killed, "
			    "cancelled, skipped, secret_error, launch_error, "
			    "missed, lost)", v);
	}
}

static void
notify_url(struct cfg_ctx *ctx, const config_setting_t *s, char **dst,
    int ping)
{
	const char	*v = NULL;

	if (cfg_get_nonempty(ctx, s, &v) != 0 || url_check(ctx, s, v, 0) != 0)
		return;
	if (ping && strpbrk(v, "?#") != NULL) {
		cfg_error(ctx, s, "`notify.ping` must not have a query or a "
		    "fragment: lockcron appends /start and /fail to it");
		return;
	}
	cfg_set_str(dst, v);
}

static void
notify_webhook(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	notify_url(ctx, s, &((struct lc_notify *)obj)->webhook, 0);
}

static void
notify_ping(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	notify_url(ctx, s, &((struct lc_notify *)obj)->ping, 1);
}

/* Addresses for sendmail's argv: never one that reads as an option. */
static void
notify_mail(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	const char	*v = NULL, *p;
	int		 start = 1;

	if (cfg_get_nonempty(ctx, s, &v) != 0)
		return;
	for (p = v; *p != '\0'; p++) {
		if ((start && (*p == '-' || *p == ',')) ||
		    (unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("<>()\"'\\;|&$`", *p) != NULL || (*p == ',' &&
		    p[1] == '\0')) {
			cfg_error(ctx, s, "`notify.mail` must be mail addresses "
			    "separated by commas, like \"ops@example.com\" or "
			    "\"root\", not \"%s\"", v);
			return;
		}
		start = *p == ',';
	}
	cfg_set_str(&((struct lc_notify *)obj)->mail, v);
}

static const struct cfg_key notify_keys[] = {
	{ "on", notify_on, 0 },
	{ "webhook", notify_webhook, 0 },
	{ "mail", notify_mail, 0 },
	{ "ping", notify_ping, 0 },
};

/* A job's notify: own keys over the defaults' ones, then `on`'s default. */
void
cfg_job_notify(struct cfg_ctx *ctx, void *obj, const config_setting_t *s,
    const config_setting_t *d)
{
	struct lc_notify	*n = &((struct lc_job *)obj)->notify;
	const config_setting_t	*on;
	size_t			 i;

	cfg_apply(ctx, notify_keys, LC_NELEM(notify_keys), n, s, d);
	if (n->on == NULL && (n->webhook != NULL || n->mail != NULL)) {
		n->on = xcalloc(LC_NELEM(default_on) + 1, sizeof *n->on);
		for (i = 0; i < LC_NELEM(default_on); i++)
			n->on[n->non++] = xstrdup(default_on[i]);
	}
	if (!ctx->in_defaults && s != NULL &&
	    (on = config_setting_get_member(s, "on")) != NULL &&
	    n->non > 0 && n->webhook == NULL && n->mail == NULL)
		cfg_warn(ctx, on, "`notify.on` has no effect without "
		    "`notify.webhook` or `notify.mail`");
}

void
cfg_notify_clear_on(struct lc_notify *n)
{
	size_t	 i;

	for (i = 0; i < n->non; i++)
		free(n->on[i]);
	free(n->on);
	n->on = NULL;
	n->non = 0;
}

void
cfg_notify_clear(struct lc_notify *n)
{
	cfg_notify_clear_on(n);
	free(n->webhook);
	free(n->mail);
	free(n->ping);
	memset(n, 0, sizeof *n);
}
