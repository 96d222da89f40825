/*
 * Unit tests for libcurl loaded on first use (src/curl-load.c): nothing is
 * loaded before the first call, and every kind of argument reaches the
 * library intact through the forwarding functions (a long, a string, a
 * function pointer and its data, a curl_off_t; getinfo's pointers; the URL
 * API), checked by real transfers of a local file:// URL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/curl-load.h"
#include "lockcron/util.h"

static char	 path[256];

static int
setup(void **state)
{
	const char	*tmp = getenv("TMPDIR");
	FILE		*f;
	int		 fd;

	snprintf(path, sizeof path, "%s/lockcron-curl.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return (-1);
	fputs("0123456789abcdef", f);
	return (fclose(f));
}

static int
teardown(void **state)
{
	return (unlink(path));
}

/* CURLOPT_WRITEFUNCTION: appends to the lc_buf in CURLOPT_WRITEDATA. */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	lc_buf_add(arg, p, size * n);
	return (size * n);
}

static void
test_loads_on_first_use(void **state)
{
	CURL		*h;
	CURLU		*u;
	struct lc_buf	 body = { NULL, 0, 0 };
	char		*url, *s = NULL;
	long		 code = -1;

	assert_int_equal(lc_curl_loaded(), 0);
	/* The URL API: set a part, read the whole URL back. */
	assert_non_null(u = curl_url());
	assert_int_equal(lc_curl_loaded(), 1);
	xasprintf(&url, "file://%s", path);
	assert_int_equal(curl_url_set(u, CURLUPART_URL, url, 0), CURLUE_OK);
	assert_int_equal(curl_url_get(u, CURLUPART_PATH, &s, 0), CURLUE_OK);
	assert_string_equal(s, path);
	curl_free(s);
	curl_url_cleanup(u);
	assert_string_equal(curl_url_strerror(CURLUE_OK), "No error");

	assert_non_null(h = curl_easy_init());
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L),
	    CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb),
	    CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, &body),
	    CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	assert_int_equal(body.len, 16);
	assert_memory_equal(body.data, "0123456789abcdef", 16);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code),
	    CURLE_OK);
	assert_int_equal(code, 0);	/* file:// has no response code */

	/* A curl_off_t: resume from byte 10. */
	body.len = 0;
	assert_int_equal(curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE,
	    (curl_off_t)10), CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	assert_int_equal(body.len, 6);
	assert_memory_equal(body.data, "abcdef", 6);
	assert_string_equal(curl_easy_strerror(CURLE_FILESIZE_EXCEEDED),
	    "Maximum file size exceeded");
	curl_easy_cleanup(h);
	lc_buf_free(&body);
	free(url);
	assert_int_equal(lc_curl_load(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loads_on_first_use, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("curl_load", tests, NULL, NULL));
}
