/*
 * libFuzzer harness for a run's record units (src/record.c), which the
 * daemon decodes from its supervisors. Each input is a unit. Checking it
 * must never crash; a unit the check accepts is applied to a real history
 * (a queued run made for it, in replay mode so that any order of records
 * may be tried) and must be applied whole or not at all, never crash, and
 * leave the run in a state the schema allows.
 *
 * Build: ./configure CC=clang --enable-fuzz && make fuzz
 * Run:   tests/fuzz/fuzz_record CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/record.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct lc_history	*h;

static void
init(void)
{
	char	 dir[] = "/tmp/lockcron-fuzz-record.XXXXXX", path[64];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/history.db", dir);
	if ((h = lc_history_open(path, 0, NULL, NULL)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_record_seen	 seen;
	struct lc_run		 row;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;
	uint32_t		 seq;
	int			 rc;

	if (h == NULL)
		init();
	rc = lc_record_check(data, size, &seq, &cause);
	if ((rc == 0) != (cause == NULL))
		abort();		/* refused with a reason, or accepted */
	free(cause);
	if (rc != 0)
		return (0);
	lc_history_run_init(&row);
	row.job = "fuzz";
	row.status = LC_RUN_QUEUED;
	row.scheduled_at = 1000;
	if (lc_history_run_insert(h, &row, id, NULL) != 0)
		abort();
	cause = NULL;
	rc = lc_record_apply(h, id, getpid(), data, size, 1, &seen, &cause);
	free(cause);
	if (lc_history_in_transaction(h))
		abort();		/* a unit's transaction always ends */
	lc_history_run_init(&row);
	if (lc_history_run_get(h, id, &row, NULL, NULL, NULL) != 0)
		abort();
	if (rc == 0 && seen.finished && row.status != seen.status)
		abort();
	if (rc == 0 && !seen.finished && !seen.running &&
	    row.status != LC_RUN_QUEUED)
		abort();
	lc_history_run_clear(&row);
	return (0);
}
