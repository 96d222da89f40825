/*
 * Unit tests for secret: protected memory (locked, left out of dumps,
 * zeroed on free), the set and its VAR=value pairs, the streaming masker
 * (every chunking, overlaps, short values), and the secret files.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lockcron/secret.h"

/* ------------------------------------------------------------------ */
/* protected memory */

#define MAX_FREED	64

static struct {
	uintptr_t	 base;
	size_t		 len;
	int		 zero;
} freed[MAX_FREED];
static int	 nfreed;

static void
free_hook(const void *p, size_t len)
{
	const unsigned char	*c = p;
	size_t			 i;
	int			 zero = 1;

	for (i = 0; i < len; i++) {
		if (c[i] != 0)
			zero = 0;
	}
	if (nfreed < MAX_FREED) {
		freed[nfreed].base = (uintptr_t)p;
		freed[nfreed].len = len;
		freed[nfreed++].zero = zero;
	}
}

/* The mapping that held p was zeroed before it was unmapped. */
static void
assert_freed_zero(const void *p)
{
	uintptr_t	 a = (uintptr_t)p;
	int		 i;

	for (i = 0; i < nfreed; i++) {
		if (a >= freed[i].base && a < freed[i].base + freed[i].len) {
			assert_true(freed[i].zero);
			return;
		}
	}
	fail_msg("%p was not freed through lc_secure_free", p);
}

/* The VmFlags of the mapping holding p, from /proc/self/smaps. */
static int
vm_flags(const void *p, char *out, size_t size)
{
	FILE		*f;
	char		 line[512];
	unsigned long	 lo, hi, a = (unsigned long)(uintptr_t)p;
	size_t		 n;
	int		 in = 0;

	if ((f = fopen("/proc/self/smaps", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			n = strlen(line + 8);
			if (n >= size)
				n = size - 1;
			memcpy(out, line + 8, n);
			out[n] = '\0';
			fclose(f);
			return (0);
		}
	}
	fclose(f);
	return (-1);
}

static void
test_secure_memory(void **state)
{
	struct rlimit	 rl;
	unsigned char	*p;
	char		 flags[256];
	size_t		 i;

	p = lc_secure_alloc(10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(p[i], 0);
	memset(p, 'x', 10000);
	assert_int_equal(vm_flags(p, flags, sizeof flags), 0);
	assert_non_null(strstr(flags, " dd"));		/* MADV_DONTDUMP */
	getrlimit(RLIMIT_MEMLOCK, &rl);
#ifndef __SANITIZE_ADDRESS__	/* ASan turns mlock into a no-op */
	if (geteuid() == 0 || rl.rlim_cur >= 1024 * 1024)
		assert_non_null(strstr(flags, " lo"));	/* mlock'ed */
#endif

	p = lc_secure_realloc(p, 50000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(p[i], 'x');
	nfreed = 0;
	lc_secure_set_free_hook(free_hook);
	lc_secure_free(p);
	lc_secure_set_free_hook(NULL);
	assert_int_equal(nfreed, 1);
	assert_freed_zero(p);
	assert_true(freed[0].len >= 50000);
	lc_secure_free(NULL);
}

static void
test_set(void **state)
{
	struct lc_secret_set	*set;
	const char		*v, *keep[3];
	char			 big[9000];
	size_t			 len;

	set = lc_secret_set_new();
	lc_secret_set_add(set, "a", "alpha-value", 11);
	lc_secret_set_add(set, "b", "with\0nul", 8);
	memset(big, 'z', sizeof big);
	lc_secret_set_add(set, "big", big, sizeof big);	/* own chunk */
	lc_secret_set_add(set, "a", "replaced", 8);
	assert_int_equal(lc_secret_set_count(set), 3);
	assert_string_equal(lc_secret_set_key(set, 0), "a");
	assert_null(lc_secret_set_key(set, 3));
	v = lc_secret_set_get(set, "a", &len);
	assert_string_equal(v, "replaced");
	assert_int_equal(len, 8);
	v = lc_secret_set_get(set, "b", &len);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "with\0nul", 8);
	assert_null(lc_secret_set_get(set, "nope", NULL));
	keep[0] = lc_secret_set_get(set, "a", NULL);
	keep[1] = lc_secret_set_get(set, "b", NULL);
	keep[2] = lc_secret_set_get(set, "big", NULL);

	/* every value is zeroed before its memory goes back */
	nfreed = 0;
	lc_secure_set_free_hook(free_hook);
	lc_secret_set_free(set);
	lc_secure_set_free_hook(NULL);
	assert_true(nfreed >= 2);
	assert_freed_zero(keep[0]);
	assert_freed_zero(keep[1]);
	assert_freed_zero(keep[2]);
	lc_secret_set_free(NULL);
}

static void
test_env(void **state)
{
	struct lc_secret_env	 env[] = {
		{ (char *)"DB_HOST", (char *)"host" },
		{ (char *)"DB_PASSWORD", (char *)"pw" },
		{ (char *)"EMPTY", (char *)"empty" },
	};
	struct lc_job_secrets	 js = { NULL, NULL, env, 3, NULL, 0 };
	struct lc_secret_set	*set;
	char *const		*e;
	char			*cause = NULL;

	set = lc_secret_set_new();
	lc_secret_set_add(set, "host", "db.example", 10);
	lc_secret_set_add(set, "pw", "p=a=s=s", 7);
	lc_secret_set_add(set, "empty", "", 0);
	e = lc_secret_set_env(set, &js, &cause);
	assert_non_null(e);
	assert_string_equal(e[0], "DB_HOST=db.example");
	assert_string_equal(e[1], "DB_PASSWORD=p=a=s=s");
	assert_string_equal(e[2], "EMPTY=");
	assert_null(e[3]);

	env[1].key = (char *)"missing";
	assert_null(lc_secret_set_env(set, &js, &cause));
	assert_non_null(strstr(cause, "\"missing\" (for DB_PASSWORD)"));
	free(cause);

	lc_secret_set_add(set, "nul", "ab\0cd", 5);
	env[1].key = (char *)"nul";
	assert_null(lc_secret_set_env(set, &js, &cause));
	assert_non_null(strstr(cause, "NUL"));
	assert_null(strstr(cause, "ab"));
	free(cause);
	lc_secret_set_free(set);
}

/* In a child: the process becomes non-dumpable. */
static void
test_protect_process(void **state)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0) {
		if (lc_secret_protect_process(NULL) != 0)
			_exit(1);
		_exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------ */
/* the masker */

static struct lc_masker *
masker_of(const char **values, size_t n)
{
	struct lc_secret_set	*set;
	struct lc_masker	*m;
	char			 key[16];
	size_t			 i;

	set = lc_secret_set_new();
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		lc_secret_set_add(set, key, values[i], strlen(values[i]));
	}
	m = lc_masker_new(set);
	lc_secret_set_free(set);	/* the masker keeps its own copy */
	return (m);
}

/* Feeds text cut at the given offsets; returns the masked stream. */
static char *
mask_cuts(struct lc_masker *m, const char *text, const size_t *cuts,
    size_t ncuts)
{
	struct lc_buf	 out = { 0 };
	size_t		 len = strlen(text), at = 0, i, end;

	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		lc_masker_feed(m, text + at, end - at, &out);
		assert_true(lc_masker_pending(m) < 64);
		at = end;
	}
	lc_masker_flush(m, &out);
	assert_int_equal(lc_masker_pending(m), 0);
	if (out.data == NULL)
		return (xstrdup(""));
	return (lc_buf_steal(&out));
}

/* text masks to want in one piece, in two at every offset, in three at
 * every pair of offsets, and one byte at a time. */
static void
check_mask(struct lc_masker *m, const char *text, const char *want)
{
	size_t	 len = strlen(text), cuts[2], i, j, *bytes;
	char	*got;

	got = mask_cuts(m, text, NULL, 0);
	assert_string_equal(got, want);
	free(got);
	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		got = mask_cuts(m, text, cuts, 1);
		if (strcmp(got, want) != 0)
			fail_msg("cut at %zu: \"%s\" != \"%s\"", i, got, want);
		free(got);
		for (j = i; j <= len; j++) {
			cuts[1] = j;
			got = mask_cuts(m, text, cuts, 2);
			if (strcmp(got, want) != 0)
				fail_msg("cuts at %zu,%zu: \"%s\"", i, j, got);
			free(got);
		}
	}
	bytes = xreallocarray(NULL, len + 1, sizeof *bytes);
	for (i = 0; i < len; i++)
		bytes[i] = i;
	got = mask_cuts(m, text, bytes, len);
	assert_string_equal(got, want);
	free(got);
	free(bytes);
}

static void
test_mask_basic(void **state)
{
	const char		*v[] = { "S3cr3t-Pa55w0rd!", "db.example", "123" };
	struct lc_masker	*m;

	m = masker_of(v, 3);
	check_mask(m, "connecting to db.example with S3cr3t-Pa55w0rd! ok\n",
	    "connecting to **** with **** ok\n");
	check_mask(m, "S3cr3t-Pa55w0rd!S3cr3t-Pa55w0rd!", "********");
	check_mask(m, "S3cr3t-Pa55w0rd", "S3cr3t-Pa55w0rd");	/* prefix */
	check_mask(m, "pin 123 stays", "pin 123 stays");	/* < 4 bytes */
	check_mask(m, "", "");
	check_mask(m, "nothing secret here", "nothing secret here");
	check_mask(m, "SS3cr3t-Pa55w0rd!!", "S****!");
	lc_masker_free(m);
}

static void
test_mask_overlap(void **state)
{
	const char		*v[] = { "abcdef12", "ef12ghij", "pass",
	    "password", "xyzw", "xyzwxyzw" };
	struct lc_masker	*m;

	m = masker_of(v, 6);
	/* overlapping values: one span, no fragment left */
	check_mask(m, "<abcdef12ghij>", "<****>");
	/* nested and prefix-sharing values */
	check_mask(m, "my password1", "my ****1");
	check_mask(m, "my pass1", "my ****1");
	check_mask(m, "passwor", "****wor");
	check_mask(m, "xyzwxyzwxyzw", "****");
	check_mask(m, "abcdef1", "abcdef1");
	lc_masker_free(m);
}

static void
test_mask_short_and_dupes(void **state)
{
	const char		*v[] = { "abc", "", "x", "same", "same" };
	struct lc_masker	*m;
	struct lc_buf		 out = { 0 };

	/* nothing of 4+ bytes but "same": short values pass through */
	m = masker_of(v, 3);
	lc_masker_feed(m, "abc x", 5, &out);
	assert_int_equal(lc_masker_pending(m), 0);
	lc_masker_flush(m, &out);
	assert_string_equal(out.data, "abc x");
	lc_buf_free(&out);
	lc_masker_free(m);

	m = masker_of(v, 5);
	check_mask(m, "abc same x samesame", "abc **** x ********");
	lc_masker_free(m);
	lc_masker_free(NULL);
}

/* Naive whole-stream reference for the streaming masker. */
static char *
mask_reference(const char **v, size_t nv, const char *text)
{
	struct lc_buf	 out = { 0 };
	size_t		 len = strlen(text), i, k, best, end = 0, vl;

	for (i = 0; i < len; i++) {
		best = 0;
		for (k = 0; k < nv; k++) {
			vl = strlen(v[k]);
			if (vl >= 4 && vl <= len - i && vl > best &&
			    memcmp(text + i, v[k], vl) == 0)
				best = vl;
		}
		if (best > 0 && i >= end)
			lc_buf_addstr(&out, "****");
		if (i + best > end)
			end = i + best;
		if (i >= end)
			lc_buf_add(&out, text + i, 1);
	}
	return (out.data != NULL ? lc_buf_steal(&out) : xstrdup(""));
}

/* Random texts over a small alphabet with random chunkings. */
static void
test_mask_random(void **state)
{
	const char		*v[] = { "abab", "babba", "aabbaab", "bbbb" };
	struct lc_masker	*m;
	struct lc_buf		 out;
	char			 text[200], *want;
	size_t			 i, len, at, n;
	int			 round;

	srandom(42);
	m = masker_of(v, 4);
	for (round = 0; round < 2000; round++) {
		len = (size_t)(random() % (sizeof text - 1));
		for (i = 0; i < len; i++)
			text[i] = "ab"[random() % 2];
		text[len] = '\0';
		want = mask_reference(v, 4, text);
		memset(&out, 0, sizeof out);
		for (at = 0; at < len; at += n) {
			n = 1 + (size_t)(random() % 9);
			if (n > len - at)
				n = len - at;
			lc_masker_feed(m, text + at, n, &out);
		}
		lc_masker_flush(m, &out);
		if (strcmp(out.data != NULL ? out.data : "", want) != 0)
			fail_msg("\"%s\": \"%s\" != \"%s\"", text, out.data,
			    want);
		lc_buf_free(&out);
		free(want);
	}
	lc_masker_free(m);
}

/* ------------------------------------------------------------------ */
/* secret files */

static char	 rundir[PATH_MAX];

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return (0);
}

static int
setup(void **state)
{
	snprintf(rundir, sizeof rundir, "%s/lcsecret.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return (mkdtemp(rundir) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	nftw(rundir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return (0);
}

static void
assert_file(const char *path, const char *content, mode_t mode, uid_t uid,
    gid_t gid)
{
	struct stat	 sb;
	char		 buf[256];
	ssize_t		 n;
	int		 fd;

	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, mode);
	assert_int_equal(sb.st_uid, uid);
	assert_int_equal(sb.st_gid, gid);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

static void
test_files(void **state)
{
	struct lc_secret_file	 files[] = {
		{ (char *)".pgpass", (char *)"pgpass", 0 },
		{ (char *)"api.key", (char *)"api", 0440 },
	};
	struct lc_job_secrets	 js = { NULL, NULL, NULL, 0, files, 2 };
	struct lc_secret_set	*set;
	struct stat		 sb;
	char			*dir, *cause = NULL, path[PATH_MAX + 32];
	uid_t			 uid = geteuid();
	gid_t			 gid = getegid();

	if (uid == 0) {
		uid = 65534;	/* root gives the files to the job's user */
		gid = 65534;
	}
	set = lc_secret_set_new();
	lc_secret_set_add(set, "pgpass", "db:5432:*:etl:pw-1234", 21);
	lc_secret_set_add(set, "api", "ak_0123456789", 13);

	dir = lc_secret_dir_path(rundir, "0b7e-run-id");
	snprintf(path, sizeof path, "%s/secrets/0b7e-run-id", rundir);
	assert_string_equal(dir, path);
	if (lc_secret_files_write(set, &js, dir, uid, gid, &cause) != 0)
		fail_msg("%s", cause);

	snprintf(path, sizeof path, "%s/secrets", rundir);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0711);
	assert_int_equal(lstat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(sb.st_uid, uid);
	assert_int_equal(sb.st_gid, gid);
	snprintf(path, sizeof path, "%s/.pgpass", dir);
	assert_file(path, "db:5432:*:etl:pw-1234", 0400, uid, gid);
	snprintf(path, sizeof path, "%s/api.key", dir);
	assert_file(path, "ak_0123456789", 0440, uid, gid);

	/* a second run with the same id does not reuse the directory */
	assert_int_equal(lc_secret_files_write(set, &js, dir, uid, gid,
	    &cause), -1);
	assert_non_null(strstr(cause, "File exists"));
	free(cause);

	assert_int_equal(lc_secret_dir_remove(dir, NULL), 0);
	assert_int_equal(lstat(dir, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(lc_secret_dir_remove(dir, NULL), 0);	/* gone */
	free(dir);
	lc_secret_set_free(set);
}

/* Whatever the job left in its directory goes; symlinks are not followed. */
static void
test_files_remove_junk(void **state)
{
	struct lc_job_secrets	 js = { NULL, NULL, NULL, 0, NULL, 0 };
	struct lc_secret_set	*set;
	struct stat		 sb;
	char			*dir, outside[PATH_MAX + 16], p[PATH_MAX + 64];
	int			 fd;

	set = lc_secret_set_new();
	dir = lc_secret_dir_path(rundir, "junk-run");
	assert_int_equal(lc_secret_files_write(set, &js, dir, geteuid(),
	    getegid(), NULL), 0);
	snprintf(outside, sizeof outside, "%s/keep-me", rundir);
	fd = open(outside, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	close(fd);
	snprintf(p, sizeof p, "%s/sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/sub/deeper", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/sub/deeper/f", dir);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	snprintf(p, sizeof p, "%s/link", dir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof p, "%s/dirlink", dir);
	assert_int_equal(symlink(rundir, p), 0);

	assert_int_equal(lc_secret_dir_remove(dir, NULL), 0);
	assert_int_equal(lstat(dir, &sb), -1);
	assert_int_equal(lstat(outside, &sb), 0);	/* target untouched */
	unlink(outside);
	free(dir);
	lc_secret_set_free(set);
}

/*
 * In the child: as a non-root user (nobody when we are root, since root
 * ignores modes), makes a secrets directory the job then locked (0500,
 * with a 0500 subdirectory) and removes it. Exits 0 when it is gone.
 */
static void __attribute__((noreturn))
locked_child(void)
{
	struct lc_job_secrets	 js = { NULL, NULL, NULL, 0, NULL, 0 };
	struct lc_secret_set	*set;
	struct stat		 sb;
	char			 tmp[] = "/tmp/lcsec-locked.XXXXXX";
	char			*dir, p[PATH_MAX];
	char			*cause = NULL;
	int			 fd, ok;

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		_exit(2);
	if (mkdtemp(tmp) == NULL)
		_exit(3);
	set = lc_secret_set_new();
	dir = lc_secret_dir_path(tmp, "locked-run");
	if (lc_secret_files_write(set, &js, dir, geteuid(), getegid(),
	    NULL) != 0)
		_exit(4);
	snprintf(p, sizeof p, "%s/sub", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/sub/f", dir);
	if ((fd = open(p, O_WRONLY | O_CREAT, 0400)) != -1)
		close(fd);
	snprintf(p, sizeof p, "%s/sub", dir);
	chmod(p, 0);
	chmod(dir, 0500);
	if (lc_secret_dir_remove(dir, &cause) != 0)
		fprintf(stderr, "# %s\n", cause);
	ok = lstat(dir, &sb) == -1 && errno == ENOENT;
	snprintf(p, sizeof p, "%s/secrets", tmp);
	rmdir(p);
	rmdir(tmp);
	_exit(ok ? 0 : 1);
}

/* A job may take the write bit off its own directory: it still goes. */
static void
test_files_remove_locked(void **state)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0)
		locked_child();
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A failure half-way leaves nothing behind. */
static void
test_files_fail(void **state)
{
	struct lc_secret_file	 files[] = {
		{ (char *)"ok", (char *)"k", 0400 },
		{ (char *)"bad", (char *)"missing", 0400 },
	};
	struct lc_job_secrets	 js = { NULL, NULL, NULL, 0, files, 2 };
	struct lc_secret_set	*set;
	struct stat		 sb;
	char			*dir, *cause = NULL, parent[PATH_MAX + 16];

	set = lc_secret_set_new();
	lc_secret_set_add(set, "k", "value-1", 7);
	dir = lc_secret_dir_path(rundir, "fail-run");
	assert_int_equal(lc_secret_files_write(set, &js, dir, geteuid(),
	    getegid(), &cause), -1);
	assert_non_null(strstr(cause, "\"missing\" (for file bad)"));
	free(cause);
	assert_int_equal(lstat(dir, &sb), -1);

	files[1].key = (char *)"k";
	files[1].name = (char *)"../escape";
	assert_int_equal(lc_secret_files_write(set, &js, dir, geteuid(),
	    getegid(), &cause), -1);
	assert_non_null(strstr(cause, "invalid secret file name"));
	free(cause);
	assert_int_equal(lstat(dir, &sb), -1);

	/* a parent others may write to is refused */
	snprintf(parent, sizeof parent, "%s/secrets", rundir);
	assert_int_equal(chmod(parent, 0777), 0);
	files[1].name = (char *)"fine";
	assert_int_equal(lc_secret_files_write(set, &js, dir, geteuid(),
	    getegid(), &cause), -1);
	assert_non_null(strstr(cause, "writable by no one else"));
	free(cause);
	assert_int_equal(chmod(parent, 0711), 0);
	free(dir);
	lc_secret_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secure_memory),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_protect_process),
		cmocka_unit_test(test_mask_basic),
		cmocka_unit_test(test_mask_overlap),
		cmocka_unit_test(test_mask_short_and_dupes),
		cmocka_unit_test(test_mask_random),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_files_remove_junk),
		cmocka_unit_test(test_files_remove_locked),
		cmocka_unit_test(test_files_fail),
	};

	return (cmocka_run_group_tests_name("secret", tests, setup, teardown));
}
