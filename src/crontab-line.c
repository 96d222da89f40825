/*
 * Two rules of cron(8) on one crontab line, as Debian's cron 3.0pl1 applies
 * them (checked by running it): what an environment line is, and how '%'
 * splits a command from its standard input.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/crontab.h"
#include "lockcron/util.h"

enum env_parse { E_NAMEI, E_NAME, E_EQ1, E_EQ2, E_VALUEI, E_VALUE, E_FINI,
    E_ERROR };

/*
 * One character of the name or the value: the closing quote, the end of an
 * unquoted name (a blank or '='), or a character to keep.
 */
static enum env_parse
name_value_char(enum env_parse st, char q, const char **c, struct lc_buf *b)
{
	if (q != '\0' && **c == q) {
		++*c;
		return (st + 1);
	}
	if (st == E_NAME && **c == '=')
		return (q != '\0' ? E_ERROR : E_EQ1);
	if (q == '\0' && st == E_NAME && isspace((unsigned char)**c)) {
		++*c;
		return (E_EQ1);
	}
	lc_buf_add(b, (*c)++, 1);
	return (st);
}

/*
 * cron's load_env(): NAME = VALUE, either side in matching quotes; blanks
 * around '=' ignored. Debian's cron also drops trailing blanks of the value,
 * quoted or not ("FOO = ' a '" is " a").
 */
int
lc_crontab_env_line(const char *line, char **name, char **value)
{
	struct lc_buf	 nb = { 0 }, vb = { 0 }, *b = &nb;
	enum env_parse	 st = E_NAMEI;
	const char	*c = line;
	char		 q = '\0';

	while (st != E_ERROR && *c != '\0') {
		switch (st) {
		case E_NAMEI:
		case E_VALUEI:
			if (*c == '\'' || *c == '"')
				q = *c++;
			st++;
			/* FALLTHROUGH */
		case E_NAME:
		case E_VALUE:
			if (*c != '\0')
				st = name_value_char(st, q, &c, b);
			break;
		case E_EQ1:
			if (*c == '=') {
				st++;
				b = &vb;
				q = '\0';
			} else if (!isspace((unsigned char)*c))
				st = E_ERROR;
			c++;
			break;
		case E_EQ2:
		case E_FINI:
			if (isspace((unsigned char)*c))
				c++;
			else
				st++;
			break;
		default:
			abort();
		}
	}
	if (st != E_FINI && !(st == E_VALUE && q == '\0')) {
		lc_buf_free(&nb);
		lc_buf_free(&vb);
		return (0);
	}
	while (vb.len > 0 && isspace((unsigned char)vb.data[vb.len - 1]))
		vb.data[--vb.len] = '\0';
	*name = lc_buf_steal(&nb);
	*value = lc_buf_steal(&vb);
	return (1);
}

/*
 * cron's '%' rule (do_command.c). In the command "\%" is '%' and "\\" is
 * '\'; the first other '%' ends it. In the input each '%' is a newline,
 * "\%" a '%', any other backslash stays, and a newline ends it.
 */
void
lc_crontab_percent(const char *cmd, char **command, char **input)
{
	struct lc_buf	 b = { 0 };
	const char	*p;
	int		 escaped = 0;
	char		 ch;

	*input = NULL;
	for (p = cmd; *p != '\0'; p++) {
		if (escaped) {
			if (*p == '%' || *p == '\\')
				b.data[b.len - 1] = *p;
			else
				lc_buf_add(&b, p, 1);
			escaped = 0;
			continue;
		}
		if (*p == '%')
			break;
		escaped = *p == '\\';
		lc_buf_add(&b, p, 1);
	}
	*command = lc_buf_steal(&b);
	if (*p != '%')
		return;
	for (escaped = 0, p++; *p != '\0'; p++) {
		ch = *p;
		if (escaped && ch != '%')
			lc_buf_add(&b, "\\", 1);
		else if (!escaped && ch == '%')
			ch = '\n';
		if (!(escaped = ch == '\\'))
			lc_buf_add(&b, &ch, 1);
	}
	if (escaped)
		lc_buf_add(&b, "\\", 1);
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		lc_buf_add(&b, "\n", 1);
	*input = lc_buf_steal(&b);
}
