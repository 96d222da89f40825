/*
 * The control socket: one JSON line each way per connection. The server
 * side never blocks the daemon's loop on a slow client: it reads what is
 * there and comes back when poll says more arrived.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lockcron/ctl.h"
#include "lockcron/util.h"

struct lc_ctl_conn {
	int		 fd;
	uid_t		 uid;
	pid_t		 pid;
	struct lc_buf	 in;
};

static int
fill_addr(struct sockaddr_un *sun, const char *path, char **cause)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		lc_set_cause(cause, "socket path too long: %s", path);
		return (-1);
	}
	strcpy(sun->sun_path, path);
	return (0);
}

int
lc_ctl_listen(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd;

	if (fill_addr(&sun, path, cause) != 0)
		return (-1);
	/* Only a socket is replaced: the state lock says it is stale. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			lc_set_cause(cause, "%s exists and is not a socket",
			    path);
			return (-1);
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 64) != 0) {
		lc_set_cause(cause, "control socket %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	/* Anyone may connect; SO_PEERCRED decides what they may ask. */
	chmod(path, 0666);
	return (fd);
}

struct lc_ctl_conn *
lc_ctl_accept(int listen_fd)
{
	struct lc_ctl_conn	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	int			 fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return (NULL);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		close(fd);
		return (NULL);
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	return (c);
}

int
lc_ctl_conn_fd(const struct lc_ctl_conn *c)
{
	return (c->fd);
}

uid_t
lc_ctl_conn_uid(const struct lc_ctl_conn *c)
{
	return (c->uid);
}

pid_t
lc_ctl_conn_pid(const struct lc_ctl_conn *c)
{
	return (c->pid);
}

/* Parses a complete line into a JSON object. */
static int
parse_line(const char *line, json_t **out)
{
	json_error_t	 jerr;
	json_t		*j;

	j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return (-1);
	}
	*out = j;
	return (1);
}

int
lc_ctl_conn_read(struct lc_ctl_conn *c, json_t **req)
{
	char	 buf[4096], *nl;
	ssize_t	 n;

	for (;;) {
		n = read(c->fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (0);
		if (n <= 0)
			return (-1);
		lc_buf_add(&c->in, buf, (size_t)n);
		if ((nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
			*nl = '\0';
			return (parse_line(c->in.data, req));
		}
		if (c->in.len > LC_CTL_MAX_REQUEST)
			return (-1);
	}
}

/* Writes all of buf to fd, waiting at most timeout_ms overall. */
static int
write_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	int64_t		 deadline = lc_mono_ms() + timeout_ms;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return (-1);
		if (lc_mono_ms() >= deadline ||
		    poll(&pfd, 1, (int)(deadline - lc_mono_ms())) < 0)
			return (-1);
	}
	return (0);
}

void
lc_ctl_conn_reply(struct lc_ctl_conn *c, json_t *reply)
{
	char	*s;

	s = json_dumps(reply, JSON_COMPACT);
	if (s != NULL) {
		if (write_all(c->fd, s, strlen(s), 1000) == 0)
			write_all(c->fd, "\n", 1, 1000);
		free(s);
	}
	close(c->fd);
	c->fd = -1;
}

void
lc_ctl_conn_free(struct lc_ctl_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	lc_buf_free(&c->in);
	free(c);
}

int
lc_ctl_request(const char *path, json_t *req, int timeout_ms, json_t **reply,
    char **cause)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	struct lc_buf		 in = { 0 };
	char			*s, buf[4096];
	int64_t			 deadline;
	ssize_t			 n;
	int			 fd, rc = -1;

	if (fill_addr(&sun, path, cause) != 0)
		return (-1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			lc_set_cause(cause, "lockcrond is not running (no "
			    "daemon listening on %s)", path);
		else
			lc_set_cause(cause, "cannot reach lockcrond at %s: %s",
			    path, strerror(errno));
		goto out;
	}
	s = json_dumps(req, JSON_COMPACT);
	n = write_all(fd, s, strlen(s), timeout_ms);
	free(s);
	if (n != 0 || write_all(fd, "\n", 1, timeout_ms) != 0) {
		lc_set_cause(cause, "writing to %s: %s", path, strerror(errno));
		goto out;
	}
	deadline = lc_mono_ms() + timeout_ms;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			lc_buf_add(&in, buf, (size_t)n);
			if (in.len > LC_CTL_MAX_REQUEST * 16)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			break;
		if (lc_mono_ms() >= deadline ||
		    poll(&pfd, 1, (int)(deadline - lc_mono_ms())) <= 0) {
			lc_set_cause(cause, "lockcrond did not answer within "
			    "%d ms", timeout_ms);
			goto out;
		}
	}
	if (in.len == 0 || parse_line(in.data, reply) != 1) {
		lc_set_cause(cause, "lockcrond sent no valid reply");
		goto out;
	}
	rc = 0;
out:
	lc_buf_free(&in);
	if (fd != -1)
		close(fd);
	return (rc);
}
