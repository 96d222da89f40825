/*
 * Internals shared by notify.c (what to send, events), notify-http.c
 * (webhook and pings through libcurl), notify-mail.c (the mail and
 * sendmail) and notify-proc.c (notifier processes).
 */
#ifndef NOTIFY_INT_H
#define NOTIFY_INT_H

#include <stddef.h>

#include <jansson.h>

#include "lockcron/notify.h"

/*
 * One HTTP request with the retries: method "GET" or "POST" (body of len
 * bytes, ctype its Content-Type). 0 on a 2xx reply, else -1. *detail
 * (always set) says what happened: "HTTP 200", "HTTP 503 (4 attempts)",
 * a transport error. It never holds the URL.
 */
int	 notify_http(const char *method, const char *url, const char *ctype,
	     const char *body, size_t len, char **detail);

/*
 * Mails run (show's object) to job's notify.mail through sendmail. 0 when
 * sendmail took it, else -1; *detail as for notify_http.
 */
int	 notify_mail(const struct lc_job *, json_t *run, char **detail);
/* The whole message sendmail reads: headers, blank line, body. */
char	*notify_mail_message(const char *to, json_t *run);
/* 0 when every comma-separated address is one sendmail cannot read as
 * an option or a header. */
int	 notify_mail_check(const char *to);

#endif
