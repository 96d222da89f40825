#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "lockcron/cronexpr.h"
static void t(void **s) { assert_null(lc_cronexpr_parse("x", NULL)); }
int main(void) { const struct CMUnitTest tests[] = { cmocka_unit_test(t) };
return cmocka_run_group_tests_name("cronexpr", tests, NULL, NULL); }
