/*
 * Internals shared by proc.c (the parent's side of a run) and
 * proc-launch.c (what is prepared before fork() and what the child does).
 * Not part of the public API.
 */
#ifndef LOCKCRON_PROC_INT_H
#define LOCKCRON_PROC_INT_H

#include <sys/types.h>

#include "lockcron/proc.h"
#include "lockcron/util.h"

/* Who the job runs as, resolved in the parent. */
struct proc_ident {
	char	*name;
	char	*home;
	uid_t	 uid;
	gid_t	 gid;
	gid_t	*groups;
	int	 ngroups;
	int	 change;		/* we are root: set groups, gid, uid */
};

/* What the child reports when it cannot exec. */
struct proc_child_err {
	int	 err;
	char	 stage[16];
};

/* Everything the child needs, prepared before fork(). */
struct proc_launch {
	struct proc_ident	  id;
	char			**argv;
	char			**paths;	/* exec candidates, in order */
	char			**envp;
	char			**owned;	/* envp strings we allocated */
	size_t			  nowned;
	const char		 *workdir;
	const struct lc_proc_spec *spec;
	int			  in_rd;	/* the child's ends */
	int			  out_wr;
	int			  err_wr;
	int			  errpipe_wr;
};

/* Closes *fd if open and marks it closed. */
void	proc_close_fd(int *);
/* Records a launch error (text, errno, stage) in the result. */
void	proc_launch_error(struct lc_proc_result *, const char *stage, int err,
	    const char *fmt, ...) LC_PRINTF(4, 5);
/* Resolves user and group; -1 is a launch error in the result. */
int	proc_ident_load(const char *user, const char *group,
	    struct proc_ident *, struct lc_proc_result *);
void	proc_ident_clear(struct proc_ident *);
/* Builds argv, environment and exec candidates; -1 is a launch error. */
int	proc_launch_prepare(struct proc_launch *, struct lc_proc_result *);
void	proc_launch_free(struct proc_launch *);
/* The job's child after fork(): never returns. */
void	proc_child_main(const struct proc_launch *) __attribute__((noreturn));
/* Turns what the child reported into the launch error's text. */
void	proc_child_error(const struct proc_launch *,
	    const struct proc_child_err *, struct lc_proc_result *);

#endif
