/*
 * lockcron metrics: the history in Prometheus' text format, for
 * node_exporter's textfile collector. With --output FILE the text is
 * written to FILE.tmp and renamed over FILE, so the collector never reads
 * half a file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lockcron/history.h"
#include "lockcron/metrics.h"

/* Every job's summary and the run totals, as exposition text. */
static int
collect(struct lc_history *h, char **text)
{
	struct lc_job_summary	*sums = NULL;
	struct lc_history_count	*totals = NULL;
	char			**jobs = NULL, *cause = NULL;
	size_t			 njobs = 0, ntotals = 0, i, done = 0;
	int			 rc = -1;

	if (h != NULL && (lc_history_jobs(h, &jobs, &njobs, &cause) != 0 ||
	    lc_history_totals(h, &totals, &ntotals, &cause) != 0))
		goto out;
	sums = xcalloc(njobs > 0 ? njobs : 1, sizeof *sums);
	for (done = 0; done < njobs; done++)
		if (lc_history_summary(h, jobs[done], &sums[done], &cause) != 0)
			goto out;
	*text = lc_metrics_render(sums, njobs, totals, ntotals);
	rc = 0;
out:
	if (rc != 0) {
		cli_error("%s", cause);
		free(cause);
	}
	for (i = 0; i < done; i++)
		lc_history_summary_clear(&sums[i]);
	free(sums);
	lc_history_counts_free(totals, ntotals);
	lc_history_jobs_free(jobs, njobs);
	return (rc);
}

/* Writes text to path through path.tmp and rename(2). */
static int
write_file(const char *path, const char *text)
{
	char	*tmp;
	FILE	*f;
	int	 fd, rc = -1;

	xasprintf(&tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		cli_error("%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return (-1);
	}
	if (fputs(text, f) == EOF || fflush(f) != 0 || fsync(fd) != 0)
		cli_error("%s: %s", tmp, strerror(errno));
	else if (rename(tmp, path) != 0)
		cli_error("cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
	else
		rc = 0;
	fclose(f);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return (rc);
}

int
cmd_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_hist	 ch;
	const char	*config = NULL, *output = NULL;
	char		*text = NULL;
	int		 c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			cli_usage(cli_find("metrics"), 1);
			return (CLI_OK);
		default:
			cli_usage(cli_find("metrics"), 0);
			return (CLI_USAGE);
		}
	}
	if (optind != argc)
		return (cli_bad_usage("metrics", "unexpected argument \"%s\"",
		    argv[optind]));
	if ((rc = cli_hist_open(&ch, config, 0)) == CLI_OK &&
	    collect(ch.h, &text) != 0)
		rc = CLI_USAGE;
	if (rc == CLI_OK && output != NULL && write_file(output, text) != 0)
		rc = CLI_NO;
	else if (rc == CLI_OK && output == NULL && (fputs(text, stdout) ==
	    EOF || fflush(stdout) != 0)) {
		cli_error("cannot write the metrics");
		rc = CLI_NO;
	}
	free(text);
	cli_hist_close(&ch);
	return (rc);
}
