/*
 * Tables for the CLI: named columns and rows of typed cells, rendered as an
 * aligned table for people (fitted to the terminal by dropping the least
 * important columns, coloured only on a terminal and never with NO_COLOR),
 * as JSON (an array of objects, one key per column) or as CSV (RFC 4180).
 *
 *	o = lc_output_new();
 *	name = lc_output_column(o, "name", "NAME", 100, LC_OUTPUT_KEEP);
 *	runs = lc_output_column(o, "runs", "RUNS", 50, LC_OUTPUT_RIGHT);
 *	lc_output_row(o);
 *	lc_output_string(o, name, "backup");
 *	lc_output_int(o, runs, 12);
 *	lc_output_style_detect(&style, STDOUT_FILENO);
 *	lc_output_print(o, stdout, LC_OUTPUT_TABLE, &style);
 *	lc_output_free(o);
 */
#ifndef LOCKCRON_OUTPUT_H
#define LOCKCRON_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

enum lc_output_format {
	LC_OUTPUT_TABLE = 0,
	LC_OUTPUT_JSON,
	LC_OUTPUT_CSV
};

enum lc_output_colour {
	LC_OUTPUT_PLAIN = 0,
	LC_OUTPUT_RED,
	LC_OUTPUT_GREEN,
	LC_OUTPUT_YELLOW,
	LC_OUTPUT_BLUE,
	LC_OUTPUT_DIM,
	LC_OUTPUT_BOLD
};

/* Column flags. */
#define LC_OUTPUT_RIGHT	0x1	/* right-aligned in tables (numbers) */
#define LC_OUTPUT_KEEP	0x2	/* never dropped to fit the width */

/* How a table is drawn; lc_output_style_detect() fills it from the
 * environment, tests set it by hand. */
struct lc_output_style {
	int	 width;		/* columns available; <= 0: unlimited */
	int	 colour;	/* emit ANSI colour */
};

struct lc_output;

struct lc_output	*lc_output_new(void);
void			 lc_output_free(struct lc_output *);

/*
 * Adds a column and returns its index. key names it in JSON and CSV,
 * header in tables. When a table is too wide, columns are dropped lowest
 * priority first (the rightmost among equals), never one flagged KEEP.
 */
int	 lc_output_column(struct lc_output *, const char *key,
	     const char *header, int priority, int flags);

/* Starts a row; the setters below fill its cells. Unset cells are null. */
void	 lc_output_row(struct lc_output *);
void	 lc_output_string(struct lc_output *, int col, const char *);
void	 lc_output_int(struct lc_output *, int col, int64_t);
void	 lc_output_bool(struct lc_output *, int col, int);
void	 lc_output_null(struct lc_output *, int col);
/* Makes the cell an empty array, then appends elements to it. Tables show
 * the elements joined by "; ", CSV by ";". */
void	 lc_output_array(struct lc_output *, int col);
void	 lc_output_append_string(struct lc_output *, int col, const char *);
void	 lc_output_append_int(struct lc_output *, int col, int64_t);
/* What a table shows instead of the value (e.g. a local time for a UTC
 * instant); JSON and CSV keep the value. */
void	 lc_output_display(struct lc_output *, int col, const char *);
void	 lc_output_colour(struct lc_output *, int col, enum lc_output_colour);

/* Width from the terminal (else $COLUMNS, else 80) when fd is a terminal;
 * colour only on a terminal, without NO_COLOR and with TERM not "dumb". */
void	 lc_output_style_detect(struct lc_output_style *, int fd);
/* "table", "json" or "csv"; -1 otherwise. */
int	 lc_output_parse_format(const char *, enum lc_output_format *);
/* The len bytes at s as valid UTF-8 without NULs: NULs dropped, invalid
 * bytes replaced by U+FFFD (what JSON strings need). Allocated. */
char	*lc_output_utf8(const char *s, size_t len);
/* Renders to a string (never NULL). */
char	*lc_output_render(const struct lc_output *, enum lc_output_format,
	     const struct lc_output_style *);
/* Renders to f; -1 when writing failed. */
int	 lc_output_print(const struct lc_output *, FILE *,
	     enum lc_output_format, const struct lc_output_style *);

#endif
