/*
 * Keeping the history's WAL index alive while no connection is open.
 *
 * SQLite's unix VFS takes the first connection to open the "-shm" file
 * while no other holds the read lock on its byte 128 (the "DMS" lock of
 * the WAL-index format) for a restart after a crash: it truncates the index
 * and rebuilds it by reading and checksumming every frame of the WAL, up to
 * the 1,000 pages kept between checkpoints. The daemon opens and closes a
 * connection per wake-up and every supervisor opens its own, so without a
 * holder nearly every open paid that recovery: 0.1 to 1.2 ms, the largest
 * single cost of a run.
 *
 * Every live connection holds that byte read-locked; a holder does the
 * same without a connection, so the next connection takes the index as
 * current, exactly as when another connection is open. The lock is an open
 * file description lock: the holder's own connections (POSIX locks on the
 * same file) neither see it as theirs nor release it when they close their
 * descriptor, and it ends with the process (a crash or reboot leaves the
 * next opener to recover, as SQLite intends). Without OFD locks (Linux
 * before 3.15) or when anything fails, nothing is held and only the speed
 * differs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockcron/history.h"
#include "lockcron/util.h"

/* The DMS byte of the unix VFS's -shm file (walformat.html). */
#define SHM_DMS_BYTE	128

/* True when fd is still the file at path (not deleted or replaced). */
static int
same_file(int fd, const char *path)
{
	struct stat	 a, b;

	return (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_nlink > 0);
}

/* Opens path's -shm and read-locks the DMS byte; -1 when it cannot. */
static int
hold_new(const char *shm)
{
	struct flock	 fl;
	int		 fd;

	fd = open(shm, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return (-1);
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = SHM_DMS_BYTE;
	fl.l_len = 1;
	/* Busy only while a first opener resets the index: next time. */
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
lc_history_hold(const char *path, int fd)
{
	char	*shm;

	xasprintf(&shm, "%s-shm", path);
	if (fd != -1 && !same_file(fd, shm)) {
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		fd = hold_new(shm);
	free(shm);
	return (fd);
}
