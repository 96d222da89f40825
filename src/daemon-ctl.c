/*
 * Control requests: reload, run, cancel, pause, resume and status, one JSON
 * object per connection. Who may ask is decided by SO_PEERCRED: root and
 * the daemon's own user may do anything; a job's own user may run, cancel,
 * pause and resume that job.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-int.h"
#include "lockcron/ctl.h"
#include "lockcron/log.h"
#include "lockcron/util.h"

static json_t *
reply_error(const char *msg)
{
	return (json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static int
privileged(uid_t uid)
{
	return (uid == 0 || uid == geteuid());
}

/* The job named by req's "job", if uid may act on it; else a reply. */
static const struct lc_job *
req_job(struct lc_daemon *d, json_t *req, uid_t uid, json_t **reply)
{
	const struct lc_job	*job;
	const char		*name;
	struct passwd		*pw;
	char			*msg;

	name = json_string_value(json_object_get(req, "job"));
	if (name == NULL) {
		*reply = reply_error("missing \"job\"");
		return (NULL);
	}
	if ((job = lc_config_find_job(d->cfg, name)) == NULL) {
		xasprintf(&msg, "no job \"%s\" in %s", name,
		    d->opts->config_path);
		*reply = reply_error(msg);
		free(msg);
		return (NULL);
	}
	if (!privileged(uid) && (job->user == NULL ||
	    (pw = getpwnam(job->user)) == NULL || pw->pw_uid != uid)) {
		*reply = reply_error("permission denied");
		return (NULL);
	}
	return (job);
}

static json_t *
do_reload(struct lc_daemon *d, uid_t uid)
{
	json_t	*errors;

	if (!privileged(uid))
		return (reply_error("permission denied"));
	errors = json_array();
	if (daemon_reload(d, errors) != 0)
		return (json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
		    "the new configuration has errors; the old one stays",
		    "errors", errors));
	json_decref(errors);
	return (json_pack("{s:b, s:I}", "ok", 1, "jobs",
	    (json_int_t)d->cfg->njobs));
}

static json_t *
do_run(struct lc_daemon *d, json_t *req, uid_t uid)
{
	const struct lc_job	*job;
	json_t			*reply = NULL;
	char			 id[LC_UUID_BUFSZ], *cause = NULL;

	if ((job = req_job(d, req, uid, &reply)) == NULL)
		return (reply);
	if (runs_manual(d, job, id, &cause) != 0) {
		reply = reply_error(cause);
		free(cause);
		return (reply);
	}
	return (json_pack("{s:b, s:s}", "ok", 1, "run_id", id));
}

static json_t *
do_cancel(struct lc_daemon *d, json_t *req, uid_t uid)
{
	const char	*run = json_string_value(json_object_get(req, "run"));
	json_t		*reply;
	char		*cause = NULL;

	if (run == NULL)
		return (reply_error("missing \"run\""));
	if (runs_cancel(d, run, uid, &cause) != 0) {
		reply = reply_error(cause);
		free(cause);
		return (reply);
	}
	return (json_pack("{s:b}", "ok", 1));
}

static json_t *
do_pause(struct lc_daemon *d, json_t *req, uid_t uid, int on)
{
	const struct lc_job	*job;
	json_t			*reply = NULL;
	char			*cause = NULL;

	if ((job = req_job(d, req, uid, &reply)) == NULL)
		return (reply);
	if (runs_set_paused(d, job->name, on, &cause) != 0) {
		reply = reply_error(cause);
		free(cause);
		return (reply);
	}
	log_notice("job=%s %s", job->name, on ? "paused" : "resumed");
	return (json_pack("{s:b}", "ok", 1));
}

static json_t *
do_status(struct lc_daemon *d)
{
	json_t	*runs = json_array();
	size_t	 i;

	for (i = 0; i < d->nruns; i++)
		json_array_append_new(runs, json_pack("{s:s, s:s, s:I}",
		    "run_id", d->runs[i]->id, "job", d->runs[i]->job,
		    "pid", (json_int_t)d->runs[i]->pid));
	return (json_pack("{s:b, s:I, s:I, s:o}", "ok", 1, "pid",
	    (json_int_t)getpid(), "jobs", (json_int_t)d->cfg->njobs,
	    "runs", runs));
}

static json_t *
dispatch(struct lc_daemon *d, json_t *req, uid_t uid)
{
	const char	*cmd = json_string_value(json_object_get(req, "cmd"));

	if (cmd == NULL)
		return (reply_error("missing \"cmd\""));
	if (strcmp(cmd, "reload") == 0)
		return (do_reload(d, uid));
	if (strcmp(cmd, "run") == 0)
		return (do_run(d, req, uid));
	if (strcmp(cmd, "cancel") == 0)
		return (do_cancel(d, req, uid));
	if (strcmp(cmd, "pause") == 0)
		return (do_pause(d, req, uid, 1));
	if (strcmp(cmd, "resume") == 0)
		return (do_pause(d, req, uid, 0));
	if (strcmp(cmd, "status") == 0)
		return (do_status(d));
	return (reply_error("unknown command"));
}

void
ctl_accept(struct lc_daemon *d)
{
	struct lc_ctl_conn	*c;

	while ((c = lc_ctl_accept(d->lfd)) != NULL) {
		d->conns = xreallocarray(d->conns, d->nconns + 1,
		    sizeof *d->conns);
		d->conns[d->nconns++] = c;
		ctl_ready(d, d->nconns - 1);
	}
	/* Out of descriptors: the connection waits in the backlog, and the
	 * socket is not polled for a second (it would be ready at once, again
	 * and again). */
	if (errno == EMFILE || errno == ENFILE) {
		/* One line a minute, however long it lasts. */
		if (lc_mono_ms() - d->accept_again_ms > 60000)
			log_warn("control socket: accept: %s; trying again "
			    "every second", strerror(errno));
		d->accept_again_ms = lc_mono_ms() + 1000;
	}
}

void
ctl_ready(struct lc_daemon *d, size_t i)
{
	struct lc_ctl_conn	*c = d->conns[i];
	json_t			*req = NULL, *reply;
	int			 rc;

	if ((rc = lc_ctl_conn_read(c, &req)) == 0)
		return;
	if (rc == 1) {
		reply = dispatch(d, req, lc_ctl_conn_uid(c));
		lc_ctl_conn_reply(c, reply);
		json_decref(reply);
		json_decref(req);
	}
	lc_ctl_conn_free(c);
	d->conns[i] = d->conns[--d->nconns];
}
