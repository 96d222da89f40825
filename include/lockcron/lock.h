/*
 * The claim step: a run's exclusive right to start. On one host it is a
 * flock(2) lock on a file in lock_dir, interoperable with flock(1) on the
 * same file. The API is deliberately narrow - acquire and release on an
 * opaque handle - so that a fleet backend (an etcd lease) can become a
 * second implementation without the supervisor changing.
 */
#ifndef LOCKCRON_LOCK_H
#define LOCKCRON_LOCK_H

#include <stdint.h>
#include <sys/types.h>

enum lc_lock_result {
	LC_LOCK_ACQUIRED = 0,	/* the run may start */
	LC_LOCK_BUSY,		/* held elsewhere (after waiting, if asked) */
	LC_LOCK_INTERRUPTED,	/* a caller's signal ended the wait */
	LC_LOCK_ERROR		/* could not even try: *cause says why */
};

struct lc_lock;

/*
 * The default lock directory: /var/lib/lockcron/locks as root, else
 * $XDG_STATE_HOME/lockcron/locks (default ~/.local/state/lockcron/locks).
 * Allocated; NULL when there is no home to put it in.
 */
char			*lc_lock_default_dir(int as_root);

/*
 * A lock on path (absolute). The file, once open, must be a regular file
 * owned by root or by uid (the job's user). No I/O happens here.
 */
struct lc_lock		*lc_lock_new(const char *path, uid_t uid);
void			 lc_lock_free(struct lc_lock *);

/*
 * Takes the lock. wait_s == 0: one try. wait_s > 0: wait up to that many
 * seconds (blocked in the kernel, no polling; uses SIGALRM through a
 * private POSIX timer for the duration of the call and restores the
 * previous SIGALRM action and signal mask afterwards). The first call opens
 * the file: missing, it is created (mode 0644, never unlinked later), and
 * missing parent directories are created only for the default directory.
 * Acquiring a lock already held by this handle returns LC_LOCK_ACQUIRED.
 * A signal whose handler the caller installed without SA_RESTART (say, to
 * cancel the run) ends the wait with LC_LOCK_INTERRUPTED.
 */
enum lc_lock_result	 lc_lock_acquire(struct lc_lock *, int64_t wait_s,
			     char **cause);

/*
 * Creates the lock file at path when nothing is there yet, as
 * lc_lock_acquire would (mode 0644, missing parent directories only for
 * the default directory), without taking the lock: for a daemon loading
 * its jobs, so that their first runs find it. Whatever is already there is
 * left for lc_lock_acquire to judge. -1 with *cause when it cannot be
 * created.
 */
int			 lc_lock_prepare(const char *path, char **cause);

/*
 * Gives up this handle's share of the lock by closing its descriptor; the
 * lock itself is freed when the last process sharing it (the job, which
 * inherits the descriptor) is gone. Idempotent.
 */
void			 lc_lock_release(struct lc_lock *);

/*
 * The descriptor a job must inherit to keep the lock while any process of
 * the run lives, or -1 when not held (or the backend has no descriptor).
 * It is O_CLOEXEC: clear that in the job's child only.
 */
int			 lc_lock_fd(const struct lc_lock *);
const char		*lc_lock_path(const struct lc_lock *);

#endif
