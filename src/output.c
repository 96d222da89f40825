/*
 * Rendering CLI results as a table, JSON or CSV. Cells are typed so that
 * JSON gets real integers, booleans and nulls; the table shows what people
 * read (a display text when the caller gives one) and never lets a cell's
 * bytes drive the terminal: control characters are escaped.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lockcron/output.h"
#include "lockcron/util.h"

enum cell_type { CELL_NULL = 0, CELL_STRING, CELL_INT, CELL_BOOL, CELL_ARRAY };

struct cell {
	enum cell_type		 type;
	char			*s;
	int64_t			 i;
	struct cell		*elems;
	size_t			 nelems;
	char			*display;
	enum lc_output_colour	 colour;
};

struct column {
	char	*key;
	char	*header;
	int	 priority;
	int	 flags;
};

struct lc_output {
	struct column	*cols;
	size_t		 ncols;
	struct cell	*cells;		/* nrows * ncols, row-major */
	size_t		 nrows;
	size_t		 rows_cap;
};

static const char *const sgr[] = {
	[LC_OUTPUT_PLAIN] = "",
	[LC_OUTPUT_RED] = "\033[31m",
	[LC_OUTPUT_GREEN] = "\033[32m",
	[LC_OUTPUT_YELLOW] = "\033[33m",
	[LC_OUTPUT_BLUE] = "\033[34m",
	[LC_OUTPUT_DIM] = "\033[2m",
	[LC_OUTPUT_BOLD] = "\033[1m",
};

struct lc_output *
lc_output_new(void)
{
	return (xcalloc(1, sizeof (struct lc_output)));
}

static void
cell_clear(struct cell *c)
{
	size_t	 i;

	free(c->s);
	for (i = 0; i < c->nelems; i++)
		cell_clear(&c->elems[i]);
	free(c->elems);
	free(c->display);
	memset(c, 0, sizeof *c);
}

void
lc_output_free(struct lc_output *o)
{
	size_t	 i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nrows * o->ncols; i++)
		cell_clear(&o->cells[i]);
	free(o->cells);
	for (i = 0; i < o->ncols; i++) {
		free(o->cols[i].key);
		free(o->cols[i].header);
	}
	free(o->cols);
	free(o);
}

int
lc_output_column(struct lc_output *o, const char *key, const char *header,
    int priority, int flags)
{
	struct column	*c;

	if (o->nrows > 0)
		abort();	/* columns come before rows */
	o->cols = xreallocarray(o->cols, o->ncols + 1, sizeof *o->cols);
	c = &o->cols[o->ncols];
	c->key = xstrdup(key);
	c->header = xstrdup(header);
	c->priority = priority;
	c->flags = flags;
	return ((int)o->ncols++);
}

void
lc_output_row(struct lc_output *o)
{
	if (o->nrows == o->rows_cap) {
		o->rows_cap = o->rows_cap == 0 ? 16 : o->rows_cap * 2;
		o->cells = xreallocarray(o->cells, o->rows_cap * o->ncols,
		    sizeof *o->cells);
	}
	memset(&o->cells[o->nrows * o->ncols], 0, o->ncols * sizeof *o->cells);
	o->nrows++;
}

/* The cell at col in the current row, emptied of any old value. */
static struct cell *
cell(struct lc_output *o, int col, int keep)
{
	struct cell		*c;
	char			*display;
	enum lc_output_colour	 colour;

	if (o->nrows == 0 || col < 0 || (size_t)col >= o->ncols)
		abort();	/* a caller bug, not a runtime condition */
	c = &o->cells[(o->nrows - 1) * o->ncols + (size_t)col];
	if (keep)
		return (c);
	display = c->display;
	colour = c->colour;
	c->display = NULL;
	cell_clear(c);
	c->display = display;
	c->colour = colour;
	return (c);
}

void
lc_output_string(struct lc_output *o, int col, const char *s)
{
	struct cell	*c = cell(o, col, 0);

	if (s != NULL) {
		c->type = CELL_STRING;
		c->s = xstrdup(s);
	}
}

void
lc_output_int(struct lc_output *o, int col, int64_t v)
{
	struct cell	*c = cell(o, col, 0);

	c->type = CELL_INT;
	c->i = v;
}

void
lc_output_bool(struct lc_output *o, int col, int v)
{
	struct cell	*c = cell(o, col, 0);

	c->type = CELL_BOOL;
	c->i = v != 0;
}

void
lc_output_null(struct lc_output *o, int col)
{
	cell(o, col, 0);
}

void
lc_output_array(struct lc_output *o, int col)
{
	cell(o, col, 0)->type = CELL_ARRAY;
}

static struct cell *
append(struct lc_output *o, int col)
{
	struct cell	*c = cell(o, col, 1), *e;

	if (c->type != CELL_ARRAY)
		lc_output_array(o, col);
	c->elems = xreallocarray(c->elems, c->nelems + 1, sizeof *c->elems);
	e = &c->elems[c->nelems++];
	memset(e, 0, sizeof *e);
	return (e);
}

void
lc_output_append_string(struct lc_output *o, int col, const char *s)
{
	struct cell	*e = append(o, col);

	if (s != NULL) {
		e->type = CELL_STRING;
		e->s = xstrdup(s);
	}
}

void
lc_output_append_int(struct lc_output *o, int col, int64_t v)
{
	struct cell	*e = append(o, col);

	e->type = CELL_INT;
	e->i = v;
}

void
lc_output_display(struct lc_output *o, int col, const char *text)
{
	struct cell	*c = cell(o, col, 1);

	free(c->display);
	c->display = text != NULL ? xstrdup(text) : NULL;
}

void
lc_output_colour(struct lc_output *o, int col, enum lc_output_colour colour)
{
	cell(o, col, 1)->colour = colour;
}

void
lc_output_style_detect(struct lc_output_style *st, int fd)
{
	struct winsize	 ws;
	const char	*cols = getenv("COLUMNS"), *nc = getenv("NO_COLOR");
	const char	*term = getenv("TERM");
	long long	 n;
	int		 tty = isatty(fd);

	st->width = 80;
	if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		st->width = ws.ws_col;
	else if (cols != NULL && lc_parse_int(cols, 1, 100000, &n) == 0)
		st->width = (int)n;
	st->colour = tty && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

int
lc_output_parse_format(const char *s, enum lc_output_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = LC_OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = LC_OUTPUT_JSON;
	else if (strcmp(s, "csv") == 0)
		*out = LC_OUTPUT_CSV;
	else
		return (-1);
	return (0);
}

/* --- text --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p, or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t	 n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return (0);
	return (n);
}

/* Valid UTF-8, invalid bytes replaced by U+FFFD (JSON needs it). */
static char *
utf8_clean(const char *s)
{
	return (lc_output_utf8(s, strlen(s)));
}

char *
lc_output_utf8(const char *s, size_t len)
{
	struct lc_buf		 b = { 0 };
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	unsigned char		 last[5];
	size_t			 n;

	lc_buf_addstr(&b, "");
	while (p < end) {
		if (*p == '\0') {
			p++;
			continue;
		}
		/* Near the end, look at a NUL-padded copy: never past end. */
		if (end - p < 4) {
			memset(last, 0, sizeof last);
			memcpy(last, p, (size_t)(end - p));
			n = utf8_len(last);
		} else
			n = utf8_len(p);
		if (n == 0) {
			lc_buf_addstr(&b, "\xef\xbf\xbd");
			p++;
		} else {
			lc_buf_add(&b, p, n);
			p += n;
		}
	}
	return (lc_buf_steal(&b));
}

/* Text safe for a terminal: control characters escaped, bad UTF-8 '?';
 * *width receives its width in characters. */
static void
table_text(struct lc_buf *b, const char *s, size_t *width)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (*p != '\0') {
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			lc_buf_addstr(b, *p == '\n' ? "\\n" : *p == '\t' ?
			    "\\t" : "\\r");
			*width += 2;
			p++;
		} else if (*p < 0x20 || *p == 0x7f || (n = utf8_len(p)) == 0 ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			lc_buf_addstr(b, "?");	/* C0, DEL, C1, bad bytes */
			(*width)++;
			p += (*p >= 0x80 && (n = utf8_len(p)) != 0) ? n : 1;
		} else {
			lc_buf_add(b, p, n);
			(*width)++;
			p += n;
		}
	}
}

/* A scalar cell as text: tables show null as "-" and booleans as yes/no. */
static void
scalar_text(struct lc_buf *b, const struct cell *c, int table)
{
	switch (c->type) {
	case CELL_NULL:
		if (table)
			lc_buf_addstr(b, "-");
		break;
	case CELL_STRING:
		lc_buf_addstr(b, c->s);
		break;
	case CELL_INT:
		lc_buf_printf(b, "%lld", (long long)c->i);
		break;
	case CELL_BOOL:
		lc_buf_addstr(b, table ? (c->i ? "yes" : "no") :
		    (c->i ? "true" : "false"));
		break;
	case CELL_ARRAY:
		break;
	}
}

/* The raw text of a cell (arrays joined); table or CSV conventions. */
static char *
cell_text(const struct cell *c, int table)
{
	struct lc_buf	 b = { 0 };
	size_t		 i;

	if (table && c->display != NULL)
		return (xstrdup(c->display));
	if (c->type != CELL_ARRAY)
		scalar_text(&b, c, table);
	else if (table && c->nelems == 0)
		lc_buf_addstr(&b, "-");
	for (i = 0; c->type == CELL_ARRAY && i < c->nelems; i++) {
		if (i > 0)
			lc_buf_addstr(&b, table ? "; " : ";");
		scalar_text(&b, &c->elems[i], table);
	}
	return (lc_buf_steal(&b));
}

/* --- table -------------------------------------------------------------- */

/* Chooses the columns that fit: drops the lowest priority first. */
static void
fit_columns(const struct lc_output *o, const size_t *w, int *shown,
    int width)
{
	size_t	 i, total, n;
	int	 drop;

	for (;;) {
		total = 0;
		n = 0;
		for (i = 0; i < o->ncols; i++) {
			if (shown[i]) {
				total += w[i] + (n > 0 ? 2 : 0);
				n++;
			}
		}
		if (width <= 0 || total <= (size_t)width || n <= 1)
			return;
		drop = -1;
		for (i = 0; i < o->ncols; i++)
			if (shown[i] && !(o->cols[i].flags & LC_OUTPUT_KEEP) &&
			    (drop == -1 || o->cols[i].priority <=
			    o->cols[drop].priority))
				drop = (int)i;
		if (drop == -1)
			return;
		shown[drop] = 0;
	}
}

static void
pad(struct lc_buf *b, size_t n)
{
	while (n-- > 0)
		lc_buf_add(b, " ", 1);
}

/* Appends one row of already escaped texts. */
static void
table_row(struct lc_buf *b, const struct lc_output *o, char **text,
    const size_t *tw, const enum lc_output_colour *colour, const size_t *w,
    const int *shown)
{
	size_t	 i, last = 0, first = 1;

	for (i = 0; i < o->ncols; i++)
		if (shown[i])
			last = i;
	for (i = 0; i < o->ncols; i++) {
		if (!shown[i])
			continue;
		if (!first)
			lc_buf_addstr(b, "  ");
		first = 0;
		if (o->cols[i].flags & LC_OUTPUT_RIGHT)
			pad(b, w[i] - tw[i]);
		if (colour[i] != LC_OUTPUT_PLAIN)
			lc_buf_addstr(b, sgr[colour[i]]);
		lc_buf_addstr(b, text[i]);
		if (colour[i] != LC_OUTPUT_PLAIN)
			lc_buf_addstr(b, "\033[0m");
		if (!(o->cols[i].flags & LC_OUTPUT_RIGHT) && i != last)
			pad(b, w[i] - tw[i]);
	}
	lc_buf_addstr(b, "\n");
}

static void
render_table(struct lc_buf *out, const struct lc_output *o,
    const struct lc_output_style *st)
{
	size_t			 nc = o->ncols, r, i, n = (o->nrows + 1) * nc;
	size_t			*w, *tw;
	char			**text, *raw;
	enum lc_output_colour	*colour;
	struct lc_buf		 b;
	int			*shown;

	w = xcalloc(nc, sizeof *w);
	tw = xcalloc(n, sizeof *tw);
	text = xcalloc(n, sizeof *text);
	colour = xcalloc(n, sizeof *colour);
	shown = xcalloc(nc, sizeof *shown);
	for (r = 0; r <= o->nrows; r++) {
		for (i = 0; i < nc; i++) {
			memset(&b, 0, sizeof b);
			raw = r == 0 ? xstrdup(o->cols[i].header) :
			    cell_text(&o->cells[(r - 1) * nc + i], 1);
			table_text(&b, raw, &tw[r * nc + i]);
			free(raw);
			text[r * nc + i] = lc_buf_steal(&b);
			if (st->colour)
				colour[r * nc + i] = r == 0 ? LC_OUTPUT_BOLD :
				    o->cells[(r - 1) * nc + i].colour;
			if (tw[r * nc + i] > w[i])
				w[i] = tw[r * nc + i];
		}
	}
	for (i = 0; i < nc; i++)
		shown[i] = 1;
	fit_columns(o, w, shown, st->width);
	for (r = 0; r <= o->nrows; r++)
		table_row(out, o, &text[r * nc], &tw[r * nc], &colour[r * nc],
		    w, shown);
	for (i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(tw);
	free(w);
	free(colour);
	free(shown);
}

/* --- JSON --------------------------------------------------------------- */

static json_t *
cell_json(const struct cell *c)
{
	json_t	*v;
	char	*s;
	size_t	 i;

	switch (c->type) {
	case CELL_STRING:
		s = utf8_clean(c->s);
		v = json_string(s);
		free(s);
		return (v);
	case CELL_INT:
		return (json_integer((json_int_t)c->i));
	case CELL_BOOL:
		return (json_boolean(c->i));
	case CELL_ARRAY:
		v = json_array();
		for (i = 0; i < c->nelems; i++)
			json_array_append_new(v, cell_json(&c->elems[i]));
		return (v);
	case CELL_NULL:
		break;
	}
	return (json_null());
}

static void
render_json(struct lc_buf *out, const struct lc_output *o)
{
	json_t	*arr, *obj;
	char	*s;
	size_t	 r, i;

	arr = json_array();
	for (r = 0; r < o->nrows; r++) {
		obj = json_object();
		for (i = 0; i < o->ncols; i++)
			json_object_set_new(obj, o->cols[i].key,
			    cell_json(&o->cells[r * o->ncols + i]));
		json_array_append_new(arr, obj);
	}
	if ((s = json_dumps(arr, JSON_INDENT(2))) == NULL)
		abort();	/* only on OOM */
	lc_buf_addstr(out, s);
	lc_buf_addstr(out, "\n");
	free(s);
	json_decref(arr);
}

/* --- CSV ---------------------------------------------------------------- */

/* RFC 4180: quoted when it holds a comma, quote, CR or LF. */
static void
csv_field(struct lc_buf *out, const char *s)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ' &&
	    (s[0] == '\0' || s[strlen(s) - 1] != ' ')) {
		lc_buf_addstr(out, s);
		return;
	}
	lc_buf_addstr(out, "\"");
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			lc_buf_addstr(out, "\"\"");
		else
			lc_buf_add(out, p, 1);
	}
	lc_buf_addstr(out, "\"");
}

static void
render_csv(struct lc_buf *out, const struct lc_output *o)
{
	size_t	 r, i;
	char	*s;

	for (i = 0; i < o->ncols; i++) {
		if (i > 0)
			lc_buf_addstr(out, ",");
		csv_field(out, o->cols[i].key);
	}
	lc_buf_addstr(out, "\r\n");
	for (r = 0; r < o->nrows; r++) {
		for (i = 0; i < o->ncols; i++) {
			if (i > 0)
				lc_buf_addstr(out, ",");
			s = cell_text(&o->cells[r * o->ncols + i], 0);
			csv_field(out, s);
			free(s);
		}
		lc_buf_addstr(out, "\r\n");
	}
}

char *
lc_output_render(const struct lc_output *o, enum lc_output_format format,
    const struct lc_output_style *st)
{
	static const struct lc_output_style	 plain = { 0, 0 };
	struct lc_buf				 b = { 0 };

	switch (format) {
	case LC_OUTPUT_TABLE:
		render_table(&b, o, st != NULL ? st : &plain);
		break;
	case LC_OUTPUT_JSON:
		render_json(&b, o);
		break;
	case LC_OUTPUT_CSV:
		render_csv(&b, o);
		break;
	}
	return (lc_buf_steal(&b));
}

int
lc_output_print(const struct lc_output *o, FILE *f,
    enum lc_output_format format, const struct lc_output_style *st)
{
	char	*s = lc_output_render(o, format, st);
	size_t	 len = strlen(s);
	int	 rc = 0;

	if (fwrite(s, 1, len, f) != len || fflush(f) != 0)
		rc = -1;
	free(s);
	return (rc);
}
