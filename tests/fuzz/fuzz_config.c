/*
 * libFuzzer harness for the config loader: each input is written to a file
 * and loaded as lockcron would load /etc/lockcron.conf, then freed. It is
 * loaded twice, with its jobs list read in chunks and whole, and both must
 * give the same messages and jobs (config-split.c's promise).
 *
 *	./configure CC=clang --enable-fuzz && make fuzz
 *	tests/fuzz/fuzz_config -max_total_time=600 tests/fuzz/corpus/config
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockcron/config.h"

static char	 path[64];

/* config-split.c: jobs per chunk of a long list; 0 reads files whole. */
extern size_t	 cfg_chunk_jobs;

/* One file, rewritten for every input (mkstemp: mode 0600, ours). */
static void
make_file(void)
{
	int	 fd;

	if (path[0] != '\0')
		return;
	snprintf(path, sizeof path, "/tmp/fuzz_config.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		abort();
	close(fd);
}

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__lsan_default_suppressions(void);

/* libconfig 1.5 leaks a discarded string token on a syntax error (see
 * tests/lsan.supp); that is not ours to find. */
const char *
__lsan_default_suppressions(void)
{
	return ("leak:strbuf_append\nleak:libconfig_yylex\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_config_opts	 opts = { 0 };
	struct lc_config_diag	 diag = { 0 }, wdiag = { 0 };
	struct lc_config	*cfg, *whole;
	FILE			*f;
	size_t			 i;

	/*
	 * As root, every @include is refused before libconfig sees it. Not
	 * as root libconfig would follow one, and an input could name
	 * ../../dev/zero: skip those rather than hang.
	 */
	opts.as_root = geteuid() == 0;
	if (!opts.as_root && memmem(data, size, "@include", 8) != NULL)
		return (0);
	make_file();
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	/* In chunks of two jobs, and whole: the same outcome, every time. */
	cfg_chunk_jobs = 2;
	cfg = lc_config_load(path, &opts, &diag);
	cfg_chunk_jobs = 0;
	whole = lc_config_load(path, &opts, &wdiag);
	/* Either a config or at least one error, never both, never none. */
	if ((cfg == NULL) != (diag.nerrors > 0))
		abort();
	if ((cfg == NULL) != (whole == NULL) || diag.nall != wdiag.nall)
		abort();
	for (i = 0; i < diag.nall; i++)
		if (strcmp(diag.all[i], wdiag.all[i]) != 0)
			abort();
	for (i = 0; cfg != NULL && i < cfg->njobs; i++) {
		/* Every job of a valid config is found by its name. */
		if (lc_config_find_job(cfg, cfg->jobs[i].name) != &cfg->jobs[i])
			abort();
		if (i >= whole->njobs || strcmp(cfg->jobs[i].name,
		    whole->jobs[i].name) != 0 ||
		    cfg->jobs[i].src_line != whole->jobs[i].src_line)
			abort();
	}
	if (cfg != NULL && cfg->njobs != whole->njobs)
		abort();
	lc_config_free(cfg);
	lc_config_free(whole);
	lc_config_diag_clear(&diag);
	lc_config_diag_clear(&wdiag);
	return (0);
}
