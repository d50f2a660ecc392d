/* image.c: find, fetch and verify the guest image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/image.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/json.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/log.h"
#include "kubelaunch/version.h"
#include "kubelaunch/xalloc.h"

#ifndef KL_ISO_DEFAULT
#define KL_ISO_DEFAULT ""
#endif
#define KL_ISO_RELEASE_URL \
	"https://github.com/kubelaunch/kubelaunch/releases/download/" KL_VERSION "/kubelaunch-" KL_ISO_VERSION ".iso"

const char *
kl_image_default_url(void)
{
	static char url[4096];

	if (KL_ISO_DEFAULT[0] && access(KL_ISO_DEFAULT, R_OK) == 0) {
		snprintf(url, sizeof(url), "file://%s", KL_ISO_DEFAULT);
		return url;
	}
	return KL_ISO_RELEASE_URL;
}

/* The first SIGINT/SIGTERM ends the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return kl_interrupted() != 0;
}

/* GET url into path (temp file PATH.part.PID + rename; those of killed runs are
 * removed first); TLS verified, proxies from the environment. */
static int
fetch(const char *url, const char *path, struct kl_err *err)
{
	char *tmp = kl_xasprintf("%s.part.%d", path, (int)getpid());
	char *dir = kl_xstrdup(path), *slash = strrchr(dir, '/');
	char *prefix = kl_xasprintf("%s.part.", slash ? slash + 1 : path);
	char cerr[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	FILE *fp = fopen(tmp, "wbe");
	CURLcode cc;
	long code = 0;
	int rc = -1;

	if (slash) {
		*slash = '\0';
		kl_remove_stale_temp_files(dir, prefix, NULL);
	}
	if (fp == NULL) {
		kl_err_errno(err, errno == ENOSPC ? KL_R_RSRC_DISK : KL_R_HOST_IO, "cannot write '%s'", tmp);
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (fclose(fp) != 0 && cc == CURLE_OK)
		cc = CURLE_WRITE_ERROR;
	fp = NULL;
	if (kl_interrupted()) {
		char what[600];

		snprintf(what, sizeof(what), "downloading '%s'", url);
		kl_interrupt_err(err, what);
		unlink(tmp);
		goto out;
	}
	if (cc != CURLE_OK) {
		enum kl_reason r = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ?
					   KL_R_INET_UNREACHABLE :
				   code == 404 ? KL_R_INET_NOT_FOUND :
				   cc == CURLE_WRITE_ERROR ? KL_R_HOST_IO : KL_R_INET_DOWNLOAD;
		kl_err_set(err, r, "cannot download '%s': %s", url, cerr[0] ? cerr : curl_easy_strerror(cc));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	curl_easy_cleanup(c);
	free(prefix);
	free(dir);
	free(tmp);
	return rc;
}

/* Hashing a 200 MB image takes a while: remember what was verified. */
static int
verified_before(const char *home, const char *path, const struct stat *st, const char *want)
{
	char *db = kl_home_path(home, KL_HOME_ISO, "verified.json", NULL);
	json_t *all = NULL, *e;
	int ok = 0;

	if (kl_json_load_file(db, 1, &all, NULL) == 0 && (e = json_object_get(all, path)) != NULL)
		ok = kl_json_int(e, "size", -1) == (long long)st->st_size &&
		     kl_json_int(e, "mtime", -1) == (long long)st->st_mtime &&
		     kl_json_str(e, "sha256") && strcmp(kl_json_str(e, "sha256"), want) == 0;
	json_decref(all);
	free(db);
	return ok;
}

static void
remember(const char *home, const char *path, const struct stat *st, const char *sum)
{
	char *dir = kl_home_path(home, KL_HOME_ISO, NULL), *db = kl_xasprintf("%s/verified.json", dir);
	char *lock = kl_xasprintf("%s.lock", db);
	json_t *all = NULL;
	int fd;

	if (kl_mkdir_p(dir, 0755, NULL) == 0 && (fd = kl_lock(lock, 1, 5000, NULL)) >= 0) {
		if (kl_json_load_file(db, 1, &all, NULL) == 0) {
			json_object_set_new(all, path, json_pack("{s:I, s:I, s:s}", "size", (json_int_t)st->st_size,
								 "mtime", (json_int_t)st->st_mtime, "sha256", sum));
			kl_json_save_file(db, all, 0644, NULL);
		}
		json_decref(all);
		kl_unlock(fd);
	}
	free(lock);
	free(db);
	free(dir);
}

static int
verify(const char *home, const char *url, const char *path, const char *sumfile, struct kl_err *err)
{
	struct kl_strbuf text = KL_STRBUF_INIT;
	char want[KL_SHA256_HEX], got[KL_SHA256_HEX];
	struct stat st;
	int rc = -1;

	if (stat(path, &st) != 0) {
		kl_err_errno(err, KL_R_GUEST_IMAGE, "cannot read the guest image '%s'", path);
		goto out;
	}
	if (kl_read_file(sumfile, &text, NULL) != 0 || kl_sha256_parse(text.buf, want) != 0) {
		kl_err_set(err, KL_R_GUEST_IMAGE, "cannot verify the guest image '%s': no checksum in '%s'", url,
			   sumfile);
		goto out;
	}
	if (verified_before(home, path, &st, want)) {
		rc = 0;
		goto out;
	}
	if (kl_sha256_file(path, got, err) != 0)
		goto out;
	if (strcmp(want, got) != 0) {
		kl_err_set(err, KL_R_GUEST_IMAGE, "the guest image '%s' does not match its checksum (sha256 %s, "
			   "expected %s)", url, got, want);
		goto out;
	}
	remember(home, path, &st, got);
	rc = 0;
out:
	kl_strbuf_release(&text);
	return rc;
}

int
kl_image_resolve(const char *home, const char *url, char **path, struct kl_err *err)
{
	char *sumfile = NULL, *sumurl = NULL, *dir = NULL;
	const char *base;
	int rc = -1;

	*path = NULL;
	if (strncmp(url, "file://", 7) == 0) {
		*path = kl_xstrdup(url + 7);
		sumfile = kl_xasprintf("%s.sha256", *path);
		if (access(*path, R_OK) != 0) {
			kl_err_errno(err, KL_R_GUEST_IMAGE, "cannot read the guest image '%s'", *path);
			goto out;
		}
	} else if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0) {
		base = strrchr(url, '/') + 1;
		if (*base == '\0' || strchr(base, '?')) {
			kl_err_set(err, KL_R_USAGE_VALUE, "'%s' does not name an image file", url);
			goto out;
		}
		dir = kl_home_path(home, KL_HOME_ISO, NULL);
		*path = kl_xasprintf("%s/%s", dir, base);
		sumfile = kl_xasprintf("%s.sha256", *path);
		sumurl = kl_xasprintf("%s.sha256", url);
		if (kl_mkdir_p(dir, 0755, err) != 0 || fetch(sumurl, sumfile, err) != 0)
			goto out;
		if (!kl_path_exists(*path) && fetch(url, *path, err) != 0)
			goto out;
	} else {
		kl_err_set(err, KL_R_USAGE_VALUE, "invalid --iso-url '%s': use file://, http:// or https://", url);
		goto out;
	}
	rc = verify(home, url, *path, sumfile, err);
out:
	if (rc != 0) {
		free(*path);
		*path = NULL;
	}
	free(dir);
	free(sumurl);
	free(sumfile);
	return rc;
}
