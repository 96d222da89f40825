/*
 * Reading a crontab command as sh(1) would split it, far enough to find a
 * flock(1) wrapper around the whole command (util-linux 2.38's options,
 * parsed as its getopt_long with "+" does) and to name the job after the
 * script it runs. Expansions are never performed: a word that has one is
 * only marked, and anything whose meaning depends on it stays as written.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/crontab.h"
#include "lockcron/util.h"

#define W_QUOTED	0x1	/* some of it was quoted or escaped */
#define W_EXPAND	0x2	/* $ or ` outside single quotes */
#define W_GLOB		0x4	/* unquoted * ? [ */
#define W_TILDE		0x8	/* starts with an unquoted ~ */

#define NAME_MAX_LEN	64

enum token { T_WORD, T_OP, T_REDIR, T_HEREDOC };

struct word {
	enum token	 type;
	size_t		 start, end;	/* in the command text */
	char		*value;		/* quotes removed, expansions kept */
	int		 flags;
};

struct words {
	struct word	*v;
	size_t		 n;
};

static void
words_free(struct words *ws)
{
	size_t	 i;

	for (i = 0; i < ws->n; i++)
		free(ws->v[i].value);
	free(ws->v);
	ws->v = NULL;
	ws->n = 0;
}

static int
is_blank(int c)
{
	return (c == ' ' || c == '\t');
}

static int
is_opchar(int c)
{
	return (c == ';' || c == '&' || c == '|' || c == '(' || c == ')' ||
	    c == '<' || c == '>' || c == '\n');
}

/*
 * Skips a $(...), ${...} or `...` starting at s[i]; returns the index after
 * it, or 0 when it is not closed.
 */
static size_t
skip_expansion(const char *s, size_t i)
{
	char	 open = s[i + 1], close = open == '(' ? ')' : '}';
	int	 depth = 1;
	char	 q = '\0';

	if (s[i] == '`') {
		for (i++; s[i] != '\0' && s[i] != '`'; i++)
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
		return (s[i] == '`' ? i + 1 : 0);
	}
	for (i += 2; s[i] != '\0'; i++) {
		if (q != '\0') {
			if (s[i] == q)
				q = '\0';
			else if (q == '"' && s[i] == '\\' && s[i + 1] != '\0')
				i++;
			continue;
		}
		if (s[i] == '\\' && s[i + 1] != '\0')
			i++;
		else if (s[i] == '\'' || s[i] == '"')
			q = s[i];
		else if (s[i] == open)
			depth++;
		else if (s[i] == close && --depth == 0)
			return (i + 1);
	}
	return (0);
}

/* Reads a $ or ` expansion into b; returns the index after it, 0 if bad. */
static size_t
read_expansion(const char *s, size_t i, struct lc_buf *b)
{
	size_t	 end;

	if (s[i] == '`' || (s[i] == '$' && (s[i + 1] == '(' ||
	    s[i + 1] == '{'))) {
		if ((end = skip_expansion(s, i)) == 0)
			return (0);
	} else {
		end = i + 1;
		while (isalnum((unsigned char)s[end]) || s[end] == '_')
			end++;
		if (end == i + 1 && s[end] != '\0' &&
		    strchr("@*#?-$!0", s[end]) != NULL)
			end++;
	}
	lc_buf_add(b, s + i, end - i);
	return (end);
}

/* Reads a double-quoted part starting after the quote; 0 if not closed. */
static size_t
read_dquoted(const char *s, size_t i, struct lc_buf *b, int *flags)
{
	while (s[i] != '"') {
		if (s[i] == '\0')
			return (0);
		if (s[i] == '\\' && s[i + 1] != '\0' &&
		    strchr("$`\"\\\n", s[i + 1]) != NULL) {
			lc_buf_add(b, s + i + 1, 1);
			i += 2;
		} else if (s[i] == '$' || s[i] == '`') {
			*flags |= W_EXPAND;
			if ((i = read_expansion(s, i, b)) == 0)
				return (0);
		} else
			lc_buf_add(b, s + i++, 1);
	}
	return (i + 1);
}

/* Reads one word starting at s[i]; returns the index after it, 0 if bad. */
static size_t
read_word(const char *s, size_t i, struct word *w)
{
	struct lc_buf	 b = { 0 };
	const char	*q;

	if (s[i] == '~')
		w->flags |= W_TILDE;
	while (s[i] != '\0' && !is_blank(s[i]) && !is_opchar(s[i])) {
		if (s[i] == '\\') {
			w->flags |= W_QUOTED;
			if (s[++i] == '\0')
				break;
			lc_buf_add(&b, s + i++, 1);
		} else if (s[i] == '\'') {
			w->flags |= W_QUOTED;
			if ((q = strchr(s + i + 1, '\'')) == NULL)
				goto bad;
			lc_buf_add(&b, s + i + 1, (size_t)(q - s) - i - 1);
			i = (size_t)(q - s) + 1;
		} else if (s[i] == '"') {
			w->flags |= W_QUOTED;
			if ((i = read_dquoted(s, i + 1, &b, &w->flags)) == 0)
				goto bad;
		} else if (s[i] == '$' || s[i] == '`') {
			w->flags |= W_EXPAND;
			if ((i = read_expansion(s, i, &b)) == 0)
				goto bad;
		} else {
			if (strchr("*?[", s[i]) != NULL)
				w->flags |= W_GLOB;
			lc_buf_add(&b, s + i++, 1);
		}
	}
	w->value = lc_buf_steal(&b);
	return (i);
bad:
	lc_buf_free(&b);
	return (0);
}

/* Reads an operator or a redirection ([n]<, >, >>, >&, <&, <>, >|, <<). */
static size_t
read_operator(const char *s, size_t i, struct word *w)
{
	size_t	 start = i;

	if (s[i] == '<' || s[i] == '>') {
		w->type = T_REDIR;
		if (s[i] == '<' && s[i + 1] == '<')
			w->type = T_HEREDOC;
		i++;
		if (s[i] == '>' || s[i] == '&' || s[i] == '|' || s[i] == '<')
			i++;
		if (w->type == T_HEREDOC && s[i] == '-')
			i++;
	} else {
		w->type = T_OP;
		if ((s[i] == '&' || s[i] == '|' || s[i] == ';') &&
		    s[i + 1] == s[i])
			i++;
		i++;
	}
	w->value = xstrndup(s + start, i - start);
	return (i);
}

/* Splits cmd as sh would, without expanding anything; -1 if unbalanced. */
static int
split_words(const char *s, struct words *ws)
{
	struct word	 w;
	size_t		 i = 0, end;

	memset(ws, 0, sizeof *ws);
	for (;;) {
		while (is_blank(s[i]))
			i++;
		if (s[i] == '\0' || s[i] == '#')
			return (0);
		memset(&w, 0, sizeof w);
		w.start = i;
		if (is_opchar(s[i]))
			end = read_operator(s, i, &w);
		else if ((end = read_word(s, i, &w)) == 0) {
			words_free(ws);
			return (-1);
		}
		/* "2>file": the digits belong to the redirection. */
		if (w.type == T_WORD && (s[end] == '<' || s[end] == '>') &&
		    w.flags == 0 && strspn(w.value, "0123456789") ==
		    strlen(w.value)) {
			free(w.value);
			end = read_operator(s, end, &w);
		}
		w.end = end;
		ws->v = xreallocarray(ws->v, ws->n + 1, sizeof *ws->v);
		ws->v[ws->n++] = w;
		i = end;
	}
}

/* The command is flock itself: "flock" or an absolute path ending so. */
static int
is_flock(const struct word *w)
{
	size_t	 len;

	if (w->type != T_WORD || w->flags != 0)
		return (0);
	if (strcmp(w->value, "flock") == 0)
		return (1);
	len = strlen(w->value);
	return (w->value[0] == '/' && len > 6 &&
	    strcmp(w->value + len - 6, "/flock") == 0);
}

static const struct {
	const char	*name;
	int		 val;
	int		 has_arg;
} flock_longopts[] = {
	{ "shared", 's', 0 },
	{ "exclusive", 'x', 0 },
	{ "unlock", 'u', 0 },
	{ "nonblocking", 'n', 0 },
	{ "nonblock", 'n', 0 },
	{ "timeout", 'w', 1 },
	{ "wait", 'w', 1 },
	{ "conflict-exit-code", 'E', 1 },
	{ "close", 'o', 0 },
	{ "no-fork", 'F', 0 },
	{ "verbose", 'v', 0 },
	{ "help", 'h', 0 },
	{ "version", 'V', 0 },
};

/* getopt_long's lookup: exact name, else a prefix naming one option. */
static int
find_longopt(const char *name, size_t len, int *has_arg)
{
	size_t	 i;
	int	 val = 0;

	for (i = 0; i < LC_NELEM(flock_longopts); i++) {
		if (strncmp(flock_longopts[i].name, name, len) != 0)
			continue;
		if (strlen(flock_longopts[i].name) == len) {
			*has_arg = flock_longopts[i].has_arg;
			return (flock_longopts[i].val);
		}
		if (val != 0 && val != flock_longopts[i].val)
			return (-1);	/* ambiguous */
		val = flock_longopts[i].val;
		*has_arg = flock_longopts[i].has_arg;
	}
	return (val == 0 ? -1 : val);
}

/* flock -w: strtod's number, finite and not negative; whole seconds up. */
static int
set_timeout(const char *arg, struct lc_crontab_flock *fl, char **cause)
{
	char	*end;
	double	 v;

	v = strtod(arg, &end);
	if (*arg == '\0' || *end != '\0' || !isfinite(v) || v < 0 ||
	    v > 1e9) {
		lc_set_cause(cause, "flock -w \"%s\" is not a timeout flock(1) "
		    "accepts", arg);
		return (-1);
	}
	if (v == 0)
		fl->nonblock = 1;
	else
		fl->wait = (int64_t)ceil(v);
	return (0);
}

/* Acts on one flock option; -1 when lockcron cannot take it over. */
static int
flock_option(int opt, const char *arg, struct lc_crontab_flock *fl,
    char **cause)
{
	switch (opt) {
	case 'x':
	case 'e':
	case 'F':
	case 'v':
		return (0);
	case 'n':
		fl->nonblock = 1;
		return (0);
	case 'w':
		return (set_timeout(arg, fl, cause));
	case 's':
		lc_set_cause(cause, "flock -s takes a shared lock");
		return (-1);
	case 'u':
		lc_set_cause(cause, "flock -u unlocks");
		return (-1);
	case 'o':
		lc_set_cause(cause, "flock -o closes the lock before the "
		    "command runs");
		return (-1);
	case 'E':
		lc_set_cause(cause, "flock -E sets its own exit status on "
		    "conflict");
		return (-1);
	default:
		lc_set_cause(cause, "flock would refuse this option");
		return (-1);
	}
}

/* A long option word "--name[=arg]"; *i moves past a separate argument. */
static int
long_option(const struct words *ws, size_t *i, struct lc_crontab_flock *fl,
    char **cause)
{
	const char	*name = ws->v[*i].value + 2, *eq, *arg = NULL;
	int		 opt, has_arg = 0;

	eq = strchr(name, '=');
	opt = find_longopt(name, eq != NULL ? (size_t)(eq - name) :
	    strlen(name), &has_arg);
	if (opt == -1) {
		lc_set_cause(cause, "flock would refuse option \"%s\"",
		    ws->v[*i].value);
		return (-1);
	}
	if (has_arg && eq != NULL)
		arg = eq + 1;
	else if (has_arg) {
		if (*i + 1 >= ws->n || ws->v[*i + 1].type != T_WORD) {
			lc_set_cause(cause, "flock option \"%s\" needs a "
			    "value", ws->v[*i].value);
			return (-1);
		}
		arg = ws->v[++*i].value;
	} else if (eq != NULL) {
		lc_set_cause(cause, "flock option \"%s\" takes no value",
		    ws->v[*i].value);
		return (-1);
	}
	return (flock_option(opt, arg, fl, cause));
}

/* A cluster of short options ("-n", "-nx", "-w5", "-w 5"). */
static int
short_options(const struct words *ws, size_t *i, struct lc_crontab_flock *fl,
    char **cause)
{
	const char	*p = ws->v[*i].value + 1, *arg;

	for (; *p != '\0'; p++) {
		if (strchr("sexnoFuhV", *p) != NULL) {
			if (flock_option(*p, NULL, fl, cause) != 0)
				return (-1);
			continue;
		}
		if (*p != 'w' && *p != 'E') {
			lc_set_cause(cause, "flock would refuse option \"-%c\"",
			    *p);
			return (-1);
		}
		if (p[1] != '\0')
			arg = p + 1;
		else if (*i + 1 < ws->n && ws->v[*i + 1].type == T_WORD)
			arg = ws->v[++*i].value;
		else {
			lc_set_cause(cause, "flock option \"-%c\" needs a "
			    "value", *p);
			return (-1);
		}
		return (flock_option(*p, arg, fl, cause));
	}
	return (0);
}

/* Parses flock's options; *i ends on the lock file. */
static int
flock_options(const struct words *ws, size_t *i, struct lc_crontab_flock *fl,
    char **cause)
{
	const struct word	*w;
	int			 rc;

	for (*i = 1; *i < ws->n; ++*i) {
		w = &ws->v[*i];
		if (w->type != T_WORD || w->value[0] != '-' ||
		    w->value[1] == '\0')
			return (0);
		if (w->flags & (W_EXPAND | W_GLOB)) {
			lc_set_cause(cause, "flock option \"%s\" depends on "
			    "the shell's expansion", w->value);
			return (-1);
		}
		if (strcmp(w->value, "--") == 0) {
			++*i;
			return (0);
		}
		if (w->value[1] == '-')
			rc = long_option(ws, i, fl, cause);
		else
			rc = short_options(ws, i, fl, cause);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/* Checks the lock file word: a literal absolute path to a file. */
static int
flock_lockfile(const struct words *ws, size_t i, struct lc_crontab_flock *fl,
    char **cause)
{
	const struct word	*w;

	if (i >= ws->n || ws->v[i].type != T_WORD) {
		lc_set_cause(cause, "flock has no lock file here");
		return (-1);
	}
	w = &ws->v[i];
	if (w->flags & (W_EXPAND | W_GLOB | W_TILDE)) {
		lc_set_cause(cause, "the lock file \"%s\" depends on the "
		    "shell's expansion", w->value);
		return (-1);
	}
	if (w->value[0] != '/') {
		lc_set_cause(cause, "the lock file \"%s\" is a relative path",
		    w->value);
		return (-1);
	}
	if (w->value[strlen(w->value) - 1] == '/') {
		lc_set_cause(cause, "the lock \"%s\" is a directory", w->value);
		return (-1);
	}
	fl->lock = xstrdup(w->value);
	return (0);
}

/*
 * "flock FILE -c CMD [redirections]": the one command string, wrapped in a
 * brace group when redirections applied to flock (and so to CMD). When the
 * outer shell expanded CMD before flock's shell read it, "eval" keeps both
 * steps.
 */
static int
flock_dash_c(const char *cmd, const struct words *ws, size_t i,
    struct lc_crontab_flock *fl, char **cause)
{
	const struct word	*w;
	size_t			 j;
	char			*inner;

	if (i + 1 >= ws->n || ws->v[i + 1].type != T_WORD) {
		lc_set_cause(cause, "flock %s has no command", ws->v[i].value);
		return (-1);
	}
	for (j = i + 2; j < ws->n; j++) {
		if (ws->v[j].type == T_REDIR && j + 1 < ws->n &&
		    ws->v[j + 1].type == T_WORD) {
			j++;
			continue;
		}
		lc_set_cause(cause, "flock %s takes exactly one command",
		    ws->v[i].value);
		return (-1);
	}
	if (ws->v[i + 1].value[0] == '\0') {
		lc_set_cause(cause, "flock %s has an empty command",
		    ws->v[i].value);
		return (-1);
	}
	w = &ws->v[i + 1];
	if (w->flags & (W_EXPAND | W_GLOB | W_TILDE))
		xasprintf(&inner, "eval %.*s", (int)(w->end - w->start),
		    cmd + w->start);
	else
		inner = xstrdup(w->value);
	if (i + 2 == ws->n)
		fl->command = inner;
	else {
		xasprintf(&fl->command, "{ %s\n} %s", inner,
		    cmd + ws->v[i + 2].start);
		free(inner);
	}
	return (0);
}

/* Rejects what would make flock cover only part of the command. */
static int
flock_whole(const struct words *ws, char **cause)
{
	size_t	 i;

	for (i = 0; i < ws->n; i++) {
		if (ws->v[i].type == T_OP) {
			lc_set_cause(cause, "flock covers only part of the "
			    "command (it is followed by \"%s\")",
			    ws->v[i].value);
			return (-1);
		}
		if (ws->v[i].type == T_HEREDOC) {
			lc_set_cause(cause, "the command has a here-document");
			return (-1);
		}
	}
	return (0);
}

int
lc_crontab_flock(const char *cmd, struct lc_crontab_flock *fl, char **cause)
{
	struct words	 ws;
	size_t		 i;
	int		 rc = -1;

	memset(fl, 0, sizeof *fl);
	if (split_words(cmd, &ws) != 0) {
		while (is_blank(*cmd))
			cmd++;
		if (strncmp(cmd, "flock", 5) != 0 || !is_blank(cmd[5]))
			return (0);
		lc_set_cause(cause, "the command's quotes are not balanced");
		return (-1);
	}
	if (ws.n == 0 || !is_flock(&ws.v[0])) {
		words_free(&ws);
		return (0);
	}
	if (flock_whole(&ws, cause) != 0 ||
	    flock_options(&ws, &i, fl, cause) != 0 ||
	    flock_lockfile(&ws, i, fl, cause) != 0)
		goto out;
	if (++i >= ws.n) {
		lc_set_cause(cause, "flock runs no command");
		goto out;
	}
	if (strcmp(ws.v[i].value, "-c") == 0 ||
	    strcmp(ws.v[i].value, "--command") == 0) {
		if (flock_dash_c(cmd, &ws, i, fl, cause) != 0)
			goto out;
	} else
		fl->command = xstrdup(cmd + ws.v[i].start);
	rc = 1;
out:
	if (rc != 1)
		lc_crontab_flock_clear(fl);
	words_free(&ws);
	return (rc);
}

void
lc_crontab_flock_clear(struct lc_crontab_flock *fl)
{
	free(fl->lock);
	free(fl->command);
	memset(fl, 0, sizeof *fl);
}

/* Commands that run the command after them (and their numeric options). */
static const char *const runners[] = {
	"exec", "nice", "ionice", "nohup", "env", "time", "timeout", "sudo",
	"flock", "chronic", "command", "builtin", "{", "!", NULL
};
/* Commands that run nothing: the job is not named after them. */
static const char *const non_jobs[] = {
	"cd", "test", "[", "true", "false", "sleep", "}", ":", "echo",
	"export", "set", "source", ".", NULL
};
static const char *const interpreters[] = {
	"sh", "bash", "dash", "ksh", "zsh", "python", "python2", "python3",
	"perl", "ruby", "php", "node", "nodejs", "Rscript", NULL
};
static const char *const script_exts[] = {
	"sh", "bash", "ksh", "zsh", "py", "pl", "rb", "php", "js", "mjs",
	"lua", "tcl", "r", "R", "jar", "awk", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return (1);
	return (0);
}

/* A word's text without its $ and ` expansions, from the last '/'. */
static char *
literal_base(const char *v)
{
	struct lc_buf	 b = { 0 };
	const char	*slash;
	size_t		 i = 0, end;
	char		*s;

	while (v[i] != '\0') {
		if (v[i] == '$' || v[i] == '`') {
			if (v[i] == '`' || v[i + 1] == '(' || v[i + 1] == '{') {
				if ((end = skip_expansion(v, i)) == 0)
					break;
				i = end;
			} else
				for (i++; isalnum((unsigned char)v[i]) ||
				    v[i] == '_'; i++)
					;
			continue;
		}
		lc_buf_add(&b, v + i++, 1);
	}
	s = lc_buf_steal(&b);
	if ((slash = strrchr(s, '/')) != NULL)
		memmove(s, slash + 1, strlen(slash + 1) + 1);
	return (s);
}

/* Cuts a script extension ("x.sh" is "x"); 1 when there was one. */
static int
cut_script_ext(char *base)
{
	char	*dot = strrchr(base, '.');

	if (dot == NULL || dot == base || !in_list(script_exts, dot + 1))
		return (0);
	*dot = '\0';
	return (1);
}

/* An argument word: not an option, a redirection's target or "NAME=". */
static int
is_arg(const struct words *ws, size_t i)
{
	const struct word	*w = &ws->v[i];

	return (w->type == T_WORD && w->value[0] != '-' &&
	    w->value[0] != '\0' &&
	    (i == 0 || (ws->v[i - 1].type != T_REDIR &&
	    ws->v[i - 1].type != T_HEREDOC)));
}

/* An assignment word before a command: NAME=value. */
static int
is_assignment(const struct word *w)
{
	size_t	 n = strspn(w->value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_");

	return (n > 0 && w->value[n] == '=' && !isdigit((unsigned char)
	    w->value[0]));
}

/* run-parts DIR: the job is named after the directory. */
static char *
name_run_parts(const struct words *ws)
{
	size_t	 i, j;
	char	*base;

	for (i = 0; i < ws->n; i++) {
		if (!is_arg(ws, i))
			continue;
		base = literal_base(ws->v[i].value);
		if (strcmp(base, "run-parts") != 0) {
			free(base);
			continue;
		}
		free(base);
		for (j = i + 1; j < ws->n && ws->v[j].type != T_OP; j++)
			;
		while (--j > i)
			if (is_arg(ws, j))
				return (literal_base(ws->v[j].value));
	}
	return (NULL);
}

/* The first word that names a script ("x.sh", "x.py"), without it. */
static char *
name_script(const struct words *ws)
{
	size_t	 i;
	char	*base;

	for (i = 0; i < ws->n; i++) {
		if (!is_arg(ws, i))
			continue;
		base = literal_base(ws->v[i].value);
		if (cut_script_ext(base) && *base != '\0')
			return (base);
		free(base);
	}
	return (NULL);
}

/*
 * Skips flock's options and lock file at ws->v[i] (the word "flock"):
 * returns the index of the command it runs.
 */
static size_t
skip_flock(const struct words *ws, size_t i)
{
	const char	*v;

	for (i++; i < ws->n && ws->v[i].type == T_WORD; i++) {
		v = ws->v[i].value;
		if (v[0] != '-' || v[1] == '\0')
			break;
		if (strcmp(v, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(v, "-w") == 0 || strcmp(v, "-E") == 0 ||
		    ((strncmp(v, "--t", 3) == 0 || strncmp(v, "--w", 3) == 0 ||
		    strncmp(v, "--co", 4) == 0) && strchr(v, '=') == NULL))
			i++;
	}
	return (i + 1);
}

/*
 * The first command that is not a runner (nice, timeout...) nor a no-op
 * (cd, test...); for an interpreter, the script it runs.
 */
static char	*name_of(const char *, int);

static char *
name_command(const struct words *ws, int depth)
{
	size_t	 i;
	int	 at_cmd = 1, interp = 0;
	char	*base;

	for (i = 0; i < ws->n; i++) {
		if (ws->v[i].type == T_OP) {
			at_cmd = 1;
			interp = 0;
			continue;
		}
		if (!is_arg(ws, i) || (at_cmd && is_assignment(&ws->v[i])))
			continue;
		base = literal_base(ws->v[i].value);
		if (at_cmd && !interp && strcmp(base, "eval") == 0 &&
		    i + 1 < ws->n && depth < 2) {
			free(base);
			return (name_of(ws->v[i + 1].value, depth + 1));
		}
		if (at_cmd && !interp && strcmp(base, "flock") == 0) {
			free(base);
			i = skip_flock(ws, i);
			if (i + 1 < ws->n && depth < 2 &&
			    (strcmp(ws->v[i].value, "-c") == 0 ||
			    strcmp(ws->v[i].value, "--command") == 0))
				return (name_of(ws->v[i + 1].value, depth + 1));
			i--;
			continue;
		}
		if (*base != '\0' && (interp || (at_cmd &&
		    !in_list(runners, base) && !isdigit((unsigned char)*base)))) {
			if (interp || !in_list(interpreters, base)) {
				if (interp || !in_list(non_jobs, base)) {
					cut_script_ext(base);
					return (base);
				}
				at_cmd = 0;
			} else {
				interp = 1;
				at_cmd = 0;
			}
		}
		free(base);
	}
	return (NULL);
}

/* Keeps [A-Za-z0-9._-], trims separators at the ends, at most 64 bytes. */
static char *
sanitize(char *s)
{
	char	*p, *q;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_')
			*p = '_';
	for (p = s; *p == '.' || *p == '-' || *p == '_'; p++)
		;
	memmove(s, p, strlen(p) + 1);
	if (strlen(s) > NAME_MAX_LEN)
		s[NAME_MAX_LEN] = '\0';
	for (q = s + strlen(s); q > s && (q[-1] == '.' || q[-1] == '-' ||
	    q[-1] == '_'); q--)
		q[-1] = '\0';
	if (*s == '\0') {
		free(s);
		s = xstrdup("job");
	}
	return (s);
}

/* A name for cmd, NULL when none is found; depth limits flock -c. */
static char *
name_of(const char *cmd, int depth)
{
	struct words	 ws;
	char		*name = NULL;

	if (split_words(cmd, &ws) != 0)
		return (NULL);
	if ((name = name_run_parts(&ws)) == NULL &&
	    (name = name_script(&ws)) == NULL)
		name = name_command(&ws, depth);
	if (name == NULL && ws.n > 0)
		name = literal_base(ws.v[0].value);
	words_free(&ws);
	return (name);
}

char *
lc_crontab_job_name(const char *cmd)
{
	char	*name;
	size_t	 len;

	if ((name = name_of(cmd, 0)) == NULL) {
		while (is_blank(*cmd))
			cmd++;
		for (len = 0; cmd[len] != '\0' && !is_blank(cmd[len]); len++)
			;
		name = xstrndup(cmd, len);
	}
	return (sanitize(name));
}
