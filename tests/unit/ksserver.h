/*
 * Test harness: a throw-away PKI and tests/keystore_server.py started as a
 * child on 127.0.0.1, stopped (and its directory removed) by the caller.
 * Shared by tests/unit/test_keystore.c and bench/bench_keystore.c.
 */
#ifndef KSSERVER_H
#define KSSERVER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct ks_server {
	char	 dir[PATH_MAX];		/* certs, token, data, port file */
	char	 ca[PATH_MAX];
	char	 client_cert[PATH_MAX];
	char	 client_key[PATH_MAX];
	char	 token_file[PATH_MAX];
	pid_t	 pid;
	int	 stdin_fd;		/* closing it stops the server */
	int	 plain;			/* ports */
	int	 tls;			/* certificate for 127.0.0.1 */
	int	 wrong;			/* certificate for another name */
	int	 mtls;			/* requires a client certificate */
};

/* values_json: a JSON object of strings served at path. */
int	 ks_server_start(struct ks_server *, const char *path,
	     const char *values_json, const char *token);
void	 ks_server_stop(struct ks_server *);
/* Requests the server saw for scenario NAME/TAG; -1 on error. */
int	 ks_server_count(const struct ks_server *, const char *scenario,
	     const char *tag, char **namespace);
/* Writes a file with the given mode (creating or replacing it). */
int	 ks_write_file(const char *path, const char *text, mode_t mode);
/* dst = dir/name; aborts if it does not fit. */
void	 ks_path(char *dst, size_t size, const char *dir, const char *name);
/* rm -rf, never following symlinks. */
void	 ks_remove_tree(const char *path);

#endif
