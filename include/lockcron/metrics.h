/*
 * The history as Prometheus metrics: the text exposition format (version
 * 0.0.4) that node_exporter's textfile collector reads. Every family has
 * its HELP and TYPE lines before its samples; label values are escaped.
 *
 *	lockcron_last_run_timestamp_seconds{job}	gauge
 *	lockcron_last_run_duration_seconds{job}		gauge
 *	lockcron_last_run_status{job,status}		gauge (a state set)
 *	lockcron_last_success_timestamp_seconds{job}	gauge
 *	lockcron_consecutive_failures{job}		gauge
 *	lockcron_runs_total{job,status}			counter
 */
#ifndef LOCKCRON_METRICS_H
#define LOCKCRON_METRICS_H

#include <stddef.h>

#include "lockcron/history.h"

/* The exposition of these summaries and run totals (lc_history_totals),
 * allocated. */
char	*lc_metrics_render(const struct lc_job_summary *, size_t,
	     const struct lc_history_count *totals, size_t ntotals);

#endif
