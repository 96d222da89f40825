/*
 * What the history needs from the system to tell runs and processes
 * apart: random run ids, the kernel's boot id, and a process's start time,
 * which with its pid names one process even after the pid is reused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/util.h"

#define BOOT_ID_PATH	"/proc/sys/kernel/random/boot_id"

static char	*boot_id_path;	/* NULL: BOOT_ID_PATH */

int
lc_uuid_v4(char buf[LC_UUID_BUFSZ])
{
	unsigned char	 b[16];
	ssize_t		 n;

	while ((n = getrandom(b, sizeof b, 0)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof b) {
		if (n >= 0)
			errno = EIO;
		return (-1);
	}
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10 */
	snprintf(buf, LC_UUID_BUFSZ, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	return (0);
}

/* Reads up to len - 1 bytes of a small file; returns the length or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return (-1);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return ((ssize_t)got);
}

void
lc_boot_id_set_path(const char *path)
{
	free(boot_id_path);
	boot_id_path = path != NULL ? xstrdup(path) : NULL;
}

int
lc_boot_id(char buf[LC_UUID_BUFSZ])
{
	char	 line[128];
	size_t	 len;

	if (read_small(boot_id_path != NULL ? boot_id_path : BOOT_ID_PATH,
	    line, sizeof line) == -1)
		return (-1);
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (len != LC_UUID_BUFSZ - 1 ||
	    strspn(line, "0123456789abcdef-") != len) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(buf, line, LC_UUID_BUFSZ);
	return (0);
}

/*
 * Field 22 (starttime) of /proc/PID/stat. The second field, the command
 * name in parentheses, may itself contain spaces and ')', so fields are
 * counted from the last ')'.
 */
int64_t
lc_proc_start_time(pid_t pid)
{
	char		 path[64], buf[4096], *p, *end;
	long long	 v;
	int		 field;

	if (pid <= 0) {
		errno = ESRCH;
		return (-1);
	}
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (read_small(path, buf, sizeof buf) == -1) {
		if (errno == ENOENT)
			errno = ESRCH;
		return (-1);
	}
	if ((p = strrchr(buf, ')')) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	p++;
	/* A zombie (or dead) process has exited: nothing of it runs any more,
	 * whoever has not reaped it yet. */
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'X') {
		errno = ESRCH;
		return (-1);
	}
	for (field = 2; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (field < 21)
			p += strcspn(p, " ");
		if (*p == '\0') {
			errno = EINVAL;
			return (-1);
		}
	}
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno != 0 || end == p || v < 0) {
		errno = EINVAL;
		return (-1);
	}
	return ((int64_t)v);
}
