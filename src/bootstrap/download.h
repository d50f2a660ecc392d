/* download.h (private to src/bootstrap): parallel HTTP downloads with libcurl multi. */
#ifndef KL_BOOTSTRAP_DOWNLOAD_H
#define KL_BOOTSTRAP_DOWNLOAD_H

#include <curl/curl.h>

#include "kubelaunch/err.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/strbuf.h"

#define KL_DL_TRIES 3 /* attempts per file for transient failures (backoff between) */

struct kl_dl {
	/* in */
	const char *url;
	const char *name;          /* for progress and messages */
	const char *dest;          /* write here (through dest.part.PID, renamed), or NULL */
	struct kl_strbuf *mem;     /* or collect a small body here (at most 1 MiB) */
	const char *sha256;        /* expected hex digest of the body, or NULL */
	/* out */
	char sha256_got[65];       /* the body's digest (files only) */
	long long bytes;
	long http_status;
	int not_found;             /* the server answered 404 (or 410) */
	int attempts;
};

typedef void (*kl_dl_progress_fn)(void *arg, const char *name, curl_off_t now, curl_off_t total);

/* Fetch every item at once. Transient failures (connection refused or reset, 5xx,
 * timeouts, stalls) are retried KL_DL_TRIES times with backoff; a checksum mismatch
 * deletes the file and is retried once. On the first failure that stays, the other
 * transfers stop, no temporary file is left, and the error names the URL:
 * INET_UNREACHABLE (no connection), INET_NOT_FOUND (404; item->not_found set),
 * INET_CHECKSUM_MISMATCH, RSRC_INSUFFICIENT_DISK (ENOSPC), INET_DOWNLOAD (the rest).
 * Proxies come from the environment (libcurl's rules: http_proxy, https_proxy,
 * HTTPS_PROXY, no_proxy/NO_PROXY); TLS is always verified. */
int kl_download(struct kl_dl *items, size_t n, kl_dl_progress_fn progress, void *arg, struct kl_err *err);

/* base + "/" + rest, base's trailing slashes dropped: a new string. */
char *kl_url_join(const char *base, const char *rest);
/* The cache's files: DIR/NAME, DIR/NAME.sha256 (its digest) and DIR/.NAME.verified (a
 * stamp of its size, mtime and inode when the digest was checked). 1 when DIR/NAME is
 * a verified copy: a copy that changed since is hashed again, one that fails deleted. */
int kl_dl_cached_ok(const char *dir, const char *name);
/* After a verified download into DIR/NAME: mode 0755, NAME.sha256 holding `sha`, the
 * stamp. On failure DIR/NAME is removed (no file without its checksum). */
int kl_dl_commit(const char *dir, const char *name, const char *sha, struct kl_err *err);

/* kl_sha256_file and friends: include/kubelaunch/hash.h. */

#endif
