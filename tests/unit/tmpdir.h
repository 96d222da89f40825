/*
 * A unit test's own temporary directory: made under $TMPDIR (or /tmp) by
 * the group setup, removed with all it holds by the group teardown.
 */
#ifndef LOCKCRON_TEST_TMPDIR_H
#define LOCKCRON_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int
tmpdir_rm_entry(const char *path, const struct stat *sb, int type,
    struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return (remove(path));
}

/* Makes "$TMPDIR/lockcron-TAG.XXXXXX" in dir; 0, or -1. */
static inline int
tmpdir_make(char *dir, size_t len, const char *tag)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/lockcron-%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", tag);
	return (mkdtemp(dir) == NULL ? -1 : 0);
}

/* Removes dir and everything below it. */
static inline int
tmpdir_remove(const char *dir)
{
	return (nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

#endif
