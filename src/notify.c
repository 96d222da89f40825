/*
 * What a run sends when it starts and ends: the job's notify settings
 * against the run's status, the webhook, the mail and the pings, each
 * delivery recorded as an event on the run. Runs in a notifier process
 * (notify-proc.c), where blocking on the network delays nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lockcron/log.h"
#include "lockcron/runjson.h"
#include "lockcron/util.h"
#include "notify-int.h"

static int
in_on(const struct lc_notify *n, enum lc_run_status st)
{
	const char	*name = lc_history_status_name(st);
	size_t		 i;

	for (i = 0; i < n->non; i++)
		if (strcmp(n->on[i], name) == 0)
			return (1);
	return (0);
}

unsigned
lc_notify_channels(const struct lc_job *job, enum lc_run_status st)
{
	const struct lc_notify	*n = &job->notify;
	unsigned		 ch = 0;

	if (in_on(n, st)) {
		if (n->webhook != NULL)
			ch |= LC_NOTIFY_WEBHOOK;
		if (n->mail != NULL)
			ch |= LC_NOTIFY_MAIL;
	}
	if (n->ping != NULL && (st == LC_RUN_SUCCEEDED ||
	    (LC_RUN_MASK(st) & LC_RUN_FAILURE_MASK) != 0))
		ch |= LC_NOTIFY_PING;
	return (ch);
}

int
lc_notify_configured(const struct lc_job *job)
{
	return (job->notify.webhook != NULL || job->notify.mail != NULL ||
	    job->notify.ping != NULL);
}

/* Records one delivery as notify_sent or notify_failed: "CHANNEL: DETAIL". */
static void
record(struct lc_history *h, const struct lc_job *job, const char *id,
    int ok, const char *channel, char *detail)
{
	char	*text, *cause = NULL;

	xasprintf(&text, "%s: %s", channel, detail != NULL ? detail : "");
	if (ok)
		log_info("job=%s run=%s: notification sent: %s", job->name, id,
		    text);
	else
		log_warn("job=%s run=%s: notification failed: %s", job->name,
		    id, text);
	if (lc_history_event_add(h, id, ok ? LC_EVENT_NOTIFY_SENT :
	    LC_EVENT_NOTIFY_FAILED, LC_HISTORY_NONE, text, &cause) != 0) {
		log_warn("job=%s run=%s: cannot record the notification: %s",
		    job->name, id, cause);
		free(cause);
	}
	free(text);
	free(detail);
}

/* GET {ping}{suffix}?rid=RUN_ID: healthchecks.io pairs start and end. */
static void
ping(struct lc_history *h, const struct lc_job *job, const char *id,
    const char *suffix)
{
	const char	*base = job->notify.ping;
	size_t		 len = strlen(base);
	char		*url, *channel, *detail;
	int		 ok;

	while (len > 0 && base[len - 1] == '/')
		len--;
	xasprintf(&url, "%.*s%s?rid=%s", (int)len, base, suffix, id);
	ok = notify_http("GET", url, NULL, NULL, 0, &detail) == 0;
	xasprintf(&channel, "ping%s%s", *suffix != '\0' ? " " : "", suffix);
	record(h, job, id, ok, channel, detail);
	free(channel);
	free(url);
}

void
lc_notify_start(struct lc_history *h, const struct lc_job *job,
    const char *id)
{
	if (job->notify.ping != NULL)
		ping(h, job, id, "/start");
}

/* The end of one run, read back as show's object. */
static void
notify_end(struct lc_history *h, const struct lc_job *job, json_t *run)
{
	enum lc_run_status	 st;
	const char		*id = json_string_value(json_object_get(run,
				    "run_id"));
	char			*body, *detail;
	unsigned		 ch;
	int			 ok;

	if (lc_history_status_parse(json_string_value(json_object_get(run,
	    "status")), &st) != 0)
		return;
	ch = lc_notify_channels(job, st);
	if (ch & LC_NOTIFY_WEBHOOK) {
		body = json_dumps(run, JSON_COMPACT);
		ok = notify_http("POST", job->notify.webhook,
		    "application/json", body, strlen(body), &detail) == 0;
		record(h, job, id, ok, "webhook", detail);
		free(body);
	}
	if (ch & LC_NOTIFY_MAIL) {
		ok = notify_mail(job, run, &detail) == 0;
		record(h, job, id, ok, "mail", detail);
	}
	if (ch & LC_NOTIFY_PING)
		ping(h, job, id, st == LC_RUN_SUCCEEDED ? "" : "/fail");
}

int
lc_notify_end(struct lc_history *h, const struct lc_job *job,
    const char *id, char **cause)
{
	json_t	*run;

	if ((run = lc_runjson_load(h, id, cause)) == NULL)
		return (-1);
	notify_end(h, job, run);
	json_decref(run);
	return (0);
}

void
lc_notify_runs(const struct lc_config *cfg, char *const *ids, size_t n)
{
	const struct lc_job	*job;
	struct lc_history	*h;
	json_t			*run;
	const char		*name;
	char			*path, *cause = NULL;
	size_t			 i;

	path = lc_history_default_path(cfg->state_dir);
	h = lc_history_open(path, 0, cfg->history_group, &cause);
	free(path);
	if (h == NULL) {
		log_error("notifier: %s", cause);
		free(cause);
		return;
	}
	for (i = 0; i < n; i++) {
		if ((run = lc_runjson_load(h, ids[i], &cause)) == NULL) {
			log_error("notifier: run %s: %s", ids[i], cause);
			free(cause);
			cause = NULL;
			continue;
		}
		name = json_string_value(json_object_get(run, "job"));
		if (name != NULL && (job = lc_config_find_job(cfg, name)) != NULL)
			notify_end(h, job, run);
		json_decref(run);
	}
	lc_history_close(h);
}
