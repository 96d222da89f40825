/*
 * libFuzzer harness for the crontab reader. The first byte picks the
 * options, the rest is the crontab. Besides crashes and sanitizer reports
 * it checks the one promise the output makes: libconfig reads it, with one
 * job per converted line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "lockcron/crontab.h"

/* Deterministic stand-ins for the system's answers. */
static int
user_cb(const char *name, void *arg)
{
	return (strlen(name) % 2 == 0);
}

static int
dir_cb(const char *path, void *arg)
{
	return (strstr(path, "dir") != NULL);
}

/* The helpers on each line of the input, as a C string. */
static void
each_line(const char *text)
{
	struct lc_crontab_flock	 fl;
	const char		*p, *nl;
	char			*line, *a, *b, *cause;

	for (p = text; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		line = strndup(p, (size_t)(nl - p));
		if (line == NULL)
			abort();
		if (lc_crontab_env_line(line, &a, &b)) {
			free(a);
			free(b);
		}
		lc_crontab_percent(line, &a, &b);
		free(a);
		free(b);
		cause = NULL;
		if (lc_crontab_flock(line, &fl, &cause) == 1)
			lc_crontab_flock_clear(&fl);
		free(cause);
		free(lc_crontab_job_name(line));
		free(line);
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_crontab_opts	 opts;
	struct lc_crontab	*ct;
	config_t		 cfg;
	config_setting_t	*jobs;
	char			*text;

	if (size < 1)
		return (0);
	memset(&opts, 0, sizeof opts);
	opts.kind = data[0] % 3;
	opts.source = (data[0] & 0x10) ? "/etc/cron.d/fuzz" : NULL;
	opts.user = (data[0] & 0x20) ? "alice" : NULL;
	opts.user_exists_cb = user_cb;
	opts.is_dir_cb = dir_cb;
	ct = lc_crontab_parse((const char *)data + 1, size - 1, &opts);

	config_init(&cfg);
	if (config_read_string(&cfg, lc_crontab_config(ct)) != CONFIG_TRUE)
		abort();
	jobs = config_lookup(&cfg, "jobs");
	if (jobs == NULL || (size_t)config_setting_length(jobs) !=
	    lc_crontab_njobs(ct))
		abort();
	config_destroy(&cfg);
	lc_crontab_free(ct);

	if ((text = malloc(size)) == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	each_line(text);
	free(text);
	return (0);
}
