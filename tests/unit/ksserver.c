/*
 * Test harness for the keystore: generates certificates with
 * tests/gen-certs.sh, starts tests/keystore_server.py with a pipe as its
 * stdin (closing the pipe, or our death, stops it) and reads its ports.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ksserver.h"

static const char *
srcdir(void)
{
	const char	*s = getenv("TOP_SRCDIR");

	return (s != NULL && *s != '\0' ? s : TOP_SRCDIR);
}

int
ks_write_file(const char *path, const char *text, mode_t mode)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 fd;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return (-1);
	}
	fputs(text, f);
	if (fchmod(fd, mode) != 0 || fclose(f) != 0)
		return (-1);
	return (rename(tmp, path));
}

void
ks_path(char *dst, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(dst, size, "%s/%s", dir, name) >= size)
		abort();
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return (0);
}

void
ks_remove_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs argv, waits; 0 when it exited 0. */
static int
run(char *const argv[])
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return (-1);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
}

/* Reads {"plain": N, ...}; waits up to 10 s for the server to write it. */
static int
read_ports(struct ks_server *s, const char *file)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	json_t		*o;
	int		 i, status;

	for (i = 0; i < 500; i++) {
		if ((o = json_load_file(file, 0, NULL)) != NULL)
			break;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return (-1);
		}
		nanosleep(&ts, NULL);
	}
	if (o == NULL)
		return (-1);
	s->plain = (int)json_integer_value(json_object_get(o, "plain"));
	s->tls = (int)json_integer_value(json_object_get(o, "tls"));
	s->wrong = (int)json_integer_value(json_object_get(o, "wrong"));
	s->mtls = (int)json_integer_value(json_object_get(o, "mtls"));
	json_decref(o);
	return (s->plain > 0 && s->tls > 0 ? 0 : -1);
}

static void
spawn(struct ks_server *s, int rfd, char **argv)
{
	pid_t	 parent = getpid();
	char	 ppid[32];
	int	 i;

	if ((s->pid = fork()) != 0)
		return;
	dup2(rfd, STDIN_FILENO);
	for (i = 3; i < 1024; i++)
		close(i);
	snprintf(ppid, sizeof ppid, "%ld", (long)parent);
	for (i = 0; argv[i] != NULL; i++)
		;
	argv[i] = "--parent-pid";
	argv[i + 1] = ppid;
	argv[i + 2] = NULL;
	execvp(argv[0], argv);
	_exit(127);
}

int
ks_server_start(struct ks_server *s, const char *path,
    const char *values_json, const char *token)
{
	char	 script[PATH_MAX], gen[PATH_MAX], ports[PATH_MAX];
	char	 data[PATH_MAX], tls[3 * PATH_MAX], wrong[3 * PATH_MAX];
	char	 mtls[4 * PATH_MAX], text[8192];
	char	*argv[24];
	int	 p[2];

	memset(s, 0, sizeof *s);
	s->pid = -1;
	s->stdin_fd = -1;
	snprintf(s->dir, sizeof s->dir, "%s/lcks.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(s->dir) == NULL)
		return (-1);
	snprintf(gen, sizeof gen, "%s/tests/gen-certs.sh", srcdir());
	snprintf(script, sizeof script, "%s/tests/keystore_server.py",
	    srcdir());
	if (run((char *[]){ "sh", gen, s->dir, NULL }) != 0)
		return (-1);
	ks_path(s->ca, sizeof s->ca, s->dir, "ca.pem");
	ks_path(s->client_cert, sizeof s->client_cert, s->dir,
	    "client.pem");
	ks_path(s->client_key, sizeof s->client_key, s->dir, "client.key");
	ks_path(s->token_file, sizeof s->token_file, s->dir, "token");
	ks_path(data, sizeof data, s->dir, "data.json");
	ks_path(ports, sizeof ports, s->dir, "ports.json");
	snprintf(text, sizeof text, "{\"path\": \"%s\", \"values\": %s}",
	    path, values_json);
	if (ks_write_file(data, text, 0600) != 0 ||
	    ks_write_file(s->token_file, token, 0600) != 0)
		return (-1);
	snprintf(tls, sizeof tls, "tls:%s/server.pem:%s/server.key", s->dir,
	    s->dir);
	snprintf(wrong, sizeof wrong, "wrong:%s/wrong.pem:%s/wrong.key",
	    s->dir, s->dir);
	snprintf(mtls, sizeof mtls, "mtls:%s/server.pem:%s/server.key:%s",
	    s->dir, s->dir, s->ca);
	if (pipe(p) != 0)
		return (-1);
	argv[0] = "python3"; argv[1] = script;
	argv[2] = "--port-file"; argv[3] = ports;
	argv[4] = "--token-file"; argv[5] = s->token_file;
	argv[6] = "--data"; argv[7] = data;
	argv[8] = "--plain"; argv[9] = "plain";
	argv[10] = "--tls"; argv[11] = tls;
	argv[12] = "--tls"; argv[13] = wrong;
	argv[14] = "--mtls"; argv[15] = mtls;
	argv[16] = "--remove-on-exit"; argv[17] = s->dir;
	argv[18] = NULL;
	spawn(s, p[0], argv);
	close(p[0]);
	s->stdin_fd = p[1];
	fcntl(s->stdin_fd, F_SETFD, FD_CLOEXEC);
	if (s->pid == -1 || read_ports(s, ports) != 0) {
		ks_server_stop(s);
		return (-1);
	}
	return (0);
}

void
ks_server_stop(struct ks_server *s)
{
	if (s->stdin_fd != -1)
		close(s->stdin_fd);
	s->stdin_fd = -1;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
	if (s->dir[0] != '\0')
		ks_remove_tree(s->dir);
	s->dir[0] = '\0';
}

static size_t
collect_cb(char *p, size_t size, size_t n, void *arg)
{
	struct { char buf[4096]; size_t len; } *b = arg;
	size_t	 len = size * n;

	if (len > sizeof b->buf - 1 - b->len)
		return (0);
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return (len);
}

int
ks_server_count(const struct ks_server *s, const char *scenario,
    const char *tag, char **namespace)
{
	struct { char buf[4096]; size_t len; } b = { "", 0 };
	char	 url[512];
	CURL	*c;
	json_t	*o;
	int	 count = -1;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/_control/count/%s/%s",
	    s->plain, scenario, tag);
	if ((c = curl_easy_init()) == NULL)
		return (-1);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK &&
	    (o = json_loads(b.buf, 0, NULL)) != NULL) {
		count = (int)json_integer_value(json_object_get(o, "count"));
		if (namespace != NULL) {
			*namespace = json_is_string(json_object_get(o,
			    "namespace")) ? strdup(json_string_value(
			    json_object_get(o, "namespace"))) : NULL;
		}
		json_decref(o);
	}
	curl_easy_cleanup(c);
	return (count);
}
