/*
 * A long `jobs` list read in chunks. libconfig 1.5 builds the whole tree
 * of a file before anyone can look at it, at some 200 bytes per setting:
 * 100,000 jobs would need over 100 MB at once. So the loader finds the
 * top-level `jobs = ( ... )` list in the text (with libconfig's lexical
 * rules: comments, strings, brackets), parses the file with the list's
 * body left out, then parses the body a few hundred elements at a time.
 *
 * Splitting happens only where it cannot change the outcome: at the commas
 * between elements of a list whose brackets are balanced and properly
 * nested, with no empty element and no @include. Anything else is parsed
 * whole, as before, and libconfig reports what is wrong with it.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"

#define SPLIT_DEPTH	128

/* libconfig's name: [A-Za-z*][-A-Za-z0-9_*]* */
static int
name_start(int c)
{
	return (isalpha((unsigned char)c) || c == '*');
}

static int
name_char(int c)
{
	return (isalnum((unsigned char)c) || c == '*' || c == '-' || c == '_');
}

/* Skips whitespace and comments from i; -1 on an unterminated comment. */
static ssize_t
skip_blank(const char *t, size_t len, size_t i, int *line)
{
	while (i < len) {
		if (t[i] == '\n') {
			(*line)++;
			i++;
		} else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' ||
		    t[i] == '\f')
			i++;
		else if (t[i] == '#' || (t[i] == '/' && t[i + 1] == '/')) {
			while (i < len && t[i] != '\n')
				i++;
		} else if (t[i] == '/' && t[i + 1] == '*') {
			for (i += 2; i < len && !(t[i] == '*' && t[i + 1] == '/');
			    i++)
				*line += t[i] == '\n';
			if (i >= len)
				return (-1);
			i += 2;
		} else
			break;
	}
	return ((ssize_t)i);
}

/* Skips the string that starts at t[i] ('"'); -1 when unterminated. */
static ssize_t
skip_string(const char *t, size_t len, size_t i, int *line)
{
	for (i++; i < len && t[i] != '"'; i++) {
		if (t[i] == '\\' && (t[i + 1] == '"' || t[i + 1] == '\\'))
			i++;
		else
			*line += t[i] == '\n';
	}
	return (i < len ? (ssize_t)i + 1 : -1);
}

/* At a depth-0 name: if it is `jobs = (` or `jobs : (`, the '(' index. */
static ssize_t
jobs_open(const char *t, size_t len, size_t i, size_t *end, int *line)
{
	size_t	 s = i;
	ssize_t	 j;
	int	 l = *line;

	while (i < len && name_char(t[i]))
		i++;
	*end = i;
	if (i - s != 4 || strncmp(t + s, "jobs", 4) != 0)
		return (-1);
	if ((j = skip_blank(t, len, i, &l)) < 0 || (size_t)j >= len ||
	    (t[j] != '=' && t[j] != ':'))
		return (-1);
	if ((j = skip_blank(t, len, (size_t)j + 1, &l)) < 0 ||
	    (size_t)j >= len || t[j] != '(')
		return (-1);
	*line = l;
	return (j);
}

/* A bracket outside the jobs list: tracked, so that a `jobs` inside a
 * group is not taken for the top-level one. */
static int
outside_char(char c, char *stack, size_t *depth)
{
	static const char	 open[] = "([{", close[] = ")]}";
	const char		*p;

	if (c == '\0')
		return (0);
	if (strchr(open, c) != NULL) {
		if (*depth == SPLIT_DEPTH)
			return (-1);
		stack[(*depth)++] = c;
	} else if ((p = strchr(close, c)) != NULL) {
		if (*depth == 0 || stack[*depth - 1] != open[p - close])
			return (-1);
		(*depth)--;
	}
	return (0);
}

/* Records a cut at the comma t[i]: the next chunk starts after it. */
static void
add_cut(struct cfg_split *sp, size_t i, int line)
{
	sp->cuts = xreallocarray(sp->cuts, sp->ncuts + 1, sizeof *sp->cuts);
	sp->lines = xreallocarray(sp->lines, sp->ncuts + 2,
	    sizeof *sp->lines);
	sp->cuts[sp->ncuts++] = i;
	sp->lines[sp->ncuts] = line;
}

/* One bracket or comma inside the jobs list; -1 when splitting is unsafe. */
static int
list_char(struct cfg_split *sp, char c, size_t i, int line, char *stack,
    size_t *depth, int *seen, size_t *in_chunk, size_t per)
{
	static const char	 open[] = "([{", close[] = ")]}";
	const char		*p;

	if (c == '\0')
		return (-1);
	if ((p = strchr(open, c)) != NULL) {
		if (*depth == SPLIT_DEPTH)
			return (-1);
		stack[(*depth)++] = c;
		*seen = 1;
	} else if ((p = strchr(close, c)) != NULL) {
		if (*depth == 0 || stack[*depth - 1] != open[p - close])
			return (-1);
		if (--(*depth) == 0) {		/* the list's own ')' */
			if (!*seen && sp->nelems > 0)
				return (-1);	/* a trailing comma */
			sp->nelems += *seen;
			sp->close = i;
			return (1);
		}
	} else if (c == ',' && *depth == 1) {
		if (!*seen)
			return (-1);		/* an empty element */
		sp->nelems++;
		*seen = 0;
		if (++(*in_chunk) == per) {
			add_cut(sp, i, line);
			*in_chunk = 0;
		}
	} else
		*seen = 1;
	return (0);
}

/*
 * Finds the top-level jobs list and where to cut it, per elements a chunk.
 * Returns 0 when the list can be read in chunks, -1 when the text must be
 * parsed whole.
 */
int
cfg_split_find(const char *t, size_t len, size_t per, struct cfg_split *sp)
{
	char	 stack[SPLIT_DEPTH];
	size_t	 i = 0, depth = 0, in_chunk = 0, end;
	ssize_t	 j;
	int	 line = 1, in_list = 0, seen = 0, rc;

	memset(sp, 0, sizeof *sp);
	sp->lines = xcalloc(1, sizeof *sp->lines);
	while (i < len) {
		if ((j = skip_blank(t, len, i, &line)) < 0)
			goto no;
		if ((i = (size_t)j) >= len)
			break;
		if (t[i] == '@')
			goto no;		/* @include: parse it whole */
		if (t[i] == '"') {
			if ((j = skip_string(t, len, i, &line)) < 0)
				goto no;
			i = (size_t)j;
			seen |= in_list;
			continue;
		}
		if (!in_list && depth == 0 && name_start(t[i])) {
			if ((j = jobs_open(t, len, i, &end, &line)) < 0) {
				i = end;
				continue;
			}
			sp->open = (size_t)j;
			sp->lines[0] = line;
			stack[depth++] = '(';
			in_list = 1;
			seen = 0;
			i = (size_t)j + 1;
			continue;
		}
		if (!in_list) {
			/* Other settings: only their brackets matter. */
			if (outside_char(t[i], stack, &depth) != 0)
				goto no;
			i++;
			continue;
		}
		rc = list_char(sp, t[i], i, line, stack, &depth, &seen,
		    &in_chunk, per);
		if (rc < 0)
			goto no;
		if (rc > 0)
			return (sp->nelems > 0 ? 0 : -1);
		i++;
	}
no:
	cfg_split_free(sp);
	return (-1);
}

/* The text with the list's body left out (its newlines kept). */
char *
cfg_split_main(const char *t, size_t len, const struct cfg_split *sp)
{
	struct lc_buf	 b = { 0 };
	size_t		 i;

	lc_buf_add(&b, t, sp->open + 1);
	for (i = sp->open + 1; i < sp->close; i++)
		if (t[i] == '\n')
			lc_buf_add(&b, "\n", 1);
	lc_buf_add(&b, t + sp->close, len - sp->close);
	return (lc_buf_steal(&b));
}

/* Chunk k as a text of its own, "jobs=(...)"; *line: its first line. */
char *
cfg_split_chunk(const char *t, const struct cfg_split *sp, size_t k,
    int *line)
{
	struct lc_buf	 b = { 0 };
	size_t		 start, end;

	start = k == 0 ? sp->open + 1 : sp->cuts[k - 1] + 1;
	end = k < sp->ncuts ? sp->cuts[k] : sp->close;
	*line = sp->lines[k];
	lc_buf_addstr(&b, "jobs=(");
	lc_buf_add(&b, t + start, end - start);
	lc_buf_addstr(&b, ")");
	return (lc_buf_steal(&b));
}

size_t
cfg_split_count(const struct cfg_split *sp)
{
	return (sp->ncuts + 1);
}

void
cfg_split_free(struct cfg_split *sp)
{
	free(sp->cuts);
	free(sp->lines);
	memset(sp, 0, sizeof *sp);
}
