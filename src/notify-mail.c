/*
 * The mail cron's MAILTO would have sent, through sendmail(8): recipients
 * only in the To: header (`sendmail -t -oi`, no address in argv, so none can
 * be read as an option), header values stripped of anything that could
 * start another header, a readable text body followed by the run's JSON,
 * quoted-printable only when a line is too long for SMTP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockcron/timefmt.h"
#include "lockcron/util.h"
#include "notify-int.h"

/* RFC 5321: 998 octets per line, without the line end. */
#define SMTP_LINE_MAX	998

int
notify_mail_check(const char *to)
{
	const char	*p;
	int		 start = 1;

	if (to == NULL || *to == '\0')
		return (-1);
	for (p = to; *p != '\0'; p++) {
		if (*p == ',') {
			if (start || p[1] == '\0')
				return (-1);
			start = 1;
			continue;
		}
		if (start && (*p == '-' || *p == '.' || *p == '@'))
			return (-1);
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._+-=@%!", *p) == NULL)
			return (-1);
		start = 0;
	}
	return (0);
}

/* A JSON member as text: strings as they are, numbers, "-" for null. */
static const char *
member(json_t *run, const char *key, char *buf, size_t len)
{
	json_t	*v = json_object_get(run, key);

	if (json_is_string(v))
		return (json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return (buf);
	}
	return ("-");
}

/* Header text: printable ASCII only, so nothing can start a header. */
static void
add_header(struct lc_buf *b, const char *name, const char *value)
{
	const char	*p;

	lc_buf_printf(b, "%s: ", name);
	for (p = value; *p != '\0' && p - value < 200; p++)
		lc_buf_add(b, *p >= 0x20 && *p < 0x7f ? p : "?", 1);
	lc_buf_addstr(b, "\n");
}

/* Body text: every control character but newline and tab becomes '?'. */
static void
add_text(struct lc_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		lc_buf_add(b, (unsigned char)*s < 0x20 && *s != '\n' &&
		    *s != '\t' ? "?" : s, 1);
}

/* "failed, exit code 3" or "killed by signal 9". */
static void
add_status(struct lc_buf *b, json_t *run)
{
	json_t	*code = json_object_get(run, "exit_code");
	json_t	*sig = json_object_get(run, "signal");
	char	 x[32];

	lc_buf_printf(b, "Status     %s", member(run, "status", x, sizeof x));
	if (json_is_integer(code))
		lc_buf_printf(b, ", exit code %lld",
		    (long long)json_integer_value(code));
	else if (json_is_integer(sig))
		lc_buf_printf(b, ", signal %lld",
		    (long long)json_integer_value(sig));
	lc_buf_addstr(b, "\n");
}

/* The fields, the events and the output, for people. */
static void
add_summary(struct lc_buf *b, json_t *run)
{
	static const char *const keys[][2] = {
		{ "Run", "run_id" }, { "Trigger", "trigger" },
		{ "Attempt", "attempt" }, { "Scheduled", "scheduled_at" },
		{ "Started", "started_at" }, { "Finished", "finished_at" },
		{ "Host", "host" },
	};
	json_t		*v, *e;
	const char	*err;
	char		 x[64];
	size_t		 i;

	lc_buf_printf(b, "Job        %s\n", member(run, "job", x, sizeof x));
	add_status(b, run);
	if ((err = json_string_value(json_object_get(run, "error"))) != NULL) {
		lc_buf_addstr(b, "Error      ");
		add_text(b, err);
		lc_buf_addstr(b, "\n");
	}
	for (i = 0; i < LC_NELEM(keys); i++)
		lc_buf_printf(b, "%-10s %s\n", keys[i][0],
		    member(run, keys[i][1], x, sizeof x));
	if (json_is_integer(v = json_object_get(run, "duration_ms")))
		lc_buf_printf(b, "Duration   %s\n", lc_duration_format(
		    json_integer_value(v), x, sizeof x));
	lc_buf_addstr(b, "\nEvents\n");
	json_array_foreach(json_object_get(run, "events"), i, e) {
		lc_buf_printf(b, "  %s  ", member(e, "at", x, sizeof x));
		lc_buf_printf(b, "%s", member(e, "kind", x, sizeof x));
		if (json_is_string(v = json_object_get(e, "detail"))) {
			lc_buf_addstr(b, "  ");
			add_text(b, json_string_value(v));
		}
		lc_buf_addstr(b, "\n");
	}
	if (json_string_length(v = json_object_get(run, "output")) > 0) {
		lc_buf_addstr(b, "\nOutput (the end of it, secrets masked)\n");
		add_text(b, json_string_value(v));
		if (b->data[b->len - 1] != '\n')
			lc_buf_addstr(b, "\n");
	}
}

/* Is any line longer than SMTP allows? */
static int
has_long_line(const char *s, size_t len)
{
	const char	*p, *nl;

	for (p = s; p < s + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(s + len - p))) == NULL)
			nl = s + len;
		if (nl - p > SMTP_LINE_MAX)
			return (1);
	}
	return (0);
}

/* RFC 2045 quoted-printable, lines of at most 76 characters. */
static void
qp_encode(struct lc_buf *out, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, col = 0, w;
	int			 enc;
	char			 hex[4];

	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			lc_buf_addstr(out, "\n");
			col = 0;
			continue;
		}
		enc = p[i] == '=' || p[i] > 126 || (p[i] < 32 && p[i] != '\t') ||
		    ((p[i] == ' ' || p[i] == '\t') && (i + 1 == len ||
		    p[i + 1] == '\n'));
		w = enc ? 3 : 1;
		if (col + w > 75) {
			lc_buf_addstr(out, "=\n");
			col = 0;
		}
		if (enc) {
			snprintf(hex, sizeof hex, "=%02X", p[i]);
			lc_buf_addstr(out, hex);
		} else
			lc_buf_add(out, &p[i], 1);
		col += w;
	}
}

char *
notify_mail_message(const char *to, json_t *run)
{
	struct lc_buf	 h = { 0 }, body = { 0 };
	char		*subject, *json, x[64], y[64], z[64];
	int		 qp;

	add_summary(&body, run);
	json = json_dumps(run, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	lc_buf_printf(&body, "\nThe run as `lockcron show --format json` "
	    "prints it:\n\n%s\n", json != NULL ? json : "{}");
	free(json);
	qp = has_long_line(body.data, body.len);
	add_header(&h, "To", to);
	xasprintf(&subject, "lockcron: %s %s on %s",
	    member(run, "job", x, sizeof x), member(run, "status", y, sizeof y),
	    member(run, "host", z, sizeof z));
	add_header(&h, "Subject", subject);
	free(subject);
	add_header(&h, "Auto-Submitted", "auto-generated");
	add_header(&h, "Precedence", "bulk");
	add_header(&h, "X-Lockcron-Job", member(run, "job", x, sizeof x));
	add_header(&h, "X-Lockcron-Run-Id", member(run, "run_id", x, sizeof x));
	add_header(&h, "X-Lockcron-Status", member(run, "status", x, sizeof x));
	add_header(&h, "MIME-Version", "1.0");
	add_header(&h, "Content-Type", "text/plain; charset=utf-8");
	add_header(&h, "Content-Transfer-Encoding", qp ? "quoted-printable" :
	    "8bit");
	lc_buf_addstr(&h, "\n");
	if (qp)
		qp_encode(&h, body.data, body.len);
	else
		lc_buf_add(&h, body.data, body.len);
	lc_buf_free(&body);
	return (lc_buf_steal(&h));
}

/* The sendmail to run: LOCKCRON_SENDMAIL (a test hook) or the system's. */
static const char *
sendmail_path(void)
{
	const char	*v = getenv("LOCKCRON_SENDMAIL");

	return (v != NULL && v[0] == '/' ? v : LC_NOTIFY_SENDMAIL);
}

/* In the child: the message on stdin, stderr to the pipe, a clean env. */
static void __attribute__((noreturn))
exec_sendmail(const char *path, int in, int err)
{
	static char	*const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	char		*argv[] = { "sendmail", "-t", "-oi", NULL };
	int		 null;

	if ((null = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(in, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		_exit(127);
	close_range(3, ~0U, 0);
	execve(path, argv, envp);
	_exit(127);
}

/* Writes msg to *fd and collects what comes on *efd until both are done
 * (each closed and set to -1) or the deadline passes (-1). */
static int
feed(int *fd, int *efd, const char *msg, size_t len, struct lc_buf *err,
    int64_t deadline)
{
	struct pollfd	 pfd[2];
	char		 buf[512];
	size_t		 off = 0;
	ssize_t		 n;

	while (*fd != -1 || *efd != -1) {
		pfd[0].fd = *fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = *efd;
		pfd[1].events = POLLIN;
		if (lc_mono_ms() >= deadline)
			return (-1);
		if (poll(pfd, 2, (int)(deadline - lc_mono_ms())) == -1 &&
		    errno != EINTR)
			return (-1);
		if (*fd != -1 && pfd[0].revents) {
			n = write(*fd, msg + off, len - off);
			if (n > 0)
				off += (size_t)n;
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    off == len) {
				close(*fd);
				*fd = -1;
			}
		}
		if (*efd != -1 && pfd[1].revents) {
			if ((n = read(*efd, buf, sizeof buf)) > 0 &&
			    err->len < 400)
				lc_buf_add(err, buf, (size_t)n);
			else if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN)) {
				close(*efd);
				*efd = -1;
			}
		}
	}
	return (0);
}

/* Waits for pid until the deadline, then kills it. */
static int
reap(pid_t pid, int64_t deadline)
{
	struct timespec	 ts = { 0, 20 * 1000000 };
	int		 st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (lc_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return (-2);
		}
		nanosleep(&ts, NULL);
	}
	return (st);
}

/* What sendmail said on stderr: its first line, printable. */
static char *
first_line(struct lc_buf *err)
{
	size_t	 i;

	if (err->len == 0)
		return (xstrdup(""));
	for (i = 0; i < err->len && err->data[i] != '\n'; i++)
		if ((unsigned char)err->data[i] < 0x20)
			err->data[i] = ' ';
	return (xstrndup(err->data, i));
}

/* Starts sendmail, with pipes to its stdin (*in) and from its stderr. */
static pid_t
spawn(const char *path, int *in, int *err)
{
	int	 ip[2], ep[2], saved;
	pid_t	 pid;

	if (pipe2(ip, O_CLOEXEC) != 0)
		return (-1);
	if (pipe2(ep, O_CLOEXEC) != 0) {
		saved = errno;
		close(ip[0]);
		close(ip[1]);
		errno = saved;
		return (-1);
	}
	if ((pid = fork()) == 0)
		exec_sendmail(path, ip[0], ep[1]);
	saved = errno;
	close(ip[0]);
	close(ep[1]);
	if (pid == -1) {
		close(ip[1]);
		close(ep[0]);
		errno = saved;
		return (-1);
	}
	fcntl(ip[1], F_SETFL, O_NONBLOCK);
	*in = ip[1];
	*err = ep[0];
	return (pid);
}

/* Runs sendmail -t -oi with msg on its stdin. */
static int
sendmail(const char *msg, size_t len, char **detail)
{
	const char	*path = sendmail_path();
	struct lc_buf	 err = { 0 };
	int64_t		 deadline = lc_mono_ms() + LC_NOTIFY_MAIL_TIMEOUT_MS;
	int		 in, efd, st, fed;
	char		*line;
	pid_t		 pid;

	if (access(path, X_OK) != 0 || (pid = spawn(path, &in, &efd)) == -1) {
		xasprintf(detail, "%s: %s", path, strerror(errno));
		return (-1);
	}
	fed = feed(&in, &efd, msg, len, &err, deadline);
	if (in != -1)
		close(in);
	if (efd != -1)
		close(efd);
	st = reap(pid, deadline);
	line = first_line(&err);
	lc_buf_free(&err);
	if (st == -2 || fed != 0)
		xasprintf(detail, "%s: no answer after %ds", path,
		    LC_NOTIFY_MAIL_TIMEOUT_MS / 1000);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		free(line);
		return (0);
	} else if (WIFEXITED(st))
		xasprintf(detail, "%s exited with status %d%s%s", path,
		    WEXITSTATUS(st), *line != '\0' ? ": " : "", line);
	else
		xasprintf(detail, "%s was killed by signal %d", path,
		    WTERMSIG(st));
	free(line);
	return (-1);
}

int
notify_mail(const struct lc_job *job, json_t *run, char **detail)
{
	char	*msg;
	int	 rc;

	*detail = NULL;
	if (notify_mail_check(job->notify.mail) != 0) {
		*detail = xstrdup("refusing the address: only letters, digits "
		    "and ._+-=@%! separated by commas");
		return (-1);
	}
	msg = notify_mail_message(job->notify.mail, run);
	if ((rc = sendmail(msg, strlen(msg), detail)) == 0)
		*detail = xstrdup(job->notify.mail);
	free(msg);
	return (rc);
}
