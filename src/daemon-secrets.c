/*
 * Secret files left behind. A supervisor removes its run's directory,
 * runtime_dir/secrets/RUN_ID, before it records the run's end; one that
 * died first (killed, or the machine stopped) leaves it there. The daemon
 * removes those: a lost run's as soon as it finds the run lost, and at
 * start, after reconciliation, every one whose run is no longer queued or
 * running. It never opens a file in them, and never follows a symlink.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-int.h"
#include "lockcron/log.h"
#include "lockcron/secret.h"
#include "lockcron/util.h"

/* A run id as lc_uuid_v4() writes it: 8-4-4-4-12 lower-case hex digits. */
static int
is_run_id(const char *s)
{
	size_t	 i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	}
	return (s[36] == '\0');
}

/* Removes what run_id left in runtime_dir/secrets, if anything. */
void
secrets_remove(struct lc_daemon *d, const char *run_id)
{
	struct stat	 sb;
	char		*dir, *cause = NULL;

	dir = lc_secret_dir_path(d->cfg->runtime_dir, run_id);
	if (lstat(dir, &sb) != 0) {
		free(dir);
		return;		/* the usual case: nothing was left */
	}
	if (lc_secret_dir_remove(dir, &cause) != 0) {
		log_error("run=%s: cannot remove the secrets it left: %s",
		    run_id, cause);
		free(cause);
	} else
		log_notice("run=%s: removed the secrets it left in %s", run_id,
		    dir);
	free(dir);
}

/* The directories in parent named by a run id; warns about the rest. */
static char **
list_run_dirs(const char *parent, size_t *n)
{
	struct dirent	 *de;
	struct stat	  sb;
	DIR		 *dir;
	char		**names = NULL;

	*n = 0;
	if ((dir = opendir(parent)) == NULL) {
		if (errno != ENOENT)
			log_warn("%s: %s", parent, strerror(errno));
		return (NULL);
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (!is_run_id(de->d_name)) {
			log_warn("%s/%s: not a run id; left alone", parent,
			    de->d_name);
			continue;
		}
		if (fstatat(dirfd(dir), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode)) {
			log_warn("%s/%s: not a directory; left alone", parent,
			    de->d_name);
			continue;
		}
		names = xreallocarray(names, *n + 1, sizeof *names);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dir);
	return (names);
}

/*
 * At start, after reconciliation: removes the secrets of every run that is
 * no longer queued or running. The directory is listed before the history
 * is read: a run's row says "running" before its directory is made, so a
 * run that is live while we look is never taken for one that is over.
 */
void
secrets_clean(struct lc_daemon *d, struct lc_history *h)
{
	struct lc_history_filter	 f;
	struct lc_run			*live = NULL;
	char				**names, *parent, *cause = NULL;
	size_t				  n, nlive = 0, i, j;

	xasprintf(&parent, "%s/secrets", d->cfg->runtime_dir);
	names = list_run_dirs(parent, &n);
	free(parent);
	if (n == 0)
		return;
	lc_history_filter_init(&f);
	f.statuses = LC_RUN_MASK(LC_RUN_QUEUED) | LC_RUN_MASK(LC_RUN_RUNNING);
	if (lc_history_list(h, &f, &live, &nlive, &cause) != 0) {
		log_error("secrets left by earlier runs are kept: %s", cause);
		free(cause);
	} else {
		for (i = 0; i < n; i++) {
			for (j = 0; j < nlive; j++)
				if (strcmp(live[j].id, names[i]) == 0)
					break;
			if (j == nlive)
				secrets_remove(d, names[i]);
		}
		lc_history_runs_free(live, nlive);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
