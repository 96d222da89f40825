/*
 * The config loader's diagnostics and typed readers: every problem becomes
 * a message at its setting's file and line, and every reader says which key
 * it read, what it expected and what it found.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "lockcron/timefmt.h"

/* --- diagnostics -------------------------------------------------------- */

/* The index of the file a setting was read from. */
size_t
cfg_setting_file(struct cfg_ctx *ctx, const config_setting_t *s)
{
	return (cfg_file_of(ctx, config_setting_source_file(s)));
}

/* The index of a file as libconfig names it (NULL: the file being read). */
size_t
cfg_file_of(struct cfg_ctx *ctx, const char *name)
{
	char	*path;
	size_t	 i;

	if (name == NULL)
		return (ctx->file);
	/* A file libconfig read through @include: name it as it opened it. */
	if (name[0] != '/' && ctx->incdir != NULL)
		xasprintf(&path, "%s/%s", ctx->incdir, name);
	else
		path = xstrdup(name);
	i = cfg_file_add(ctx, path);
	free(path);
	return (i);
}

static void	add_msg(struct cfg_ctx *, size_t, int, int, const char *,
		    va_list) LC_PRINTF(5, 0);

/* A message is one line, whatever the values it quotes hold: control
 * characters are escaped (no forged log lines, no terminal escapes). */
static char *
one_line(char *s)
{
	struct lc_buf		 b = { 0 };
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			break;
	if (*p == '\0')
		return (s);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\n')
			lc_buf_addstr(&b, "\\n");
		else if (*p == '\t')
			lc_buf_addstr(&b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			lc_buf_printf(&b, "\\x%02x", *p);
		else
			lc_buf_add(&b, p, 1);
	}
	free(s);
	return (lc_buf_steal(&b));
}

static void
add_msg(struct cfg_ctx *ctx, size_t file, int line, int warning,
    const char *fmt, va_list ap)
{
	struct cfg_msg	*m;
	char		*text;

	if (ctx->quiet > 0)
		return;
	if (ctx->nmsgs == ctx->msgs_cap) {
		ctx->msgs_cap = ctx->msgs_cap == 0 ? 16 : ctx->msgs_cap * 2;
		ctx->msgs = xreallocarray(ctx->msgs, ctx->msgs_cap,
		    sizeof *ctx->msgs);
	}
	xvasprintf(&text, fmt, ap);
	text = one_line(text);
	m = &ctx->msgs[ctx->nmsgs];
	m->file = file;
	m->line = line;
	m->seq = ctx->nmsgs++;
	m->warning = warning;
	xasprintf(&m->text, "%s%s", ctx->prefix != NULL ? ctx->prefix : "",
	    text);
	free(text);
}

/* A setting's line in its file (a job chunk's lines start further on). */
int
cfg_setting_line(const struct cfg_ctx *ctx, const config_setting_t *s)
{
	return ((int)config_setting_source_line(s) +
	    (config_setting_source_file(s) == NULL ? ctx->line_offset : 0));
}

void
cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list	 ap;

	if (ctx->quiet > 0)
		return;
	va_start(ap, fmt);
	add_msg(ctx, cfg_setting_file(ctx, s), cfg_setting_line(ctx, s), 0, fmt,
	    ap);
	va_end(ap);
}

void
cfg_warn(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list	 ap;

	if (ctx->quiet > 0)
		return;
	va_start(ap, fmt);
	add_msg(ctx, cfg_setting_file(ctx, s), cfg_setting_line(ctx, s), 1, fmt,
	    ap);
	va_end(ap);
}

void
cfg_error_at(struct cfg_ctx *ctx, size_t file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_msg(ctx, file, line, 0, fmt, ap);
	va_end(ap);
}

void
cfg_warn_at(struct cfg_ctx *ctx, size_t file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add_msg(ctx, file, line, 1, fmt, ap);
	va_end(ap);
}

/* Forgets the messages after the first n (a file with a syntax error
 * reports only that, as libconfig stops there). */
void
cfg_msgs_truncate(struct cfg_ctx *ctx, size_t n)
{
	while (ctx->nmsgs > n)
		free(ctx->msgs[--ctx->nmsgs].text);
}

int
cfg_nerrors(const struct cfg_ctx *ctx)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < ctx->nmsgs; i++)
		n += !ctx->msgs[i].warning;
	return (n);
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct cfg_msg	*x = a, *y = b;

	if (x->file != y->file)
		return (x->file < y->file ? -1 : 1);
	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Sorts by file and line, drops repeats, and hands the text to diag. */
void
cfg_diag_finish(struct cfg_ctx *ctx, struct lc_config_diag *diag)
{
	struct cfg_msg	*m, *prev = NULL;
	const char	*file;
	char		*line, ***v;
	size_t		 i, *n;

	if (ctx->nmsgs > 0)
		qsort(ctx->msgs, ctx->nmsgs, sizeof *ctx->msgs, msg_cmp);
	for (i = 0; i < ctx->nmsgs; i++) {
		m = &ctx->msgs[i];
		if (diag == NULL || (prev != NULL && prev->file == m->file &&
		    prev->line == m->line && prev->warning == m->warning &&
		    strcmp(prev->text, m->text) == 0))
			continue;
		prev = m;
		file = ctx->cfg->files[m->file];
		if (m->line > 0)
			xasprintf(&line, "%s:%d: %s%s", file, m->line,
			    m->warning ? "warning: " : "", m->text);
		else
			xasprintf(&line, "%s: %s%s", file,
			    m->warning ? "warning: " : "", m->text);
		v = m->warning ? &diag->warnings : &diag->errors;
		n = m->warning ? &diag->nwarnings : &diag->nerrors;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = line;
		diag->all = xreallocarray(diag->all, diag->nall + 1,
		    sizeof *diag->all);
		diag->all[diag->nall++] = xstrdup(line);
	}
	for (i = 0; i < ctx->nmsgs; i++)
		free(ctx->msgs[i].text);
	free(ctx->msgs);
	ctx->msgs = NULL;
	ctx->nmsgs = ctx->msgs_cap = 0;
}

void
cfg_set_prefix(struct cfg_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	free(ctx->prefix);
	ctx->prefix = NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&ctx->prefix, fmt, ap);
	va_end(ap);
}

/* The dotted name of a setting below the current anchor: "retries.count". */
char *
cfg_path(const struct cfg_ctx *ctx, const config_setting_t *s)
{
	const config_setting_t	*p;
	const char		*parts[32];
	struct lc_buf		 b = { 0 };
	size_t			 n = 0;

	for (p = s; p != NULL && p != ctx->anchor && n < LC_NELEM(parts);
	    p = config_setting_parent(p))
		if (config_setting_name(p) != NULL)
			parts[n++] = config_setting_name(p);
	while (n > 0) {
		lc_buf_addstr(&b, parts[--n]);
		if (n > 0)
			lc_buf_addstr(&b, ".");
	}
	return (lc_buf_steal(&b));
}

/* --- names and "did you mean" ------------------------------------------ */

/* Edit distance with transpositions, case-insensitive. */
static size_t
distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, cost, d, *row[3];
	size_t	 best;

	if (la > 64 || lb > 64)
		return (SIZE_MAX);
	for (i = 0; i < 3; i++)
		row[i] = xcalloc(lb + 1, sizeof **row);
	for (j = 0; j <= lb; j++)
		row[1][j] = j;
	for (i = 1; i <= la; i++) {
		size_t	*prev2 = row[0], *prev = row[1], *cur = row[2];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			best = prev[j] + 1;
			if ((d = cur[j - 1] + 1) < best)
				best = d;
			if ((d = prev[j - 1] + cost) < best)
				best = d;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && (d = prev2[j - 2] + 1) < best)
				best = d;
			cur[j] = best;
		}
		row[0] = prev;
		row[1] = cur;
		row[2] = prev2;
	}
	d = row[1][lb];
	for (i = 0; i < 3; i++)
		free(row[i]);
	return (d);
}

/* The candidate closest to name when it is close enough to be a typo. */
const char *
cfg_closest(const char *name, const char *const *cands, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, len, limit;

	for (i = 0; i < n; i++) {
		if (cands[i] == NULL)
			continue;
		d = distance(name, cands[i]);
		len = strlen(name) > strlen(cands[i]) ? strlen(name) :
		    strlen(cands[i]);
		limit = len / 3 > 1 ? len / 3 : 1;
		if (d <= limit && d < bestd) {
			best = cands[i];
			bestd = d;
		}
	}
	return (best);
}

void
cfg_unknown_key(struct cfg_ctx *ctx, const config_setting_t *s,
    const struct cfg_key *keys, size_t nkeys)
{
	const char	*cands[64], *best;
	char		*path, *dot;
	size_t		 i;

	for (i = 0; i < nkeys && i < LC_NELEM(cands); i++)
		cands[i] = keys[i].name;
	path = cfg_path(ctx, s);
	if ((best = cfg_closest(config_setting_name(s), cands, i)) == NULL)
		cfg_error(ctx, s, "unknown key `%s`", path);
	else if ((dot = strrchr(path, '.')) != NULL)
		cfg_error(ctx, s, "unknown key `%s` (did you mean `%.*s.%s`?)",
		    path, (int)(dot - path), path, best);
	else
		cfg_error(ctx, s, "unknown key `%s` (did you mean `%s`?)",
		    path, best);
	free(path);
}

static const struct cfg_key *
find_key(const struct cfg_key *keys, size_t nkeys, const char *name,
    size_t *idx)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0) {
			*idx = i;
			return (&keys[i]);
		}
	}
	return (NULL);
}

/*
 * Calls each key's handler for the members of own, then for the members
 * of def (the `defaults` group's counterpart) that own does not set. Values
 * taken from def are read quietly: they were reported where they stand.
 */
void
cfg_apply(struct cfg_ctx *ctx, const struct cfg_key *keys, size_t nkeys,
    void *obj, const config_setting_t *own, const config_setting_t *def)
{
	const struct cfg_key	*k;
	config_setting_t	*s, *d;
	uint64_t		 seen = 0;
	size_t			 idx;
	int			 i, n;

	n = own != NULL ? config_setting_length(own) : 0;
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(own, (unsigned int)i);
		if ((k = find_key(keys, nkeys, config_setting_name(s),
		    &idx)) == NULL) {
			cfg_unknown_key(ctx, s, keys, nkeys);
			continue;
		}
		seen |= (uint64_t)1 << idx;
		d = k->merge && def != NULL ?
		    config_setting_get_member(def, k->name) : NULL;
		k->fn(ctx, obj, s, d);
	}
	n = def != NULL ? config_setting_length(def) : 0;
	for (i = 0; i < n; i++) {
		d = config_setting_get_elem(def, (unsigned int)i);
		if ((k = find_key(keys, nkeys, config_setting_name(d),
		    &idx)) == NULL || (seen & ((uint64_t)1 << idx)))
			continue;
		ctx->quiet++;
		if (k->merge)
			k->fn(ctx, obj, NULL, d);
		else
			k->fn(ctx, obj, d, NULL);
		ctx->quiet--;
	}
}

/* --- typed readers ------------------------------------------------------ */

const char *
cfg_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return ("an integer");
	case CONFIG_TYPE_FLOAT:
		return ("a decimal number");
	case CONFIG_TYPE_STRING:
		return ("a string");
	case CONFIG_TYPE_BOOL:
		return ("a boolean");
	case CONFIG_TYPE_ARRAY:
		return ("an array");
	case CONFIG_TYPE_LIST:
		return ("a list");
	case CONFIG_TYPE_GROUP:
		return ("a group");
	}
	return ("nothing");
}

int
cfg_is_int(const config_setting_t *s)
{
	return (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64);
}

/* Reports that s is not what the key expects. */
static int
wrong_type(struct cfg_ctx *ctx, const config_setting_t *s, const char *want)
{
	char	*path = cfg_path(ctx, s);

	cfg_error(ctx, s, "`%s` must be %s, not %s", path, want,
	    cfg_type_name(s));
	free(path);
	return (-1);
}

int
cfg_get_string(struct cfg_ctx *ctx, const config_setting_t *s,
    const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (wrong_type(ctx, s, "a string"));
	*out = config_setting_get_string(s);
	return (0);
}

int
cfg_get_nonempty(struct cfg_ctx *ctx, const config_setting_t *s,
    const char **out)
{
	char	*path;

	if (cfg_get_string(ctx, s, out) != 0)
		return (-1);
	if (**out == '\0') {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s` is empty", path);
		free(path);
		return (-1);
	}
	return (0);
}

static int
out_of_range(struct cfg_ctx *ctx, const config_setting_t *s, int64_t v,
    int64_t min, int64_t max)
{
	char	*path = cfg_path(ctx, s);

	if (max == INT64_MAX)
		cfg_error(ctx, s, "`%s` must be %lld or more, not %lld", path,
		    (long long)min, (long long)v);
	else
		cfg_error(ctx, s, "`%s` must be from %lld to %lld, not %lld",
		    path, (long long)min, (long long)max, (long long)v);
	free(path);
	return (-1);
}

int
cfg_get_int(struct cfg_ctx *ctx, const config_setting_t *s, int64_t min,
    int64_t max, int64_t *out)
{
	int64_t	 v;

	if (!cfg_is_int(s))
		return (wrong_type(ctx, s, "an integer"));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return (out_of_range(ctx, s, v, min, max));
	*out = v;
	return (0);
}

int
cfg_get_bool(struct cfg_ctx *ctx, const config_setting_t *s, int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return (wrong_type(ctx, s, "true or false"));
	*out = config_setting_get_bool(s);
	return (0);
}

/* Seconds as an integer or "90s", "15m", "2h", "1d", "1h30m". */
int
cfg_get_duration(struct cfg_ctx *ctx, const config_setting_t *s, int64_t max,
    int64_t *out)
{
	char		*path, buf[32];
	int64_t		 v;

	if (cfg_is_int(s)) {
		v = config_setting_get_int64(s);
		if (v < 0 || v > max)
			goto range;
		*out = v;
		return (0);
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (wrong_type(ctx, s, "a duration (seconds, or a string "
		    "like \"90s\", \"15m\", \"2h\", \"1d\")"));
	if (lc_duration_parse(config_setting_get_string(s), &v) != 0) {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s`: invalid duration \"%s\" (use seconds, "
		    "or a string like \"90s\", \"15m\", \"2h\", \"1d\", "
		    "\"1h30m\")", path, config_setting_get_string(s));
		free(path);
		return (-1);
	}
	if (v > max)
		goto range;
	*out = v;
	return (0);
range:
	path = cfg_path(ctx, s);
	if (v < 0)
		cfg_error(ctx, s, "`%s` must not be negative, not %lld", path,
		    (long long)v);
	else
		cfg_error(ctx, s, "`%s` must be at most %s, not %lld seconds",
		    path, lc_duration_format(max * 1000, buf, sizeof buf),
		    (long long)v);
	free(path);
	return (-1);
}

int
cfg_get_duration_ms(struct cfg_ctx *ctx, const config_setting_t *s,
    int64_t max, int64_t *out)
{
	int64_t	 v;

	if (cfg_get_duration(ctx, s, max, &v) != 0)
		return (-1);
	*out = v * 1000;
	return (0);
}

/* Parses "65536", "64k", "1M", "1g" (powers of 1024). */
static int
parse_size(const char *p, int64_t *out)
{
	int64_t	 v = 0, mult = 1;

	if (!isdigit((unsigned char)*p))
		return (-1);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case 'k': case 'K': mult = 1024; p++; break;
	case 'm': case 'M': mult = 1024 * 1024; p++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; p++; break;
	}
	if (mult > 1 && (*p == 'b' || *p == 'B'))
		p++;
	if (*p != '\0' || v > INT64_MAX / mult)
		return (-1);
	*out = v * mult;
	return (0);
}

int
cfg_get_size(struct cfg_ctx *ctx, const config_setting_t *s, int64_t max,
    int64_t *out)
{
	char	*path;
	int64_t	 v;

	if (cfg_is_int(s))
		v = config_setting_get_int64(s);
	else if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (wrong_type(ctx, s, "a size (bytes, or a string like "
		    "\"64k\" or \"1M\")"));
	else if (parse_size(config_setting_get_string(s), &v) != 0) {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s`: invalid size \"%s\" (use bytes, or a "
		    "string like \"64k\" or \"1M\")", path,
		    config_setting_get_string(s));
		free(path);
		return (-1);
	}
	if (v < 0 || v > max)
		return (out_of_range(ctx, s, v, 0, max));
	*out = v;
	return (0);
}

int
cfg_get_abspath(struct cfg_ctx *ctx, const config_setting_t *s, char **out)
{
	const char	*v = NULL;
	char		*path;

	if (cfg_get_string(ctx, s, &v) != 0)
		return (-1);
	if (v[0] != '/') {
		path = cfg_path(ctx, s);
		cfg_error(ctx, s, "`%s` must be an absolute path, not \"%s\"",
		    path, v);
		free(path);
		return (-1);
	}
	cfg_set_str(out, v);
	return (0);
}

/* One of a NULL-terminated list of words; *out is its index. */
int
cfg_get_enum(struct cfg_ctx *ctx, const config_setting_t *s,
    const char *const *names, int *out)
{
	struct lc_buf	 b = { 0 };
	const char	*v = NULL;
	char		*path;
	int		 i;

	if (cfg_get_string(ctx, s, &v) != 0)
		return (-1);
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return (0);
		}
	}
	for (i = 0; names[i] != NULL; i++)
		lc_buf_printf(&b, "%s\"%s\"", i == 0 ? "" :
		    names[i + 1] == NULL ? " or " : ", ", names[i]);
	path = cfg_path(ctx, s);
	cfg_error(ctx, s, "`%s` must be %s, not \"%s\"", path, b.data, v);
	free(path);
	lc_buf_free(&b);
	return (-1);
}

/* A file mode or umask written as an octal string: "0022". */
int
cfg_get_mode(struct cfg_ctx *ctx, const config_setting_t *s, mode_t max,
    const char *example, mode_t *out)
{
	const char	*v = NULL, *p;
	char		*path;
	unsigned int	 m = 0;

	path = cfg_path(ctx, s);
	if (cfg_is_int(s)) {
		cfg_error(ctx, s, "`%s` must be a string of octal digits like "
		    "\"%s\": libconfig has no octal numbers, so %lld would be "
		    "read as decimal", path, example,
		    (long long)config_setting_get_int64(s));
		goto bad;
	}
	if (cfg_get_string(ctx, s, &v) != 0)
		goto bad;
	for (p = v; *p >= '0' && *p <= '7' && p - v < 5; p++)
		m = m * 8 + (unsigned int)(*p - '0');
	if (p == v || *p != '\0' || p - v > 4) {
		cfg_error(ctx, s, "`%s`: invalid mode \"%s\" (expected 1 to 4 "
		    "octal digits like \"%s\")", path, v, example);
		goto bad;
	}
	if (m > max) {
		cfg_error(ctx, s, "`%s` must be at most \"0%o\", not \"%s\"",
		    path, (unsigned int)max, v);
		goto bad;
	}
	free(path);
	*out = (mode_t)m;
	return (0);
bad:
	free(path);
	return (-1);
}

int
cfg_need_group(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return (wrong_type(ctx, s, "a group ({ ... })"));
	return (0);
}

int
cfg_need_list(struct cfg_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return (wrong_type(ctx, s, "a list (( { ... }, ... ))"));
	return (0);
}

/* Job, keystore and lock names: [A-Za-z0-9._-]+, not led by '.' or '-'. */
int
cfg_valid_name(const char *s)
{
	const char	*p;

	if (*s == '\0' || *s == '.' || *s == '-' || strlen(s) > CFG_NAME_MAX)
		return (0);
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			return (0);
	return (1);
}

/* An environment variable name as POSIX shells accept it. */
int
cfg_valid_env_name(const char *s)
{
	const char	*p;

	if (!isalpha((unsigned char)*s) && *s != '_')
		return (0);
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return (0);
	return (1);
}

void
cfg_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}
