/*
 * crontab(5) to lockcron jobs. Lines are read as Debian's cron(8) 3.0pl1
 * reads them (its behaviour was checked line by line, not guessed):
 * environment lines apply to the job lines after them, '%' splits a command
 * from its standard input, a system crontab has a user field. Each job
 * becomes one libconfig group; lines lockcron cannot take over stay in the
 * output as comments and are counted as failed.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockcron/crontab.h"
#include "lockcron/util.h"

struct env_var {
	char	*name;
	char	*value;
};

/* What the environment lines so far say; each job takes a copy. */
struct env_state {
	struct env_var	*vars;		/* in the order cron's env_set keeps */
	size_t		 nvars;
	char		*shell;		/* SHELL */
	char		*mail;		/* MAILTO, NULL: unset or "" */
	char		*tz;		/* CRON_TZ */
	char		*home;		/* HOME: cron's working directory */
};

struct job {
	char		*name;
	char		*schedule;
	char		*user;
	struct env_state env;
	char		*lock;
	int		 nonblock;
	int64_t		 lock_wait;
	char		*command;
	char		*input;
	char		**notes;
	size_t		 nnotes;
};

enum item_type { I_BLANK, I_COMMENT, I_ENV, I_JOB, I_FAILED };

/* One crontab line, as it will appear in the output. */
struct item {
	enum item_type	 type;
	int		 line;
	char		*text;		/* the line, leading blanks removed */
	char		*why;		/* I_FAILED */
	struct job	*job;		/* I_JOB */
};

struct warning {
	int	 line;
	char	*msg;
};

struct lc_crontab {
	int		 system;
	char		*source;
	const struct lc_crontab_opts *opts;
	struct env_state env;
	struct item	*items;
	size_t		 nitems;
	struct warning	*warnings;
	size_t		 nwarnings;
	size_t		 njobs;
	size_t		 nfailed;
	int		 refused;	/* cron(8) refused a line */
	char		*config;
};

static const char *const notify_on[] = {
	"failed", "timed_out", "secret_error", "lost"
};

static void	add_warning(struct lc_crontab *, int, const char *, ...)
		    LC_PRINTF(3, 4);

static void
add_warning(struct lc_crontab *ct, int line, const char *fmt, ...)
{
	va_list		 ap;
	struct warning	*w;

	ct->warnings = xreallocarray(ct->warnings, ct->nwarnings + 1,
	    sizeof *ct->warnings);
	w = &ct->warnings[ct->nwarnings++];
	w->line = line;
	va_start(ap, fmt);
	xvasprintf(&w->msg, fmt, ap);
	va_end(ap);
}

static struct item *
add_item(struct lc_crontab *ct, enum item_type type, int line,
    const char *text)
{
	struct item	*it;

	ct->items = xreallocarray(ct->items, ct->nitems + 1,
	    sizeof *ct->items);
	it = &ct->items[ct->nitems++];
	memset(it, 0, sizeof *it);
	it->type = type;
	it->line = line;
	it->text = text != NULL ? xstrdup(text) : NULL;
	return (it);
}

/* A line cron ran (or tried to) that lockcron takes no job from. */
static void
add_failed(struct lc_crontab *ct, int line, const char *text, const char *why,
    int refused)
{
	struct item	*it;

	it = add_item(ct, I_FAILED, line, text);
	it->why = xstrdup(why);
	ct->nfailed++;
	ct->refused |= refused;
	add_warning(ct, line, "not converted: %s", why);
}

/*
 * Environment.
 */

static void
env_clear(struct env_state *e)
{
	size_t	 i;

	for (i = 0; i < e->nvars; i++) {
		free(e->vars[i].name);
		free(e->vars[i].value);
	}
	free(e->vars);
	free(e->shell);
	free(e->mail);
	free(e->tz);
	free(e->home);
	memset(e, 0, sizeof *e);
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

static void
env_copy(struct env_state *to, const struct env_state *from)
{
	size_t	 i;

	memset(to, 0, sizeof *to);
	to->vars = xcalloc(from->nvars, sizeof *to->vars);
	for (i = 0; i < from->nvars; i++) {
		to->vars[i].name = xstrdup(from->vars[i].name);
		to->vars[i].value = xstrdup(from->vars[i].value);
	}
	to->nvars = from->nvars;
	to->shell = dup_or_null(from->shell);
	to->mail = dup_or_null(from->mail);
	to->tz = dup_or_null(from->tz);
	to->home = dup_or_null(from->home);
}

/* Replaces *slot by value, or NULL when value is empty. */
static void
set_special(char **slot, const char *value)
{
	free(*slot);
	*slot = *value != '\0' ? xstrdup(value) : NULL;
}

/* cron's env_set(): a new name goes last, a known one keeps its place. */
static void
env_set(struct env_state *e, const char *name, const char *value)
{
	size_t	 i;

	if (strcmp(name, "SHELL") == 0) {
		set_special(&e->shell, value);
		return;
	}
	if (strcmp(name, "MAILTO") == 0) {
		set_special(&e->mail, value);
		return;
	}
	if (strcmp(name, "CRON_TZ") == 0) {
		set_special(&e->tz, value);
		return;
	}
	if (strcmp(name, "HOME") == 0)
		set_special(&e->home, value);
	for (i = 0; i < e->nvars; i++) {
		if (strcmp(e->vars[i].name, name) == 0) {
			free(e->vars[i].value);
			e->vars[i].value = xstrdup(value);
			return;
		}
	}
	e->vars = xreallocarray(e->vars, e->nvars + 1, sizeof *e->vars);
	e->vars[e->nvars].name = xstrdup(name);
	e->vars[e->nvars++].value = xstrdup(value);
}

/*
 * Jobs.
 */

static void
job_free(struct job *j)
{
	size_t	 i;

	if (j == NULL)
		return;
	free(j->name);
	free(j->schedule);
	free(j->user);
	env_clear(&j->env);
	free(j->lock);
	free(j->command);
	free(j->input);
	for (i = 0; i < j->nnotes; i++)
		free(j->notes[i]);
	free(j->notes);
	free(j);
}

static void	job_note(struct lc_crontab *, struct job *, int, const char *,
		    ...) LC_PRINTF(4, 5);

/* A remark on a converted job: a warning and a comment above the job. */
static void
job_note(struct lc_crontab *ct, struct job *j, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	add_warning(ct, line, "%s", s);
	j->notes = xreallocarray(j->notes, j->nnotes + 1, sizeof *j->notes);
	j->notes[j->nnotes++] = s;
}

static int
is_blank(int c)
{
	return (c == ' ' || c == '\t');
}

/* The next blank-separated word of *p (moved past it and the blanks). */
static char *
next_word(const char **p)
{
	const char	*s = *p;
	size_t		 len;

	for (len = 0; s[len] != '\0' && !is_blank(s[len]); len++)
		;
	if (len == 0)
		return (NULL);
	*p = s + len;
	while (is_blank(**p))
		++*p;
	return (xstrndup(s, len));
}

static const char *const macros[] = {
	"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
	"@midnight", "@hourly", NULL
};

/* The schedule at the start of *p: a macro or five fields. */
static int
read_schedule(const char **p, char **schedule, char **note, char **cause)
{
	char	*words[5] = { NULL };
	size_t	 i;
	int	 n, rc = -1;

	*note = NULL;
	if (**p == '@') {
		words[0] = next_word(p);
		for (i = 0; macros[i] != NULL; i++)
			if (strcmp(words[0], macros[i]) == 0)
				break;
		if (macros[i] == NULL)
			lc_set_cause(cause, "unknown time specifier \"%s\" "
			    "(cron(8) refused this line)", words[0]);
		else {
			*schedule = words[0];
			return (0);
		}
		free(words[0]);
		return (-1);
	}
	for (n = 0; n < 5; n++) {
		if ((words[n] = next_word(p)) == NULL) {
			lc_set_cause(cause, "%d time fields where cron(8) "
			    "needs five (cron(8) refused this line)", n);
			goto out;
		}
	}
	rc = lc_crontab_schedule((const char *const *)words, schedule, note,
	    cause);
out:
	for (n = 0; n < 5; n++)
		free(words[n]);
	return (rc);
}

/* Moves a flock(1) wrapper's lock into the job, or says why not. */
static void
take_flock(struct lc_crontab *ct, struct job *j, int line)
{
	struct lc_crontab_flock	 fl;
	const struct lc_crontab_opts *o = ct->opts;
	char			*cause = NULL;

	switch (lc_crontab_flock(j->command, &fl, &cause)) {
	case 0:
		return;
	case -1:
		job_note(ct, j, line, "flock kept in the command: %s", cause);
		free(cause);
		return;
	}
	if (o->is_dir_cb != NULL && o->is_dir_cb(fl.lock, o->cb_arg)) {
		job_note(ct, j, line, "flock kept in the command: the lock "
		    "\"%s\" is a directory", fl.lock);
		lc_crontab_flock_clear(&fl);
		return;
	}
	free(j->command);
	j->command = fl.command;
	j->lock = fl.lock;
	j->nonblock = fl.nonblock;
	j->lock_wait = fl.wait;
}

/* The user field of a system crontab line. */
static int
read_user(struct lc_crontab *ct, struct job *j, const char **p, int line)
{
	const struct lc_crontab_opts *o = ct->opts;
	const char	*s = *p;
	size_t		 len;

	for (len = 0; s[len] != '\0' && !is_blank(s[len]); len++)
		;
	if (len == 0)
		return (-1);
	j->user = xstrndup(s, len);
	/* Debian's cron takes one blank after the user name, not all. */
	*p = s + len + (s[len] != '\0');
	if (o->user_exists_cb != NULL && !o->user_exists_cb(j->user,
	    o->cb_arg))
		job_note(ct, j, line, "user \"%s\" does not exist here",
		    j->user);
	return (0);
}

/* The command part of a job line: '%' input, trailing CR, flock. */
static int
read_command(struct lc_crontab *ct, struct job *j, const char *rest,
    int line)
{
	char	*cmd, *s;
	size_t	 len;

	cmd = xstrdup(rest);
	len = strlen(cmd);
	if (len > 0 && cmd[len - 1] == '\r') {
		cmd[len - 1] = '\0';
		job_note(ct, j, line, "the line ended with a carriage return "
		    "(a DOS line end), dropped here; cron(8) passed it to "
		    "the shell");
	}
	lc_crontab_percent(cmd, &s, &j->input);
	free(cmd);
	for (cmd = s; is_blank(*cmd); cmd++)
		;
	j->command = xstrdup(cmd);
	free(s);
	if (*j->command == '\0')
		return (-1);
	take_flock(ct, j, line);
	return (0);
}

/* One job line; adds a job or a failed line. */
static void
parse_job(struct lc_crontab *ct, const char *line, int lineno)
{
	struct job	*j;
	const char	*p = line;
	char		*note = NULL, *cause = NULL;

	j = xcalloc(1, sizeof *j);
	if (read_schedule(&p, &j->schedule, &note, &cause) != 0) {
		if (strcspn(line, "=") < strcspn(line, " \t")) {
			free(cause);
			cause = xstrdup("neither a job nor an environment "
			    "line (cron(8) refused it; an empty value needs "
			    "quotes: NAME=\"\")");
		}
		add_failed(ct, lineno, line, cause, 1);
		goto fail;
	}
	if (ct->system && read_user(ct, j, &p, lineno) != 0) {
		add_failed(ct, lineno, line, "no user name after the time "
		    "fields (cron(8) refused this line)", 1);
		goto fail;
	}
	if (!ct->system && ct->opts->user != NULL)
		j->user = xstrdup(ct->opts->user);
	if (note != NULL)
		job_note(ct, j, lineno, "schedule rewritten as cron(8) read "
		    "it: %s", note);
	if (read_command(ct, j, p, lineno) != 0) {
		add_failed(ct, lineno, line, "no command", 0);
		goto fail;
	}
	env_copy(&j->env, &ct->env);
	j->name = lc_crontab_job_name(j->command);
	add_item(ct, I_JOB, lineno, line)->job = j;
	ct->njobs++;
	free(note);
	return;
fail:
	free(note);
	free(cause);
	job_free(j);
}

/* [A-Za-z_][A-Za-z0-9_]*, a name sh(1) can expand. */
static int
is_shell_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

/* One environment line. */
static void
parse_env(struct lc_crontab *ct, const char *line, int lineno,
    const char *name, const char *value)
{
	if (*name == '\0') {
		add_failed(ct, lineno, line, "a variable with an empty name", 0);
		return;
	}
	if (strcmp(name, "LOGNAME") == 0) {
		add_warning(ct, lineno, "LOGNAME ignored: cron(8) sets it to "
		    "the job's user whatever the crontab says");
		add_item(ct, I_ENV, lineno, line);
		return;
	}
	if (!is_shell_name(name))
		add_warning(ct, lineno, "\"%s\" is not a name the shell can "
		    "read; it stays in the jobs' environment", name);
	if (strcmp(name, "HOME") == 0 && *value != '/')
		add_warning(ct, lineno, "HOME is not an absolute path: the "
		    "jobs below keep their user's home as working directory");
	env_set(&ct->env, name, value);
	add_item(ct, I_ENV, lineno, line);
}

/* One line of the crontab, without its newline. */
static void
parse_line(struct lc_crontab *ct, const char *line, int lineno)
{
	const char	*p = line;
	char		*name, *value;

	while (is_blank(*p))
		p++;
	if (*p == '\0')
		add_item(ct, I_BLANK, lineno, NULL);
	else if (*p == '#')
		add_item(ct, I_COMMENT, lineno, p);
	else if (lc_crontab_env_line(p, &name, &value)) {
		parse_env(ct, p, lineno, name, value);
		free(name);
		free(value);
	} else
		parse_job(ct, p, lineno);
}

/*
 * Names: each job's base name, made unique in file order with -2, -3...
 * A small hash table keeps it linear: names in use, and for each base name
 * the next suffix to try.
 */

struct name_slot {
	const char	*name;
	int		 next;		/* next suffix to try for this base */
};

struct name_set {
	struct name_slot *slots;
	size_t		  cap;		/* a power of two */
};

static struct name_slot *
name_slot(struct name_set *ns, const char *name)
{
	uint32_t	 h = 2166136261u;
	const char	*p;
	size_t		 i;

	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = h & (ns->cap - 1);; i = (i + 1) & (ns->cap - 1))
		if (ns->slots[i].name == NULL ||
		    strcmp(ns->slots[i].name, name) == 0)
			return (&ns->slots[i]);
}

static void
unique_names(struct lc_crontab *ct)
{
	struct name_set		 ns;
	struct name_slot	*base, *slot;
	struct job		*j;
	size_t			 i;
	char			*s;
	int			 n;

	for (ns.cap = 16; ns.cap < 2 * ct->njobs + 2; ns.cap *= 2)
		;
	ns.slots = xcalloc(ns.cap, sizeof *ns.slots);
	for (i = 0; i < ct->nitems; i++) {
		if (ct->items[i].type != I_JOB)
			continue;
		j = ct->items[i].job;
		base = name_slot(&ns, j->name);
		if (base->name == NULL) {
			base->name = j->name;
			base->next = 2;
			continue;
		}
		for (n = base->next;; n++) {
			xasprintf(&s, "%s-%d", j->name, n);
			if ((slot = name_slot(&ns, s))->name == NULL)
				break;
			free(s);
		}
		base->next = n + 1;
		free(j->name);
		j->name = s;
		slot->name = s;
		slot->next = 2;
	}
	free(ns.slots);
}

/*
 * Output.
 */

/* s as a libconfig string: quoted, with \\ \" \n \r \t \f \xNN escapes. */
static void
put_string(struct lc_buf *b, const char *s)
{
	const unsigned char	*p;

	lc_buf_addstr(b, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			lc_buf_addstr(b, "\\\\");
			break;
		case '"':
			lc_buf_addstr(b, "\\\"");
			break;
		case '\n':
			lc_buf_addstr(b, "\\n");
			break;
		case '\r':
			lc_buf_addstr(b, "\\r");
			break;
		case '\t':
			lc_buf_addstr(b, "\\t");
			break;
		case '\f':
			lc_buf_addstr(b, "\\f");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				lc_buf_printf(b, "\\x%02x", *p);
			else
				lc_buf_add(b, p, 1);
		}
	}
	lc_buf_addstr(b, "\"");
}

/* A comment line; control characters (but tabs) become '?'. */
static void
put_comment(struct lc_buf *b, const char *prefix, const char *text)
{
	const unsigned char	*p;

	lc_buf_addstr(b, prefix);
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			lc_buf_addstr(b, "?");
		else
			lc_buf_add(b, p, 1);
	}
	lc_buf_addstr(b, "\n");
}

/* key = "value"; */
static void
put_key(struct lc_buf *b, const char *key, const char *value)
{
	lc_buf_printf(b, "    %s = ", key);
	put_string(b, value);
	lc_buf_addstr(b, ";\n");
}

/* A name libconfig 1.5 reads as a setting name (and not as a boolean). */
static int
is_key(const char *s)
{
	if (!isalpha((unsigned char)*s) || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "false") == 0)
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

/* env = { NAME = "v"; } or, for names that cannot be keys, a list. */
static void
put_env(struct lc_buf *b, const struct env_state *e)
{
	size_t	 i;
	int	 group = 1;
	char	*s;

	if (e->nvars == 0)
		return;
	for (i = 0; i < e->nvars; i++)
		group &= is_key(e->vars[i].name);
	lc_buf_addstr(b, group ? "    env = {\n" : "    env = [\n");
	for (i = 0; i < e->nvars; i++) {
		if (group) {
			lc_buf_printf(b, "      %s = ", e->vars[i].name);
			put_string(b, e->vars[i].value);
			lc_buf_addstr(b, ";\n");
			continue;
		}
		xasprintf(&s, "%s=%s", e->vars[i].name, e->vars[i].value);
		lc_buf_addstr(b, "      ");
		put_string(b, s);
		lc_buf_addstr(b, i + 1 < e->nvars ? ",\n" : "\n");
		free(s);
	}
	lc_buf_addstr(b, group ? "    };\n" : "    ];\n");
}

static void
put_notify(struct lc_buf *b, const char *mail)
{
	size_t	 i;

	lc_buf_addstr(b, "    notify = {\n      mail = ");
	put_string(b, mail);
	lc_buf_addstr(b, ";\n      on = [");
	for (i = 0; i < LC_NELEM(notify_on); i++)
		lc_buf_printf(b, "%s\"%s\"", i > 0 ? ", " : "", notify_on[i]);
	lc_buf_addstr(b, "];\n    };\n");
}

static void
put_job(struct lc_buf *b, const struct item *it, int more)
{
	const struct job	*j = it->job;
	size_t			 i;
	char			 prefix[64];

	snprintf(prefix, sizeof prefix, "  # line %d: ", it->line);
	put_comment(b, prefix, it->text);
	for (i = 0; i < j->nnotes; i++)
		put_comment(b, "  # note: ", j->notes[i]);
	lc_buf_addstr(b, "  {\n");
	put_key(b, "name", j->name);
	put_key(b, "schedule", j->schedule);
	if (j->env.tz != NULL)
		put_key(b, "timezone", j->env.tz);
	if (j->user != NULL)
		put_key(b, "user", j->user);
	if (j->env.home != NULL && j->env.home[0] == '/')
		put_key(b, "workdir", j->env.home);
	if (j->env.shell != NULL)
		put_key(b, "shell", j->env.shell);
	put_env(b, &j->env);
	if (j->lock != NULL) {
		put_key(b, "lock", j->lock);
		put_key(b, "overlap", j->nonblock ? "skip" : "wait");
		if (!j->nonblock)
			lc_buf_printf(b, "    lock_wait = %lld;\n",
			    (long long)j->lock_wait);
	}
	put_key(b, "command", j->command);
	if (j->input != NULL)
		put_key(b, "stdin", j->input);
	if (j->env.mail != NULL)
		put_notify(b, j->env.mail);
	lc_buf_addstr(b, more ? "  },\n" : "  }\n");
}

/* The whole config: a header, then every line in crontab order. */
static char *
render(struct lc_crontab *ct)
{
	struct lc_buf	 b = { 0 };
	struct item	*it;
	size_t		 i, jobs = 0;
	char		 prefix[96];
	int		 blank = 1;

	put_comment(&b, "# lockcron jobs converted by `lockcron import-crontab` "
	    "from ", ct->source);
	lc_buf_printf(&b, "# (a %s crontab). Each job follows the crontab line "
	    "it came from.\n", ct->system ? "system" : "user");
	lc_buf_addstr(&b, "jobs = (\n");
	for (i = 0; i < ct->nitems; i++) {
		it = &ct->items[i];
		if (it->type == I_BLANK) {
			if (!blank)
				lc_buf_addstr(&b, "\n");
			blank = 1;
			continue;
		}
		blank = 0;
		switch (it->type) {
		case I_COMMENT:
			put_comment(&b, "  ", it->text);
			break;
		case I_ENV:
			snprintf(prefix, sizeof prefix, "  # line %d: ",
			    it->line);
			put_comment(&b, prefix, it->text);
			break;
		case I_FAILED:
			snprintf(prefix, sizeof prefix, "  # NOT CONVERTED "
			    "(line %d): ", it->line);
			put_comment(&b, prefix, it->why);
			put_comment(&b, "  #   ", it->text);
			break;
		case I_JOB:
			put_job(&b, it, ++jobs < ct->njobs);
			break;
		default:
			break;
		}
	}
	lc_buf_addstr(&b, ");\n");
	return (lc_buf_steal(&b));
}

/*
 * The API.
 */

/* A path cron reads as a system crontab. */
static int
system_path(const char *path)
{
	const char	*slash;

	if (path == NULL)
		return (0);
	if (strcmp(path, "/etc/crontab") == 0)
		return (1);
	slash = strrchr(path, '/');
	return (slash != NULL && slash[1] != '\0' &&
	    (size_t)(slash - path) == strlen("/etc/cron.d") &&
	    strncmp(path, "/etc/cron.d", (size_t)(slash - path)) == 0);
}

int
lc_crontab_is_system(const char *path, const char *text, size_t len,
    lc_crontab_query_cb user_exists, void *arg)
{
	const char	*p, *end = text + len, *nl;
	char		*line, *name, *value, *word = NULL;
	const char	*q;
	int		 n, rc = 0;

	if (!system_path(path))
		return (0);
	for (p = text; p < end && word == NULL; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = xstrndup(p, (size_t)(nl - p));
		for (q = line; is_blank(*q); q++)
			;
		if (*q != '\0' && *q != '#') {
			if (lc_crontab_env_line(q, &name, &value)) {
				free(name);
				free(value);
			} else {
				for (n = *q == '@' ? 1 : 5; n > 0; n--)
					free(next_word(&q));
				if ((word = next_word(&q)) == NULL)
					word = xstrdup("");
			}
		}
		free(line);
	}
	if (word != NULL && *word != '\0')
		rc = user_exists == NULL || user_exists(word, arg);
	free(word);
	return (rc);
}

struct lc_crontab *
lc_crontab_parse(const char *text, size_t len,
    const struct lc_crontab_opts *opts)
{
	struct lc_crontab	*ct;
	const char		*p, *nl, *end = text + len;
	char			*line;
	int			 lineno = 0;

	ct = xcalloc(1, sizeof *ct);
	ct->opts = opts;
	ct->source = xstrdup(opts->source != NULL ? opts->source :
	    "standard input");
	if (opts->kind == LC_CRONTAB_AUTO)
		ct->system = lc_crontab_is_system(opts->source, text, len,
		    opts->user_exists_cb, opts->cb_arg);
	else
		ct->system = opts->kind == LC_CRONTAB_SYSTEM;
	if (!ct->system && opts->user != NULL && opts->user_exists_cb != NULL &&
	    !opts->user_exists_cb(opts->user, opts->cb_arg))
		add_warning(ct, 0, "user \"%s\" does not exist here",
		    opts->user);
	for (p = text; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = xstrndup(p, (size_t)(nl - p));
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			add_failed(ct, ++lineno, line, "a NUL byte in the line",
			    1);
		else
			parse_line(ct, line, ++lineno);
		free(line);
	}
	if (len > 0 && text[len - 1] != '\n')
		add_warning(ct, lineno, "no newline at the end of the file: "
		    "cron(8) ignored the whole file");
	if (ct->refused && ct->system)
		add_warning(ct, 0, "cron(8) as Debian ships it ignores a whole "
		    "file with an error in it: under cron, none of its jobs "
		    "ran");
	else if (ct->refused)
		add_warning(ct, 0, "crontab(1) refuses to install a crontab "
		    "with an error in it, and Debian's cron(8) ignores one: "
		    "under cron, none of its jobs ran");
	unique_names(ct);
	ct->config = render(ct);
	ct->opts = NULL;
	return (ct);
}

void
lc_crontab_free(struct lc_crontab *ct)
{
	size_t	 i;

	if (ct == NULL)
		return;
	for (i = 0; i < ct->nitems; i++) {
		free(ct->items[i].text);
		free(ct->items[i].why);
		job_free(ct->items[i].job);
	}
	free(ct->items);
	for (i = 0; i < ct->nwarnings; i++)
		free(ct->warnings[i].msg);
	free(ct->warnings);
	env_clear(&ct->env);
	free(ct->source);
	free(ct->config);
	free(ct);
}

const char *
lc_crontab_config(const struct lc_crontab *ct)
{
	return (ct->config);
}

int
lc_crontab_is_system_kind(const struct lc_crontab *ct)
{
	return (ct->system);
}

size_t
lc_crontab_njobs(const struct lc_crontab *ct)
{
	return (ct->njobs);
}

size_t
lc_crontab_nfailed(const struct lc_crontab *ct)
{
	return (ct->nfailed);
}

size_t
lc_crontab_nwarnings(const struct lc_crontab *ct)
{
	return (ct->nwarnings);
}

const char *
lc_crontab_warning(const struct lc_crontab *ct, size_t i, int *line)
{
	if (i >= ct->nwarnings)
		return (NULL);
	if (line != NULL)
		*line = ct->warnings[i].line;
	return (ct->warnings[i].msg);
}
