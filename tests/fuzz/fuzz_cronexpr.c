/*
 * libFuzzer harness for cronexpr. Each input is a schedule expression. The
 * parser must either accept it or give a one-line message, never both and
 * never crash. When it parses, next() runs from several instants (around
 * DST changes, leap days, far years, and one derived from the input) in UTC
 * and America/New_York, and the answers must hold together:
 *
 * - a fire is strictly after its start;
 * - it is the first fire: next() from one second before it, and from any
 *   instant between the start and it, gives it again;
 * - in UTC, and for fixed-time jobs in any zone, whether an expression
 *   fires at all does not depend on the start, and after a fire comes
 *   another. Not so for wildcard jobs in a DST zone: every minute of 02:xx
 *   on March 9th when it is a Sunday fired in New York until 2003, but
 *   every such day since 2007 is the spring-forward day, when 02:xx does
 *   not exist (found by this harness, from a wrong first version of it);
 * - what never fires in UTC (no such date) never fires in any zone.
 *
 * Build: ./configure CC=clang --enable-fuzz && make fuzz
 * Run:   tests/fuzz/fuzz_cronexpr -dict=tests/fuzz/cronexpr.dict CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockcron/cronexpr.h"
#include "lockcron/tz.h"

#define NZONES	2

static struct lc_tz	*zones[NZONES];

static const int64_t starts[] = {
	0,
	-1,
	951782399,		/* 2000-02-28T23:59:59Z */
	1552201199,		/* New York springs forward one second later */
	1572757199,		/* 2019-11-03T01:59:59-04:00 */
	1572760799,		/* New York falls back one second later */
	1572760800 + 1800,	/* inside the repeated hour, second pass */
	4107542399,		/* 2100-02-28T23:59:59Z */
	253402300799,		/* 9999-12-31T23:59:59Z */
	-2208988800,		/* 1900-01-01T00:00:00Z */
	(int64_t)1 << 54,	/* about 570 million years from now */
	-((int64_t)1 << 55) + 1,
};
#define NSTARTS	(sizeof starts / sizeof starts[0])

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char	*names[NZONES] = { "UTC", "America/New_York" };
	char			*cause = NULL;
	int			 i;

	for (i = 0; i < NZONES; i++) {
		if ((zones[i] = lc_tz_load(names[i], &cause)) == NULL) {
			fprintf(stderr, "fuzz_cronexpr: %s\n", cause);
			abort();
		}
	}
	return (0);
}

/* An instant from the input's bytes (FNV-1a), in 1970 to about 2242. */
static int64_t
input_instant(const uint8_t *data, size_t size)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return ((int64_t)(h % ((uint64_t)1 << 33)));
}

/*
 * Checks the answer of next() from `start`; returns its status. `steady`:
 * a fire must be followed by another.
 */
static int
check_from(const struct lc_cronexpr *e, const struct lc_tz *tz,
    int64_t start, int steady)
{
	int64_t	 next, again, mid;
	int	 r;

	if (lc_cronexpr_next(e, tz, start, &next) != 0)
		return (-1);
	if (next <= start)
		abort();		/* not after the start */
	if (lc_cronexpr_next(e, tz, next - 1, &again) != 0 || again != next)
		abort();		/* not the first fire */
	mid = start + (next - start) / 2;
	if (lc_cronexpr_next(e, tz, mid, &again) != 0 || again != next)
		abort();		/* a later start sees another fire */
	r = lc_cronexpr_next(e, tz, next, &again);
	if (r == 0 && again <= next)
		abort();		/* the fire after is not after */
	if (steady && r != 0)
		abort();		/* a firing expression stopped firing */
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_cronexpr	*e;
	char			*text, *cause = NULL;
	size_t			 i;
	int			 z, steady, first, r, utc_fires = 0;

	text = malloc(size + 1);
	if (text == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	e = lc_cronexpr_parse(text, &cause);
	if (e == NULL) {
		/* A refusal always explains itself, on one line. */
		if (cause == NULL || *cause == '\0' || strchr(cause, '\n'))
			abort();
		free(cause);
		free(text);
		return (0);
	}
	/* The text is kept as given (@reboot alone is trimmed). */
	if (cause != NULL || (strcmp(lc_cronexpr_text(e), text) != 0 &&
	    !lc_cronexpr_is_reboot(e)))
		abort();
	/* zones[0] is UTC, checked first. */
	for (z = 0; z < NZONES; z++) {
		steady = z == 0 || !lc_cronexpr_is_wildcard(e);
		first = check_from(e, zones[z], input_instant(data, size),
		    steady);
		if (z == 0)
			utc_fires = first == 0;
		for (i = 0; i < NSTARTS; i++) {
			r = check_from(e, zones[z], starts[i], steady);
			if (steady && r != first)
				abort();	/* fires from some starts only */
			if (r == 0 && !utc_fires)
				abort();	/* fires on no date, but fires */
		}
		if ((lc_cronexpr_is_reboot(e) || !utc_fires) && first != -1)
			abort();
	}
	lc_cronexpr_free(e);
	free(text);
	return (0);
}
