/* download.c: parallel downloads with libcurl multi, hashed while they arrive. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "download.h"

#define BACKOFF_MS 300          /* 300 ms, then 600 ms */
#define MEM_LIMIT (1024 * 1024)
#define CHECKSUM_RETRIES 1

struct xfer {
	struct kl_dl *dl;
	CURL *easy;
	char *tmp;
	int fd;
	int write_errno;
	EVP_MD_CTX *md;
	long long retry_at;         /* ms, monotonic; 0: not waiting */
	int checksum_retries;
	int done;
	char curl_err[CURL_ERROR_SIZE];
	kl_dl_progress_fn progress;
	void *progress_arg;
};



static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * nmemb, off = 0;

	if (x->dl->mem) {
		if (x->dl->mem->len + len > MEM_LIMIT)
			return 0;
		kl_strbuf_add(x->dl->mem, ptr, len);
		x->dl->bytes += (long long)len;
		return len;
	}
	if (x->fd < 0) {
		x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (x->fd < 0) {
			x->write_errno = errno;
			return 0;
		}
	}
	while (off < len) {
		ssize_t n = write(x->fd, ptr + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			x->write_errno = errno;
			return 0;
		}
		off += (size_t)n;
	}
	EVP_DigestUpdate(x->md, ptr, len);
	x->dl->bytes += (long long)len;
	return len;
}

static int
on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = clientp;

	(void)ultotal;
	(void)ulnow;
	if (x->progress && x->dl->dest)
		x->progress(x->progress_arg, x->dl->name, dlnow, dltotal);
	return 0;
}

/* Throw away what an attempt wrote. */
static void
discard(struct xfer *x)
{
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
	if (x->tmp)
		unlink(x->tmp);
	if (x->dl->mem)
		kl_strbuf_reset(x->dl->mem);
	x->dl->bytes = 0;
}

static void
start(CURLM *multi, struct xfer *x)
{
	x->dl->attempts++;
	x->retry_at = 0;
	x->write_errno = 0;
	x->curl_err[0] = '\0';
	if (x->dl->dest)
		EVP_DigestInit_ex(x->md, EVP_sha256(), NULL);
	curl_easy_reset(x->easy);
	curl_easy_setopt(x->easy, CURLOPT_URL, x->dl->url);
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "kubelaunch");
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	/* A stall (under 1 KiB/s for 30 s) is a failure to retry. */
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(x->easy, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(x->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_multi_add_handle(multi, x->easy);
}

enum outcome { DONE, RETRY, FAIL };

static int
unreachable(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY || (rc == CURLE_OPERATION_TIMEDOUT);
}

/* Decide what a finished attempt means; on FAIL, err is set. */
static enum outcome
finish(struct xfer *x, CURLcode rc, struct kl_err *err)
{
	struct kl_dl *dl = x->dl;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const char *why = x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc);

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &dl->http_status);
	if (rc == CURLE_WRITE_ERROR && x->write_errno) {
		errno = x->write_errno;
		discard(x);
		errno = x->write_errno;
		kl_err_errno(err, errno == ENOSPC || errno == EDQUOT ? KL_R_RSRC_DISK : KL_R_HOST_IO,
			     "cannot save '%s' from '%s' into '%s'", dl->name, dl->url, dl->dest);
		return FAIL;
	}
	if (rc == CURLE_WRITE_ERROR && dl->mem) {
		discard(x);
		kl_err_set(err, KL_R_INET_DOWNLOAD, "'%s' is larger than expected", dl->url);
		return FAIL;
	}
	if (rc == CURLE_FILE_COULDNT_READ_FILE) {
		discard(x);
		dl->not_found = 1;
		kl_err_set(err, KL_R_INET_NOT_FOUND, "'%s' does not exist", dl->url);
		return FAIL;
	}
	if (rc != CURLE_OK) {
		int nothing = dl->bytes == 0 && dl->http_status == 0;

		discard(x);
		kl_debug("download: %s: attempt %d: %s", dl->url, dl->attempts, why);
		if (dl->attempts < KL_DL_TRIES)
			return RETRY;
		if (unreachable(rc) && nothing)
			kl_err_set(err, KL_R_INET_UNREACHABLE, "cannot reach '%s': %s", dl->url, why);
		else
			kl_err_set(err, KL_R_INET_DOWNLOAD, "cannot download '%s': %s", dl->url, why);
		return FAIL;
	}
	if (dl->http_status == 404 || dl->http_status == 410) {
		discard(x);
		dl->not_found = 1;
		kl_err_set(err, KL_R_INET_NOT_FOUND, "'%s' does not exist (HTTP %ld)", dl->url, dl->http_status);
		return FAIL;
	}
	if (dl->http_status >= 400 || (dl->http_status != 0 && dl->http_status < 200)) {
		discard(x);
		kl_debug("download: %s: attempt %d: HTTP %ld", dl->url, dl->attempts, dl->http_status);
		if ((dl->http_status >= 500 || dl->http_status == 429 || dl->http_status == 408) &&
		    dl->attempts < KL_DL_TRIES)
			return RETRY;
		kl_err_set(err, KL_R_INET_DOWNLOAD, "cannot download '%s': HTTP %ld", dl->url, dl->http_status);
		return FAIL;
	}
	if (dl->mem)
		return DONE;
	if (x->fd < 0) /* an empty body: create the file all the same */
		x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	EVP_DigestFinal_ex(x->md, digest, &len);
	kl_hex_encode(digest, len, dl->sha256_got);
	if (x->fd < 0 || fsync(x->fd) != 0 || close(x->fd) != 0) {
		int e = errno;
		x->fd = -1;
		discard(x);
		errno = e;
		kl_err_errno(err, e == ENOSPC || e == EDQUOT ? KL_R_RSRC_DISK : KL_R_HOST_IO, "cannot save '%s'",
			     dl->dest);
		return FAIL;
	}
	x->fd = -1;
	if (dl->sha256 && strcasecmp(dl->sha256, dl->sha256_got) != 0) {
		discard(x);
		kl_debug("download: %s: sha256 %s, want %s", dl->url, dl->sha256_got, dl->sha256);
		if (x->checksum_retries++ < CHECKSUM_RETRIES) {
			dl->attempts = 0;
			return RETRY;
		}
		kl_err_set(err, KL_R_INET_CHECKSUM, "the sha256 of '%s' is %s, not %s as published beside it",
			   dl->url, dl->sha256_got, dl->sha256);
		return FAIL;
	}
	if (rename(x->tmp, dl->dest) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot rename '%s' to '%s'", x->tmp, dl->dest);
		discard(x);
		return FAIL;
	}
	return DONE;
}

static void
global_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

int
kl_download(struct kl_dl *items, size_t n, kl_dl_progress_fn progress, void *arg, struct kl_err *err)
{
	struct xfer *xs = kl_xcalloc(n ? n : 1, sizeof(*xs));
	CURLM *multi;
	size_t left = n;
	int rc = -1, running = 0;

	global_init();
	multi = curl_multi_init();
	for (size_t i = 0; i < n; i++) {
		xs[i].dl = &items[i];
		xs[i].fd = -1;
		xs[i].easy = curl_easy_init();
		xs[i].md = EVP_MD_CTX_new();
		xs[i].progress = progress;
		xs[i].progress_arg = arg;
		items[i].attempts = 0;
		items[i].not_found = 0;
		if (items[i].dest)
			xs[i].tmp = kl_xasprintf("%s.part.%d", items[i].dest, (int)getpid());
		if (xs[i].easy == NULL || xs[i].md == NULL)
			abort();
		start(multi, &xs[i]);
	}
	while (left > 0) {
		long long now, next = 0;
		CURLMsg *msg;
		int q;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &q)) != NULL) {
			struct xfer *x = NULL;
			enum outcome o;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(multi, x->easy);
			o = finish(x, msg->data.result, err);
			if (o == FAIL)
				goto out;
			if (o == DONE) {
				x->done = 1;
				left--;
				continue;
			}
			x->retry_at = kl_now_ms() + (long long)BACKOFF_MS * (1LL << (x->dl->attempts > 0 ? x->dl->attempts - 1 : 0));
		}
		now = kl_now_ms();
		for (size_t i = 0; i < n; i++) {
			if (xs[i].done || xs[i].retry_at == 0)
				continue;
			if (xs[i].retry_at <= now)
				start(multi, &xs[i]);
			else if (next == 0 || xs[i].retry_at < next)
				next = xs[i].retry_at;
		}
		if (left > 0)
			curl_multi_poll(multi, NULL, 0, next ? (int)(next - now > 0 ? next - now : 1) : 1000, NULL);
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		curl_multi_remove_handle(multi, xs[i].easy);
		if (!xs[i].done)
			discard(&xs[i]);
		curl_easy_cleanup(xs[i].easy);
		EVP_MD_CTX_free(xs[i].md);
		free(xs[i].tmp);
	}
	curl_multi_cleanup(multi);
	free(xs);
	return rc;
}
