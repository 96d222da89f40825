/*
 * A run's record, written in units: each unit is what one transaction
 * writes of one run (the row marked running; some events; the events of
 * its end and the row's end). A supervisor encodes its units and either
 * writes them itself or, when its daemon is there, hands them to the
 * daemon over a socket and waits until the daemon says they are committed:
 * the daemon writes the units of all its supervisors together, in one
 * transaction per turn of its loop, on a connection it already has open.
 * A unit the daemon did not commit (it said so, or it is gone) the
 * supervisor writes itself, so nothing depends on the daemon staying up.
 *
 * Wire format (SOCK_SEQPACKET, one unit a packet, native byte order: both
 * ends are the same program on the same host):
 *   unit   := u32 magic, u32 seq, record...
 *   record := 'R' i64 started_at
 *           | 'E' u8 kind, i64 at, str detail
 *           | 'F' u8 status, i32 exit_code, i32 signal, i64 finished_at,
 *                 i64 duration_ms, str error, str output
 *   str    := u32 length (0xffffffff: NULL), bytes
 *   ack    := u32 seq, i32 result (0: committed, -1: not written)
 */
#ifndef LOCKCRON_RECORD_H
#define LOCKCRON_RECORD_H

#include <stdint.h>
#include <sys/types.h>

#include "lockcron/history.h"
#include "lockcron/util.h"

#define LC_RECORD_MAGIC		0x3152434cU	/* "LCR1" */

/* Building a unit: start it, add records, then write or send it. */
void	 lc_record_start(struct lc_buf *, uint32_t seq);
void	 lc_record_running(struct lc_buf *, int64_t started_at);
void	 lc_record_event(struct lc_buf *, enum lc_event_kind, int64_t at,
	     const char *detail);
void	 lc_record_finish(struct lc_buf *, const struct lc_run_end *);
/* True when the unit holds no record yet. */
int	 lc_record_empty(const struct lc_buf *);

/* What applying a unit wrote, for the daemon's own bookkeeping. */
struct lc_record_seen {
	int		 running;	/* the row was marked running */
	int64_t		 started_at;
	int		 lock_acquired;	/* a lock_acquired or started event */
	int		 finished;	/* the row's end: below */
	enum lc_run_status status;
	int		 exit_code;	/* -1: none */
	int		 signal;	/* 0: none */
	int64_t		 finished_at;
	int64_t		 duration_ms;	/* NONE: not given */
};

/*
 * Checks a unit and returns its sequence number in *seq; -1 with *cause
 * when it is malformed (nothing of it may then be applied).
 */
int	 lc_record_check(const void *unit, size_t len, uint32_t *seq,
	     char **cause);
/*
 * Applies a unit to run id, whose supervisor is pid: in the caller's
 * transaction when one is open (lc_history_begin), else in one of its
 * own. With replay set, what an earlier attempt may already have written
 * is not written twice and not an error (a unit the daemon may have
 * committed just before it died). seen may be NULL.
 */
int	 lc_record_apply(struct lc_history *, const char *id, pid_t supervisor,
	     const void *unit, size_t len, int replay,
	     struct lc_record_seen *seen, char **cause);

/*
 * The daemon's side of a channel. lc_record_recv reads one packet into
 * *pkt (emptied first): 1 got one, 0 none waiting, -1 the peer is gone
 * (or the channel is broken). lc_record_ack answers a unit.
 */
int	 lc_record_recv(int fd, struct lc_buf *pkt);
int	 lc_record_ack(int fd, uint32_t seq, int ok);

/* A unit received from a run's supervisor, and what became of it. */
struct lc_record_in {
	const char		*id;		/* the run */
	pid_t			 supervisor;
	int			 chan;		/* to answer; -1: gone */
	const struct lc_buf	*pkt;
	int			 ok;		/* out: committed */
	struct lc_record_seen	 seen;		/* out: what it wrote */
};

/*
 * Writes units of several runs in one transaction of h (as replays: what
 * a supervisor that stopped waiting wrote itself is not written twice) and
 * answers each on its channel: committed, or not (its supervisor then
 * writes it).
 * A unit that fails alone is answered "not" with the others committed.
 * Returns the number committed; *cause says why when the transaction
 * failed as a whole (a failed unit is logged with its run).
 */
size_t	 lc_record_commit(struct lc_history *, struct lc_record_in *, size_t n,
	     char **cause);

/*
 * The supervisor's side: a run's recorder. chan is the daemon's channel,
 * or -1 to write everything directly; it is the recorder's from here on.
 */
struct lc_recorder;

struct lc_recorder	*lc_recorder_new(const char *db_path, const char *group,
			     const char *run_id, int chan);
/* Starts the next unit in buf (emptied first). */
void			 lc_recorder_unit(struct lc_recorder *, struct lc_buf *);
/*
 * Writes a unit: through the daemon when it is there and takes it, else
 * directly. 0 once it is committed; -1 with *cause when it could not be.
 */
int			 lc_recorder_write(struct lc_recorder *,
			     const struct lc_buf *, char **cause);
/* The recorder's own history handle, opened on first use (NULL, *cause
 * on failure). */
struct lc_history	*lc_recorder_history(struct lc_recorder *,
			     char **cause);
/* Units sent to the daemon and units it did not take, for the tests. */
void			 lc_recorder_counts(const struct lc_recorder *,
			     unsigned *via_daemon, unsigned *direct);
void			 lc_recorder_set_id(struct lc_recorder *, const char *);
void			 lc_recorder_free(struct lc_recorder *);

#endif
