/*
 * The control socket between lockcron and lockcrond: an AF_UNIX stream
 * socket carrying one JSON request line and one JSON reply line per
 * connection. The daemon serves it from its poll loop without blocking;
 * SO_PEERCRED tells it who is asking.
 */
#ifndef LOCKCRON_CTL_H
#define LOCKCRON_CTL_H

#include <sys/types.h>

#include <jansson.h>

#define LC_CTL_SOCKET		"lockcrond.sock"
#define LC_CTL_MAX_REQUEST	65536

struct lc_ctl_conn;

/* Binds and listens on path (a stale socket file is replaced). */
int			 lc_ctl_listen(const char *path, char **cause);
/* Accepts one pending connection, or NULL (EAGAIN or an error). */
struct lc_ctl_conn	*lc_ctl_accept(int listen_fd);
int			 lc_ctl_conn_fd(const struct lc_ctl_conn *);
uid_t			 lc_ctl_conn_uid(const struct lc_ctl_conn *);
pid_t			 lc_ctl_conn_pid(const struct lc_ctl_conn *);
/*
 * Reads what is available. Returns 1 and sets *req when a whole request
 * arrived, 0 when more is needed, -1 when the connection is unusable (too
 * long, not JSON, closed early): then the caller frees it.
 */
int			 lc_ctl_conn_read(struct lc_ctl_conn *, json_t **req);
/* Sends the reply (blocking briefly; replies are small) and closes. */
void			 lc_ctl_conn_reply(struct lc_ctl_conn *, json_t *reply);
void			 lc_ctl_conn_free(struct lc_ctl_conn *);

/*
 * Client: sends req to the daemon at path and waits up to timeout_ms for
 * the reply. A daemon that is not running is an error naming the socket.
 */
int			 lc_ctl_request(const char *path, json_t *req,
			     int timeout_ms, json_t **reply, char **cause);

#endif
