/*
 * A run's record in units (lockcron/record.h): encoding, checking and
 * applying them, the daemon's end of a supervisor's channel, and the
 * supervisor's recorder that writes through the daemon or by itself.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lockcron/log.h"
#include "lockcron/record.h"

#define NULL_STR	0xffffffffU
/* How long a supervisor waits for the daemon's answer to a unit before it
 * takes the daemon for gone (stopped, or stuck) and writes it itself. */
#define ACK_WAIT_MS	10000

/* An ack: the unit's sequence number and whether it was committed. */
struct ack {
	uint32_t	 seq;
	int32_t		 result;
};

struct lc_recorder {
	char			 id[LC_UUID_BUFSZ];
	char			*db_path;
	char			*group;
	int			 chan;		/* -1: no daemon (any more) */
	uint32_t		 seq;
	struct lc_history	*h;
	unsigned		 via_daemon, direct;
};

/* Encoding. */

static void
put_u8(struct lc_buf *b, uint8_t v)
{
	lc_buf_add(b, &v, sizeof v);
}

static void
put_u32(struct lc_buf *b, uint32_t v)
{
	lc_buf_add(b, &v, sizeof v);
}

static void
put_i64(struct lc_buf *b, int64_t v)
{
	lc_buf_add(b, &v, sizeof v);
}

static void
put_str(struct lc_buf *b, const char *s, size_t len)
{
	if (s == NULL) {
		put_u32(b, NULL_STR);
		return;
	}
	put_u32(b, (uint32_t)len);
	lc_buf_add(b, s, len);
}

void
lc_record_start(struct lc_buf *b, uint32_t seq)
{
	b->len = 0;
	put_u32(b, LC_RECORD_MAGIC);
	put_u32(b, seq);
}

int
lc_record_empty(const struct lc_buf *b)
{
	return (b->len <= 2 * sizeof (uint32_t));
}

void
lc_record_running(struct lc_buf *b, int64_t started_at)
{
	put_u8(b, 'R');
	put_i64(b, started_at);
}

void
lc_record_event(struct lc_buf *b, enum lc_event_kind kind, int64_t at,
    const char *detail)
{
	put_u8(b, 'E');
	put_u8(b, (uint8_t)kind);
	put_i64(b, at != LC_HISTORY_NONE ? at : lc_now_ms());
	put_str(b, detail, detail != NULL ? strlen(detail) : 0);
}

void
lc_record_finish(struct lc_buf *b, const struct lc_run_end *e)
{
	put_u8(b, 'F');
	put_u8(b, (uint8_t)e->status);
	put_u32(b, (uint32_t)e->exit_code);
	put_u32(b, (uint32_t)e->signal);
	put_i64(b, e->finished_at != LC_HISTORY_NONE ? e->finished_at :
	    lc_now_ms());
	put_i64(b, e->duration_ms);
	put_str(b, e->error, e->error != NULL ? strlen(e->error) : 0);
	put_str(b, e->output, e->output_len);
}

/* Decoding: a cursor that fails once, and stays failed, past the end. */

struct cursor {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static int
take(struct cursor *c, void *out, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = 1;
		memset(out, 0, n);
		return (-1);
	}
	memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
	return (0);
}

static uint8_t
get_u8(struct cursor *c)
{
	uint8_t	 v;

	take(c, &v, sizeof v);
	return (v);
}

static uint32_t
get_u32(struct cursor *c)
{
	uint32_t v;

	take(c, &v, sizeof v);
	return (v);
}

static int64_t
get_i64(struct cursor *c)
{
	int64_t	 v;

	take(c, &v, sizeof v);
	return (v);
}

/* A string, copied out (NUL-terminated) into *out; NULL stays NULL. */
static void
get_str(struct cursor *c, char **out, size_t *len)
{
	uint32_t n = get_u32(c);

	*out = NULL;
	*len = 0;
	if (c->bad || n == NULL_STR)
		return;
	if (c->left < n) {
		c->bad = 1;
		return;
	}
	/* Bytes, not a C string: a job's output may hold NULs. */
	*out = xreallocarray(NULL, (size_t)n + 1, 1);
	memcpy(*out, c->p, n);
	(*out)[n] = '\0';
	*len = n;
	c->p += n;
	c->left -= n;
}

/* One record, decoded. */
struct rec {
	int			 type;
	int64_t			 started_at;
	enum lc_event_kind	 kind;
	int64_t			 at;
	char			*detail;
	struct lc_run_end	 end;
	char			*error, *output;
};

static void
rec_clear(struct rec *r)
{
	free(r->detail);
	free(r->error);
	free(r->output);
	memset(r, 0, sizeof *r);
}

/* Decodes the next record; 0 at the end, 1 one read, -1 malformed. */
static int
next_rec(struct cursor *c, struct rec *r, char **cause)
{
	size_t	 len;
	int	 v;

	memset(r, 0, sizeof *r);
	if (c->left == 0)
		return (0);
	switch ((r->type = get_u8(c))) {
	case 'R':
		r->started_at = get_i64(c);
		break;
	case 'E':
		r->kind = (enum lc_event_kind)get_u8(c);
		r->at = get_i64(c);
		get_str(c, &r->detail, &len);
		if ((unsigned)r->kind >= LC_EVENT_COUNT)
			c->bad = 1;
		break;
	case 'F':
		lc_history_end_init(&r->end, (enum lc_run_status)get_u8(c));
		v = (int32_t)get_u32(c);
		r->end.exit_code = v < 0 ? -1 : v;
		v = (int32_t)get_u32(c);
		r->end.signal = v < 0 ? 0 : v;
		r->end.finished_at = get_i64(c);
		r->end.duration_ms = get_i64(c);
		get_str(c, &r->error, &len);
		get_str(c, &r->output, &r->end.output_len);
		r->end.error = r->error;
		r->end.output = r->output;
		if ((unsigned)r->end.status >= LC_RUN_NSTATUS ||
		    r->end.status == LC_RUN_QUEUED ||
		    r->end.status == LC_RUN_RUNNING)
			c->bad = 1;
		break;
	default:
		c->bad = 1;
		break;
	}
	if (c->bad) {
		rec_clear(r);
		lc_set_cause(cause, "malformed record unit");
		return (-1);
	}
	return (1);
}

static int
open_cursor(struct cursor *c, const void *unit, size_t len, uint32_t *seq,
    char **cause)
{
	c->p = unit;
	c->left = len;
	c->bad = 0;
	if (get_u32(c) != LC_RECORD_MAGIC) {
		lc_set_cause(cause, "malformed record unit");
		return (-1);
	}
	*seq = get_u32(c);
	if (c->bad) {
		lc_set_cause(cause, "malformed record unit");
		return (-1);
	}
	return (0);
}

int
lc_record_check(const void *unit, size_t len, uint32_t *seq, char **cause)
{
	struct cursor	 c;
	struct rec	 r;
	int		 rc;

	if (open_cursor(&c, unit, len, seq, cause) != 0)
		return (-1);
	while ((rc = next_rec(&c, &r, cause)) == 1)
		rec_clear(&r);
	return (rc);
}

/* The row's status now; LC_RUN_NSTATUS when it cannot be read. */
static enum lc_run_status
row_status(struct lc_history *h, const char *id)
{
	struct lc_run		 row;
	enum lc_run_status	 st = LC_RUN_NSTATUS;

	lc_history_run_init(&row);
	if (lc_history_run_get(h, id, &row, NULL, NULL, NULL) == 0)
		st = row.status;
	lc_history_run_clear(&row);
	return (st);
}

/*
 * Writes one record; on replay, what is there already is no error. seen
 * gets what was written, not what was found there.
 */
static int
apply_rec(struct lc_history *h, const char *id, pid_t sup,
    const struct rec *r, int replay, struct lc_record_seen *seen,
    char **cause)
{
	enum lc_run_status	 st;
	char			*why = NULL;
	int			 rc;

	switch (r->type) {
	case 'R':
		rc = lc_history_run_running(h, id, sup, r->started_at, &why);
		if (rc == 0) {
			seen->running = 1;
			seen->started_at = r->started_at;
		} else if (replay && row_status(h, id) == LC_RUN_RUNNING)
			rc = 0;
		break;
	case 'E':
		rc = (replay ? lc_history_event_add_new : lc_history_event_add)
		    (h, id, r->kind, r->at, r->detail, &why);
		if (rc == 0 && (r->kind == LC_EVENT_LOCK_ACQUIRED ||
		    r->kind == LC_EVENT_STARTED))
			seen->lock_acquired = 1;
		break;
	default:
		rc = lc_history_run_finish(h, id, &r->end, &why);
		if (rc != 0 && replay && (st = row_status(h, id)) !=
		    LC_RUN_NSTATUS && st != LC_RUN_QUEUED &&
		    st != LC_RUN_RUNNING) {
			free(why);
			return (0);	/* finished before: nothing seen */
		}
		if (rc == 0) {
			seen->finished = 1;
			seen->finished_at = r->end.finished_at;
			seen->status = r->end.status;
			seen->exit_code = r->end.exit_code;
			seen->signal = r->end.signal;
			seen->duration_ms = r->end.duration_ms;
		}
		break;
	}
	if (rc != 0) {
		if (cause != NULL)
			*cause = why;
		else
			free(why);
	} else
		free(why);
	return (rc);
}

int
lc_record_apply(struct lc_history *h, const char *id, pid_t sup,
    const void *unit, size_t len, int replay, struct lc_record_seen *seen,
    char **cause)
{
	struct lc_record_seen	 tmp;
	struct cursor		 c;
	struct rec		 r;
	uint32_t		 seq;
	int			 own, rc;

	if (lc_record_check(unit, len, &seq, cause) != 0)
		return (-1);
	memset(&tmp, 0, sizeof tmp);
	tmp.exit_code = -1;
	tmp.duration_ms = LC_HISTORY_NONE;
	if ((own = !lc_history_in_transaction(h)) &&
	    lc_history_begin(h, cause) != 0)
		return (-1);
	open_cursor(&c, unit, len, &seq, NULL);
	while ((rc = next_rec(&c, &r, cause)) == 1) {
		rc = apply_rec(h, id, sup, &r, replay, &tmp, cause);
		rec_clear(&r);
		if (rc != 0)
			break;
	}
	if (own) {
		if (rc == 0 && lc_history_commit(h, cause) != 0)
			rc = -1;
		if (rc != 0)
			lc_history_rollback(h);
	}
	if (rc == 0 && seen != NULL)
		*seen = tmp;
	return (rc == 0 ? 0 : -1);
}

/* The daemon's end. */

int
lc_record_recv(int fd, struct lc_buf *pkt)
{
	ssize_t	 n;

	pkt->len = 0;
	for (;;) {
		/* The packet's real length, without taking it. */
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n <= 0)
			return (-1);
		break;
	}
	if (pkt->cap < (size_t)n + 1) {
		pkt->data = xreallocarray(pkt->data, (size_t)n + 1, 1);
		pkt->cap = (size_t)n + 1;
	}
	do
		n = recv(fd, pkt->data, (size_t)n, MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (n == -1 && errno == EAGAIN ? 0 : -1);
	pkt->len = (size_t)n;
	pkt->data[n] = '\0';
	return (1);
}

int
lc_record_ack(int fd, uint32_t seq, int ok)
{
	struct ack	 a = { seq, ok ? 0 : -1 };
	ssize_t		 n;

	do
		n = send(fd, &a, sizeof a, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return (n == (ssize_t)sizeof a ? 0 : -1);
}

size_t
lc_record_commit(struct lc_history *h, struct lc_record_in *u, size_t n,
    char **cause)
{
	char		*why = NULL;
	uint32_t	 seq;
	size_t		 i, done = 0;
	int		 txn;

	txn = h != NULL && lc_history_begin(h, cause) == 0;
	for (i = 0; i < n; i++) {
		/* As a replay: a supervisor that gave up waiting may have
		 * written this unit itself already. */
		u[i].ok = txn && lc_record_apply(h, u[i].id, u[i].supervisor,
		    u[i].pkt->data, u[i].pkt->len, 1, &u[i].seen, &why) == 0;
		if (txn && !u[i].ok) {
			log_warn("run=%s: %s; its supervisor writes it",
			    u[i].id, why);
			free(why);
			why = NULL;
		}
	}
	if (txn && lc_history_commit(h, cause) != 0) {
		lc_history_rollback(h);
		txn = 0;
	}
	for (i = 0; i < n; i++) {
		u[i].ok = u[i].ok && txn;
		done += u[i].ok;
		if (u[i].chan != -1 && lc_record_check(u[i].pkt->data,
		    u[i].pkt->len, &seq, NULL) == 0)
			lc_record_ack(u[i].chan, seq, u[i].ok);
	}
	return (done);
}

/* The supervisor's end. */

struct lc_recorder *
lc_recorder_new(const char *db_path, const char *group, const char *run_id,
    int chan)
{
	struct lc_recorder	*rc = xcalloc(1, sizeof *rc);

	rc->db_path = xstrdup(db_path);
	rc->group = group != NULL ? xstrdup(group) : NULL;
	rc->chan = chan;
	if (run_id != NULL)
		snprintf(rc->id, sizeof rc->id, "%s", run_id);
	return (rc);
}

void
lc_recorder_set_id(struct lc_recorder *rc, const char *id)
{
	snprintf(rc->id, sizeof rc->id, "%s", id);
}

void
lc_recorder_unit(struct lc_recorder *rc, struct lc_buf *b)
{
	lc_record_start(b, ++rc->seq);
}

struct lc_history *
lc_recorder_history(struct lc_recorder *rc, char **cause)
{
	if (rc->h == NULL)
		rc->h = lc_history_open(rc->db_path, 0, rc->group, cause);
	return (rc->h);
}

/* The daemon is gone, or its channel is broken: no more units to it. */
static void
daemon_gone(struct lc_recorder *rc)
{
	close(rc->chan);
	rc->chan = -1;
}

/*
 * Hands a unit to the daemon and waits for its answer: 0 committed, 1 not
 * written (the unit is too large for the channel), 2 unknown (the daemon
 * said it failed, went away or did not answer in ACK_WAIT_MS: it may have
 * written some or all of it, so it is replayed).
 */
static int
via_daemon(struct lc_recorder *rc, const struct lc_buf *b)
{
	struct ack	 a;
	struct cursor	 c;
	struct pollfd	 pfd;
	uint32_t	 seq;
	ssize_t		 n;
	int64_t		 until = lc_mono_ms() + ACK_WAIT_MS, left;

	if (open_cursor(&c, b->data, b->len, &seq, NULL) != 0)
		return (1);		/* not a unit: nothing to send */
	do
		n = send(rc->chan, b->data, b->len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EMSGSIZE || errno == ENOBUFS))
		return (1);
	if (n != (ssize_t)b->len) {
		daemon_gone(rc);
		return (n == -1 && errno == EPIPE ? 1 : 2);
	}
	for (;;) {
		pfd.fd = rc->chan;
		pfd.events = POLLIN;
		if ((left = until - lc_mono_ms()) <= 0 ||
		    poll(&pfd, 1, (int)left) == 0) {
			log_warn("run=%s: no answer from lockcrond in %d s; "
			    "writing the record without it", rc->id,
			    ACK_WAIT_MS / 1000);
			daemon_gone(rc);
			return (2);
		}
		n = recv(rc->chan, &a, sizeof a, MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n != (ssize_t)sizeof a) {
			daemon_gone(rc);
			return (2);
		}
		if (a.seq == seq)
			return (a.result == 0 ? 0 : 2);
	}
}

int
lc_recorder_write(struct lc_recorder *rc, const struct lc_buf *b,
    char **cause)
{
	struct lc_history	*h;
	int			 how = 1;

	if (rc->chan != -1) {
		if ((how = via_daemon(rc, b)) == 0) {
			rc->via_daemon++;
			return (0);
		}
	}
	rc->direct++;
	if ((h = lc_recorder_history(rc, cause)) == NULL)
		return (-1);
	return (lc_record_apply(h, rc->id, getpid(), b->data, b->len,
	    how == 2, NULL, cause));
}

void
lc_recorder_counts(const struct lc_recorder *rc, unsigned *via,
    unsigned *direct)
{
	*via = rc->via_daemon;
	*direct = rc->direct;
}

void
lc_recorder_free(struct lc_recorder *rc)
{
	if (rc == NULL)
		return;
	if (rc->chan != -1)
		close(rc->chan);
	lc_history_close(rc->h);
	free(rc->db_path);
	free(rc->group);
	free(rc);
}
