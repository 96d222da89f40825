/*
 * libcurl, loaded on first use. lockcron and lockcrond are not linked with
 * libcurl: its ~30 dependencies (OpenSSL, GnuTLS, Kerberos, LDAP, ...) cost
 * every process 4 to 8 ms of loading and relocation and the daemon 5 to 6
 * MB of resident memory, while only a run that fetches secrets (or sends a
 * notification) talks HTTP. src/curl-load.c defines the curl_* functions
 * lockcron calls, with libcurl's own prototypes, and forwards each to the
 * library, loading it with dlopen() the first time; callers include
 * <curl/curl.h> and use libcurl as usual.
 */
#ifndef LOCKCRON_CURL_LOAD_H
#define LOCKCRON_CURL_LOAD_H

/*
 * Loads libcurl now (it is idempotent). The daemon calls it when a job
 * needs HTTP, so that the supervisors it forks inherit the loaded library
 * instead of loading it for each run. Returns 0, or -1 with *cause.
 */
int	 lc_curl_load(char **cause);
/* 1 once libcurl is loaded in this process. */
int	 lc_curl_loaded(void);

#endif
