/*
 * watch.c: list, then follow a collection's changes (?watch=1) on a connection of
 * its own, resuming after a dropped stream and listing again when the server says
 * the resourceVersion expired (410), so the caller sees each change once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

struct watch {
	struct kl_kube *k;
	kl_kube_watch_fn fn;
	void *arg;
	struct kl_err *err;
	long long deadline;
	struct kl_strbuf buf; /* the bytes of a line not yet complete */
	json_t *known;        /* "ns/name" -> the object as last seen */
	char *rv;
	int ended;  /* fn returned 1 */
	int failed; /* fn returned -1 */
	int gone;   /* 410: list again */
	int events; /* in this stream */
};

static char *
key_of(json_t *obj)
{
	return kl_xasprintf("%s/%s", kl_kube_meta(obj, "namespace") ?: "", kl_kube_meta(obj, "name") ?: "");
}

static void
set_rv(struct watch *w, json_t *obj)
{
	const char *rv = kl_kube_meta(obj, "resourceVersion");

	if (rv && *rv) {
		free(w->rv);
		w->rv = kl_xstrdup(rv);
	}
}

/* Report one event; 0 to go on. */
static int
report(struct watch *w, const char *type, json_t *obj)
{
	char *key = key_of(obj);
	int rc;

	if (strcmp(type, "DELETED") == 0)
		json_object_del(w->known, key);
	else
		json_object_set(w->known, key, obj);
	free(key);
	rc = w->fn(w->arg, type, obj, w->err);
	if (rc > 0)
		w->ended = 1;
	else if (rc < 0)
		w->failed = 1;
	return rc;
}

static void
line(struct watch *w, const char *text, size_t len)
{
	json_t *ev = json_loadb(text, len, 0, NULL), *obj = json_object_get(ev, "object");
	const char *type = kl_json_str(ev, "type");

	if (type == NULL || obj == NULL) {
		kl_debug("kube: watch: not an event: %.*s", (int)(len > 200 ? 200 : len), text);
	} else if (strcmp(type, "ERROR") == 0) {
		/* A Status: 410 Gone means the resourceVersion is too old. */
		if (kl_json_int(obj, "code", 0) == 410)
			w->gone = 1;
		else
			kl_debug("kube: watch error: %s", kl_json_str(obj, "message") ?: "?");
	} else if (strcmp(type, "BOOKMARK") == 0) {
		set_rv(w, obj);
	} else {
		set_rv(w, obj);
		w->events++;
		report(w, type, obj);
	}
	json_decref(ev);
}

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct watch *w = arg;
	char *nl;

	kl_strbuf_add(&w->buf, data, size * n);
	while (!w->ended && !w->failed && !w->gone && (nl = memchr(w->buf.buf, '\n', w->buf.len)) != NULL) {
		size_t len = (size_t)(nl - w->buf.buf);

		if (len)
			line(w, w->buf.buf, len);
		memmove(w->buf.buf, nl + 1, w->buf.len - len - 1);
		kl_strbuf_setlen(&w->buf, w->buf.len - len - 1);
	}
	/* Returning less than given ends the transfer. */
	return w->ended || w->failed || w->gone ? 0 : size * n;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct watch *w = arg;

	(void)a, (void)b, (void)c, (void)d;
	return (w->k->stop && *w->k->stop) || (w->deadline && kl_now_ms() >= w->deadline);
}

/* List and report: everything as ADDED the first time; after a 410, the differences. */
static int
relist(struct watch *w, const char *path, const char *selector, int first)
{
	json_t *items = NULL, *seen = json_object(), *it, *old;
	const char *key;
	void *tmp;
	size_t i;
	char *rv = NULL;
	int rc;

	if (kl_kube_list(w->k, path, selector, &items, &rv, w->err) != 0) {
		json_decref(seen);
		return -1;
	}
	free(w->rv);
	w->rv = rv;
	json_array_foreach(items, i, it) {
		char *k = key_of(it);

		old = json_object_get(w->known, k);
		json_object_set_new(seen, k, json_true());
		if (first || old == NULL)
			rc = report(w, "ADDED", it);
		else if (strcmp(kl_kube_meta(old, "resourceVersion") ?: "", kl_kube_meta(it, "resourceVersion") ?: ""))
			rc = report(w, "MODIFIED", it);
		else
			rc = 0;
		free(k);
		if (rc != 0)
			break;
	}
	if (!w->ended && !w->failed) {
		json_object_foreach_safe(w->known, tmp, key, old) {
			if (json_object_get(seen, key) == NULL) {
				json_incref(old);
				rc = report(w, "DELETED", old);
				json_decref(old);
				if (rc != 0)
					break;
			}
		}
	}
	json_decref(seen);
	json_decref(items);
	return w->failed ? -1 : 0;
}

int
kl_kube_watch(struct kl_kube *k, const char *path, const char *label_selector, long long deadline_ms,
	      kl_kube_watch_fn fn, void *arg, struct kl_err *err)
{
	struct watch w = { .k = k, .fn = fn, .arg = arg, .err = err, .deadline = deadline_ms,
			   .buf = KL_STRBUF_INIT, .known = json_object() };
	char *sel = label_selector && *label_selector ? kl_kube_escape(label_selector) : NULL;
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	long long backoff = 100;
	int rc = -1;

	if (h == NULL)
		abort();
	kl_kube_setup_handle(k, h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
	if (relist(&w, path, label_selector, 1) != 0)
		goto out;
	while (!w.ended) {
		char *url = kl_xasprintf("%s%s%swatch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=%s%s%s",
					 k->server, path, kl_kube_qsep(path), w.rv ? w.rv : "", sel ? "&labelSelector=" : "",
					 sel ? sel : "");
		long status = 0;
		CURLcode c;

		kl_strbuf_reset(&w.buf);
		w.events = 0;
		curl_easy_setopt(h, CURLOPT_URL, url);
		c = curl_easy_perform(h);
		free(url);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (w.failed)
			goto out;
		if (w.ended)
			break;
		if (k->stop && *k->stop) {
			kl_err_set(err, KL_R_INTERRUPTED, "interrupted while watching '%s'", path);
			goto out;
		}
		if (w.deadline && kl_now_ms() >= w.deadline) {
			kl_err_set(err, KL_R_K8S_WAIT, "timed out watching '%s' on %s", path, kl_kube_label(k));
			goto out;
		}
		if (w.gone) {
			kl_debug("kube: watch %s: resourceVersion %s expired, listing again", path, w.rv);
			w.gone = 0;
			if (relist(&w, path, label_selector, 0) != 0)
				goto out;
			continue;
		}
		if (c == CURLE_OK && status != 200 && !kl_kube_retryable(status, 0, w.buf.buf)) {
			struct kl_kube_resp resp = { .status = status, .raw = w.buf };

			resp.body = json_loadb(w.buf.buf, w.buf.len, 0, NULL);
			kl_kube_status_error(&resp, err, "cannot watch '%s' on %s", path, kl_kube_label(k));
			json_decref(resp.body);
			goto out;
		}
		if (c != CURLE_OK || status != 200) {
			kl_debug("kube: watch %s: %s, again in %lld ms", path,
				 c != CURLE_OK ? curl_easy_strerror(c) : "server busy", backoff);
			if (kl_kube_sleep(k, backoff, err) != 0)
				goto out;
			backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
		} else {
			backoff = 100; /* the server ended a healthy stream (timeoutSeconds) */
		}
	}
	rc = 0;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	kl_strbuf_release(&w.buf);
	json_decref(w.known);
	free(w.rv);
	free(sel);
	return rc;
}
