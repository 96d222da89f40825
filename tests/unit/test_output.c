/*
 * Unit tests for output: tables fitted to a width, escaping and colour,
 * typed JSON (parsed back), and RFC 4180 CSV.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/output.h"

/* name, runs (right), note (low priority), ok (bool), tags (array). */
static struct lc_output *
sample(void)
{
	struct lc_output	*o = lc_output_new();

	assert_int_equal(lc_output_column(o, "name", "NAME", 100,
	    LC_OUTPUT_KEEP), 0);
	assert_int_equal(lc_output_column(o, "runs", "RUNS", 50,
	    LC_OUTPUT_RIGHT), 1);
	assert_int_equal(lc_output_column(o, "note", "NOTE", 10, 0), 2);
	assert_int_equal(lc_output_column(o, "ok", "OK", 60, 0), 3);
	assert_int_equal(lc_output_column(o, "tags", "TAGS", 20, 0), 4);
	lc_output_row(o);
	lc_output_string(o, 0, "backup");
	lc_output_int(o, 1, 12);
	lc_output_string(o, 2, "nightly, \"full\"");
	lc_output_bool(o, 3, 1);
	lc_output_array(o, 4);
	lc_output_append_string(o, 4, "a");
	lc_output_append_string(o, 4, "b");
	lc_output_row(o);
	lc_output_string(o, 0, "x");
	lc_output_int(o, 1, -3);
	lc_output_bool(o, 3, 0);
	return (o);
}

static void
test_table(void **state)
{
	struct lc_output_style	 st = { 0, 0 };
	struct lc_output	*o = sample();
	char			*s;

	s = lc_output_render(o, LC_OUTPUT_TABLE, &st);
	assert_string_equal(s,
	    "NAME    RUNS  NOTE             OK   TAGS\n"
	    "backup    12  nightly, \"full\"  yes  a; b\n"
	    "x         -3  -                no   -\n");
	free(s);
	lc_output_free(o);
}

static void
test_table_fit(void **state)
{
	struct lc_output_style	 st = { 30, 0 };
	struct lc_output	*o = sample();
	char			*s;

	/* 40 wide: NOTE (priority 10) goes first... */
	s = lc_output_render(o, LC_OUTPUT_TABLE, &st);
	assert_string_equal(s,
	    "NAME    RUNS  OK   TAGS\n"
	    "backup    12  yes  a; b\n"
	    "x         -3  no   -\n");
	free(s);
	/* ...then TAGS (20). */
	st.width = 20;
	s = lc_output_render(o, LC_OUTPUT_TABLE, &st);
	assert_string_equal(s,
	    "NAME    RUNS  OK\n"
	    "backup    12  yes\n"
	    "x         -3  no\n");
	free(s);
	st.width = 5;	/* NAME is KEEP: it stays even when too wide */
	s = lc_output_render(o, LC_OUTPUT_TABLE, &st);
	assert_string_equal(s, "NAME\nbackup\nx\n");
	free(s);
	lc_output_free(o);
}

static void
test_table_escape_colour(void **state)
{
	struct lc_output_style	 st = { 0, 1 };
	struct lc_output	*o = lc_output_new();
	char			*s;

	lc_output_column(o, "a", "A", 1, 0);
	lc_output_column(o, "b", "B", 1, 0);
	lc_output_row(o);
	lc_output_string(o, 0, "x\ny\033[2J\xff\xc3\xa9");
	lc_output_colour(o, 0, LC_OUTPUT_RED);
	lc_output_string(o, 1, "z");
	lc_output_display(o, 1, "shown");
	s = lc_output_render(o, LC_OUTPUT_TABLE, &st);
	assert_string_equal(s,
	    "\033[1mA\033[0m           \033[1mB\033[0m\n"
	    "\033[31mx\\ny?[2J?\xc3\xa9\033[0m  shown\n");
	free(s);
	/* JSON and CSV keep the value, not the display text. */
	s = lc_output_render(o, LC_OUTPUT_CSV, NULL);
	assert_string_equal(s, "a,b\r\n\"x\ny\033[2J\xff\xc3\xa9\",z\r\n");
	free(s);
	lc_output_free(o);
}

static void
test_json(void **state)
{
	struct lc_output	*o = sample();
	json_error_t		 err;
	json_t			*v, *r;
	char			*s;

	s = lc_output_render(o, LC_OUTPUT_JSON, NULL);
	v = json_loads(s, 0, &err);
	assert_non_null(v);
	assert_int_equal(json_array_size(v), 2);
	r = json_array_get(v, 0);
	assert_string_equal(json_string_value(json_object_get(r, "name")),
	    "backup");
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), 12);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_array_size(json_object_get(r, "tags")), 2);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(r, "tags"), 1)), "b");
	r = json_array_get(v, 1);
	assert_true(json_is_null(json_object_get(r, "note")));
	assert_true(json_is_null(json_object_get(r, "tags")));
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), -3);
	/* Key order follows the columns. */
	assert_true(strstr(s, "\"name\"") < strstr(s, "\"runs\""));
	json_decref(v);
	free(s);
	lc_output_free(o);
}

static void
test_json_bad_utf8(void **state)
{
	struct lc_output	*o = lc_output_new();
	json_t			*v;
	char			*s;

	lc_output_column(o, "a", "A", 1, 0);
	lc_output_row(o);
	lc_output_string(o, 0, "ok\xff\xc3\xa9");
	s = lc_output_render(o, LC_OUTPUT_JSON, NULL);
	v = json_loads(s, 0, NULL);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(v, 0), "a")), "ok\xef\xbf\xbd\xc3\xa9");
	json_decref(v);
	free(s);
	lc_output_free(o);
}

static void
test_csv(void **state)
{
	struct lc_output	*o = sample();
	char			*s;

	s = lc_output_render(o, LC_OUTPUT_CSV, NULL);
	assert_string_equal(s,
	    "name,runs,note,ok,tags\r\n"
	    "backup,12,\"nightly, \"\"full\"\"\",true,a;b\r\n"
	    "x,-3,,false,\r\n");
	free(s);
	lc_output_free(o);
}

static void
test_empty_and_formats(void **state)
{
	struct lc_output	*o = lc_output_new();
	enum lc_output_format	 f;
	char			*s;

	lc_output_column(o, "name", "NAME", 1, 0);
	s = lc_output_render(o, LC_OUTPUT_JSON, NULL);
	assert_string_equal(s, "[]\n");
	free(s);
	s = lc_output_render(o, LC_OUTPUT_TABLE, NULL);
	assert_string_equal(s, "NAME\n");
	free(s);
	lc_output_free(o);
	assert_int_equal(lc_output_parse_format("csv", &f), 0);
	assert_int_equal(f, LC_OUTPUT_CSV);
	assert_int_equal(lc_output_parse_format("yaml", &f), -1);
}

static void
test_style_detect(void **state)
{
	struct lc_output_style	 st;
	int			 fd;

	/* Not a terminal: $COLUMNS (else 80), and never colour. */
	fd = open("/dev/null", 0);
	setenv("COLUMNS", "132", 1);
	unsetenv("NO_COLOR");
	lc_output_style_detect(&st, fd);
	assert_int_equal(st.width, 132);
	assert_false(st.colour);
	unsetenv("COLUMNS");
	lc_output_style_detect(&st, fd);
	assert_int_equal(st.width, 80);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_fit),
		cmocka_unit_test(test_table_escape_colour),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_bad_utf8),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_empty_and_formats),
		cmocka_unit_test(test_style_detect),
	};

	return (cmocka_run_group_tests_name("output", tests, NULL, NULL));
}
