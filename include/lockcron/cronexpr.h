/*
 * Cron expressions: parsing, and the next fire instant after a given one in
 * a time zone, with cronie's rules for daylight-saving changes. Pure code:
 * no I/O, and "now" is always an argument.
 */
#ifndef LOCKCRON_CRONEXPR_H
#define LOCKCRON_CRONEXPR_H

#include <stdint.h>

#include "lockcron/tz.h"

struct lc_cronexpr;

/*
 * Parses "min hour dom month dow", "sec min hour dom month dow" or a macro
 * (@hourly ... @reboot). On error returns NULL and a message naming the field.
 */
struct lc_cronexpr	*lc_cronexpr_parse(const char *, char **cause);
void			 lc_cronexpr_free(struct lc_cronexpr *);
const char		*lc_cronexpr_text(const struct lc_cronexpr *);
int			 lc_cronexpr_is_reboot(const struct lc_cronexpr *);
/* Has a seconds field (6 fields). */
int			 lc_cronexpr_has_seconds(const struct lc_cronexpr *);
/* The minute or hour field starts with '*': fires at every wall-clock
 * match through DST changes, rather than once per day's time. */
int			 lc_cronexpr_is_wildcard(const struct lc_cronexpr *);

/*
 * The first fire instant strictly after `after` (UTC seconds), evaluated on
 * the wall clock of zone tz. Returns 0 and sets *next, or -1 when the
 * expression never fires again (including @reboot) or `after` lies more
 * than 2^55 s (about a billion years) from 1970.
 */
int			 lc_cronexpr_next(const struct lc_cronexpr *,
			     const struct lc_tz *, int64_t after, int64_t *next);

#endif
