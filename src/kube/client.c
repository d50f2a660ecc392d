/*
 * client.c: requests to a Kubernetes API server over one keep-alive libcurl handle,
 * TLS verified against the given CA, retried with backoff while the server restarts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "kube-int.h"

#define DEFAULT_WINDOW_MS 30000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000

static void
set_str(char **dst, const char *src)
{
	*dst = src && *src ? kl_xstrdup(src) : NULL;
}

struct kl_kube *
kl_kube_new(const struct kl_kube_config *cfg, struct kl_err *err)
{
	struct kl_kube *k;
	static int curl_ready;

	if (cfg->server == NULL || strncmp(cfg->server, "https://", 8) != 0) {
		kl_err_set(err, KL_R_K8S_APISERVER, "no API server address for %s%s%s",
			   cfg->name ? cfg->name : "the cluster", cfg->server ? ": not https: " : "",
			   cfg->server ? cfg->server : "");
		return NULL;
	}
	if ((cfg->ca_path == NULL || !*cfg->ca_path) && (cfg->ca_data == NULL || !*cfg->ca_data)) {
		kl_err_set(err, KL_R_K8S_APISERVER_TLS, "no CA certificate to verify '%s' with", cfg->server);
		return NULL;
	}
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	k = kl_xcalloc(1, sizeof(*k));
	set_str(&k->name, cfg->name);
	k->server = kl_xstrdup(cfg->server);
	while (strlen(k->server) > 8 && k->server[strlen(k->server) - 1] == '/')
		k->server[strlen(k->server) - 1] = '\0';
	set_str(&k->ca_path, cfg->ca_path);
	set_str(&k->cert_path, cfg->cert_path);
	set_str(&k->key_path, cfg->key_path);
	k->ca_pem = (struct kl_strbuf)KL_STRBUF_INIT;
	k->cert_pem = (struct kl_strbuf)KL_STRBUF_INIT;
	k->key_pem = (struct kl_strbuf)KL_STRBUF_INIT;
	if (cfg->ca_data)
		kl_strbuf_addstr(&k->ca_pem, cfg->ca_data);
	if (cfg->cert_data)
		kl_strbuf_addstr(&k->cert_pem, cfg->cert_data);
	if (cfg->key_data)
		kl_strbuf_addstr(&k->key_pem, cfg->key_data);
	k->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	k->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
	k->h = curl_easy_init();
	if (k->h == NULL)
		abort();
	kl_kube_setup_handle(k, k->h);
	return k;
}

void
kl_kube_free(struct kl_kube *k)
{
	if (k == NULL)
		return;
	kl_kube_discovery_reset(k);
	curl_easy_cleanup(k->h);
	curl_slist_free_all(k->headers);
	free(k->name);
	free(k->server);
	free(k->ca_path);
	free(k->cert_path);
	free(k->key_path);
	kl_strbuf_release(&k->ca_pem);
	kl_strbuf_release(&k->cert_pem);
	if (k->key_pem.alloc)
		OPENSSL_cleanse(k->key_pem.buf, k->key_pem.alloc);
	kl_strbuf_release(&k->key_pem);
	free(k);
}

void
kl_kube_set_deadline(struct kl_kube *k, long long deadline_ms)
{
	k->deadline = deadline_ms;
}

long long
kl_kube_deadline(const struct kl_kube *k)
{
	return k->deadline;
}

long long
kl_kube_request_deadline(const struct kl_kube *k)
{
	return k->deadline ? k->deadline : kl_now_ms() + DEFAULT_WINDOW_MS;
}

void
kl_kube_set_stop(struct kl_kube *k, volatile sig_atomic_t *flag)
{
	k->stop = flag;
}

const char *
kl_kube_server(const struct kl_kube *k)
{
	return k->server;
}

const char *
kl_kube_label(const struct kl_kube *k)
{
	return k->name ? k->name : k->server;
}

static void
set_blob(CURL *h, CURLoption opt, const struct kl_strbuf *pem)
{
	struct curl_blob b = { .data = pem->buf, .len = pem->len, .flags = CURL_BLOB_COPY };

	curl_easy_setopt(h, opt, &b);
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	volatile sig_atomic_t *stop = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return stop && *stop;
}

void
kl_kube_setup_handle(struct kl_kube *k, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	/* Only our CA: not the system's store. */
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (k->ca_pem.len)
		set_blob(h, CURLOPT_CAINFO_BLOB, &k->ca_pem);
	else
		curl_easy_setopt(h, CURLOPT_CAINFO, k->ca_path);
	if (k->cert_pem.len)
		set_blob(h, CURLOPT_SSLCERT_BLOB, &k->cert_pem);
	else if (k->cert_path)
		curl_easy_setopt(h, CURLOPT_SSLCERT, k->cert_path);
	if (k->key_pem.len)
		set_blob(h, CURLOPT_SSLKEY_BLOB, &k->key_pem);
	else if (k->key_path)
		curl_easy_setopt(h, CURLOPT_SSLKEY, k->key_path);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)k->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/* The API server is on loopback or the machine: no proxy between. */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kubelaunch");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, k->stop);
}

void
kl_kube_resp_init(struct kl_kube_resp *r)
{
	r->status = 0;
	r->date = 0;
	r->body = NULL;
	r->raw = (struct kl_strbuf)KL_STRBUF_INIT;
}

void
kl_kube_resp_release(struct kl_kube_resp *r)
{
	json_decref(r->body);
	r->body = NULL;
	kl_strbuf_release(&r->raw);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	kl_strbuf_add(arg, data, size * n);
	return size * n;
}

/* The Date header: the server's clock (a VM's may differ from the host's). */
static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct kl_kube_resp *resp = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(data, "date:", 5) == 0) {
		char line[128];
		time_t t;

		snprintf(line, sizeof(line), "%.*s", (int)(len - 5), data + 5);
		t = curl_getdate(line, NULL);
		resp->date = t > 0 ? (long long)t : 0;
	}
	return len;
}

int
kl_kube_retryable(long status, int curl_code, const char *body)
{
	if (status == 0) {
		switch (curl_code) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SSL_CONNECT_ERROR: /* the server went away in the handshake */
		case CURLE_HTTP2:             /* ... or with the HTTP/2 connection open */
		case CURLE_HTTP2_STREAM:
			return 1;
		default:
			return 0;
		}
	}
	if (status == 429 || status == 502 || status == 503 || status == 504)
		return 1;
	if (status == 500 && body &&
	    (strstr(body, "etcdserver: leader changed") || strstr(body, "etcdserver: request timed out") ||
	     strstr(body, "etcdserver: too many requests")))
		return 1;
	return 0;
}

int
kl_kube_sleep(struct kl_kube *k, long long ms, struct kl_err *err)
{
	long long end = kl_now_ms() + ms;

	for (;;) {
		long long left = end - kl_now_ms();

		if (k->stop && *k->stop)
			return kl_err_set(err, KL_R_INTERRUPTED, "interrupted while talking to the API server at %s",
					  k->server);
		if (left <= 0)
			return 0;
		kl_sleep_ms(left < 100 ? left : 100);
	}
}

static int
tls_code(int c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
	       c == CURLE_SSL_ISSUER_ERROR;
}

/* An answer came on h: its status, and its body parsed when it is JSON. */
static void
answered(CURL *h, struct kl_kube_resp *resp)
{
	char *ctype = NULL;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	if (resp->raw.len && ((ctype && strstr(ctype, "json")) || resp->raw.buf[0] == '{'))
		resp->body = json_loadb(resp->raw.buf, resp->raw.len, 0, NULL);
}

/* One attempt. 0 with resp filled when an answer came; else the curl code. */
static int
attempt(struct kl_kube *k, const char *method, const char *url, const char *body, size_t len, long timeout_ms,
	struct kl_kube_resp *resp, char *errbuf)
{
	CURLcode c;

	kl_strbuf_reset(&resp->raw);
	json_decref(resp->body);
	resp->body = NULL;
	resp->status = 0;
	resp->date = 0;
	errbuf[0] = '\0';
	curl_easy_setopt(k->h, CURLOPT_URL, url);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(k->h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, &resp->raw);
	curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(k->h, CURLOPT_XFERINFODATA, k->stop);
	c = curl_easy_perform(k->h);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, NULL);
	if (c != CURLE_OK)
		return (int)c;
	answered(k->h, resp);
	return 0;
}

int
kl_kube_do(struct kl_kube *k, const char *method, const char *path, const char *content_type, const char *accept,
	   const char *body, size_t len, struct kl_kube_resp *resp, struct kl_err *err)
{
	long long deadline = kl_kube_request_deadline(k), backoff = BACKOFF_FIRST_MS, t0 = kl_now_ms();
	char *url = kl_xasprintf("%s%s", k->server, path);
	char errbuf[CURL_ERROR_SIZE];
	int tries = 0, rc = -1;

	curl_slist_free_all(k->headers);
	k->headers = NULL;
	if (content_type) {
		char *h = kl_xasprintf("Content-Type: %s", content_type);
		k->headers = curl_slist_append(k->headers, h);
		free(h);
	}
	{
		char *h = kl_xasprintf("Accept: %s", accept ? accept : "application/json");
		k->headers = curl_slist_append(k->headers, h);
		free(h);
	}
	for (;;) {
		long long now = kl_now_ms(), left = deadline - now;
		long timeout = (long)(left < k->timeout_ms ? left : k->timeout_ms);
		int c;

		if (timeout < 1000)
			timeout = 1000;
		tries++;
		c = attempt(k, method, url, body, len, timeout, resp, errbuf);
		if (c == CURLE_ABORTED_BY_CALLBACK) {
			kl_err_set(err, KL_R_INTERRUPTED, "interrupted: %s %s", method, path);
			break;
		}
		if (c == 0 && !kl_kube_retryable(resp->status, 0, resp->raw.buf)) {
			rc = 0;
			break;
		}
		if (c != 0 && tls_code(c)) {
			kl_err_set(err, KL_R_K8S_APISERVER_TLS, "cannot talk to the API server of %s at %s: %s",
				   kl_kube_label(k), k->server, errbuf[0] ? errbuf : curl_easy_strerror(c));
			break;
		}
		if ((c != 0 && !kl_kube_retryable(0, c, NULL)) || kl_now_ms() + backoff >= deadline) {
			if (c == 0) {
				/* Out of time on a retryable answer: it is the answer. */
				rc = 0;
				break;
			}
			{
				char retried[64] = "";

				if (tries > 1)
					snprintf(retried, sizeof(retried), " (tried for %.1f s)",
						 (kl_now_ms() - t0) / 1000.0);
				kl_err_set(err, c == CURLE_SSL_CONNECT_ERROR ? KL_R_K8S_APISERVER_TLS : KL_R_K8S_APISERVER,
					   "cannot reach the API server of %s at %s%s: %s", kl_kube_label(k), k->server,
					   retried, errbuf[0] ? errbuf : curl_easy_strerror(c));
			}
			break;
		}
		kl_debug("kube: %s %s: %s, retrying in %lld ms", method, path,
			 c ? (errbuf[0] ? errbuf : curl_easy_strerror(c)) : "server busy", backoff);
		if (c == 0 && resp->status == 429) {
			curl_off_t ra = 0;

			if (curl_easy_getinfo(k->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0 && ra < 10)
				backoff = ra * 1000;
		}
		if (kl_kube_sleep(k, backoff, err) != 0)
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	kl_debug("kube: %s %s -> %ld (%lld ms, %d tries)", method, path, resp->status, kl_now_ms() - t0, tries);
	free(url);
	return rc;
}

int
kl_kube_request(struct kl_kube *k, const char *method, const char *path, const char *content_type, const char *body,
		size_t len, struct kl_kube_resp *resp, struct kl_err *err)
{
	return kl_kube_do(k, method, path, content_type, NULL, body, len, resp, err);
}

int
kl_kube_status_error(const struct kl_kube_resp *resp, struct kl_err *err, const char *what_fmt, ...)
{
	const char *msg = resp->body ? kl_json_str(resp->body, "message") : NULL;
	const char *why = resp->body ? kl_json_str(resp->body, "reason") : NULL;
	enum kl_reason r = KL_R_K8S_APISERVER;
	char what[512];
	struct kl_strbuf text = KL_STRBUF_INIT;
	va_list ap;

	va_start(ap, what_fmt);
	vsnprintf(what, sizeof(what), what_fmt, ap);
	va_end(ap);
	if (resp->status == 404)
		r = KL_R_K8S_API_NOT_FOUND;
	else if (resp->status >= 400 && resp->status < 500)
		r = KL_R_K8S_API_REJECTED;
	if (msg == NULL) {
		/* Not a Status: the first line of the text. */
		kl_strbuf_add(&text, resp->raw.buf, strcspn(resp->raw.buf, "\n"));
		if (text.len > 300)
			kl_strbuf_setlen(&text, 300);
		msg = text.len ? text.buf : "(no message)";
	}
	kl_err_set(err, r, "%s: the server said: %s (%ld%s%s)", what, msg, resp->status, why ? " " : "",
		   why ? why : "");
	kl_strbuf_release(&text);
	return -1;
}

static int
get_checked(struct kl_kube *k, const char *path, struct kl_kube_resp *resp, struct kl_err *err)
{
	if (kl_kube_request(k, "GET", path, NULL, NULL, 0, resp, err) != 0)
		return -1;
	if (resp->status / 100 != 2)
		return kl_kube_status_error(resp, err, "cannot get '%s' from %s", path, kl_kube_label(k));
	return 0;
}

int
kl_kube_get(struct kl_kube *k, const char *path, json_t **out, struct kl_err *err)
{
	struct kl_kube_resp resp;
	int rc = -1;

	*out = NULL;
	kl_kube_resp_init(&resp);
	if (get_checked(k, path, &resp, err) != 0)
		goto out;
	if (resp.body == NULL) {
		kl_err_set(err, KL_R_K8S_APISERVER, "cannot get '%s' from %s: the answer is not JSON", path,
			   kl_kube_label(k));
		goto out;
	}
	*out = json_incref(resp.body);
	rc = 0;
out:
	kl_kube_resp_release(&resp);
	return rc;
}

int
kl_kube_get_text(struct kl_kube *k, const char *path, struct kl_strbuf *out, struct kl_err *err)
{
	struct kl_kube_resp resp;
	int rc;

	kl_kube_resp_init(&resp);
	rc = get_checked(k, path, &resp, err);
	if (rc == 0)
		kl_strbuf_add(out, resp.raw.buf, resp.raw.len);
	kl_kube_resp_release(&resp);
	return rc;
}

const char *
kl_kube_qsep(const char *path)
{
	return strchr(path, '?') ? "&" : "?";
}

char *
kl_kube_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *r;

	if (e == NULL)
		abort();
	r = kl_xstrdup(e);
	curl_free(e);
	return r;
}

int
kl_kube_list(struct kl_kube *k, const char *path, const char *label_selector, json_t **items, char **resource_version,
	     struct kl_err *err)
{
	char *cont = NULL;
	int rc = -1;

	*items = json_array();
	if (resource_version)
		*resource_version = NULL;
	do {
		struct kl_strbuf p = KL_STRBUF_INIT;
		json_t *list = NULL, *meta;

		kl_strbuf_addf(&p, "%s%slimit=500", path, kl_kube_qsep(path));
		if (label_selector && *label_selector) {
			char *e = kl_kube_escape(label_selector);
			kl_strbuf_addf(&p, "&labelSelector=%s", e);
			free(e);
		}
		if (cont) {
			char *e = kl_kube_escape(cont);
			kl_strbuf_addf(&p, "&continue=%s", e);
			free(e);
		}
		free(cont);
		cont = NULL;
		rc = kl_kube_get(k, p.buf, &list, err);
		kl_strbuf_release(&p);
		if (rc != 0)
			break;
		json_array_extend(*items, json_object_get(list, "items"));
		meta = json_object_get(list, "metadata");
		if (kl_json_str(meta, "continue") && *kl_json_str(meta, "continue"))
			cont = kl_xstrdup(kl_json_str(meta, "continue"));
		if (resource_version && kl_json_str(meta, "resourceVersion")) {
			free(*resource_version);
			*resource_version = kl_xstrdup(kl_json_str(meta, "resourceVersion"));
		}
		json_decref(list);
	} while (cont);
	if (rc != 0) {
		json_decref(*items);
		*items = NULL;
		if (resource_version) {
			free(*resource_version);
			*resource_version = NULL;
		}
	}
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
kl_kube_selector(json_t *match_labels)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	const char **keys;
	const char *key;
	json_t *v;
	size_t n = 0, i = 0;

	keys = kl_xcalloc(json_object_size(match_labels) + 1, sizeof(*keys));
	json_object_foreach(match_labels, key, v)
		if (json_is_string(v))
			keys[n++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		kl_strbuf_addf(&sb, "%s%s=%s", i ? "," : "", keys[i],
			       json_string_value(json_object_get(match_labels, keys[i])));
	free(keys);
	return kl_strbuf_detach(&sb, NULL);
}

void
kl_kube_group_of(const char *api_version, char *buf, size_t len)
{
	const char *slash = api_version ? strchr(api_version, '/') : NULL;

	snprintf(buf, len, "%.*s", slash ? (int)(slash - api_version) : 0, slash ? api_version : "");
}

const char *
kl_kube_meta(json_t *obj, const char *key)
{
	return kl_json_str(json_object_get(obj, "metadata"), key);
}

#define MANY_IN_FLIGHT 16

void
kl_kube_request_many(struct kl_kube *k, const char *const *paths, size_t n, struct kl_kube_resp *out)
{
	CURLM *m = curl_multi_init();
	CURL **h = kl_xcalloc(n + 1, sizeof(*h));
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	char **urls = kl_xcalloc(n + 1, sizeof(*urls));
	size_t next = 0, running = 0;
	long long deadline = kl_kube_request_deadline(k);

	for (size_t i = 0; i < n; i++)
		kl_kube_resp_init(&out[i]);
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MANY_IN_FLIGHT);
	for (;;) {
		CURLMsg *msg;
		int still = 0, left;

		while (next < n && running < MANY_IN_FLIGHT) {
			size_t i = next++;

			urls[i] = kl_xasprintf("%s%s", k->server, paths[i]);
			h[i] = curl_easy_init();
			if (h[i] == NULL)
				abort();
			kl_kube_setup_handle(k, h[i]);
			curl_easy_setopt(h[i], CURLOPT_URL, urls[i]);
			curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdr);
			curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, collect);
			curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &out[i].raw);
			curl_easy_setopt(h[i], CURLOPT_HEADERFUNCTION, on_header);
			curl_easy_setopt(h[i], CURLOPT_HEADERDATA, &out[i]);
			curl_easy_setopt(h[i], CURLOPT_TIMEOUT_MS, (long)k->timeout_ms);
			curl_easy_setopt(h[i], CURLOPT_PIPEWAIT, 1L);
			curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)i);
			curl_multi_add_handle(m, h[i]);
			running++;
		}
		if (running == 0)
			break;
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			void *priv = NULL;
			size_t i;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&priv);
			i = (size_t)priv;
			if (msg->data.result == CURLE_OK)
				answered(msg->easy_handle, &out[i]);
			curl_multi_remove_handle(m, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
			h[i] = NULL;
			running--;
		}
		if ((k->stop && *k->stop) || kl_now_ms() >= deadline)
			break;
		if (still)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (h[i]) {
			curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
			out[i].status = 0;
		}
		free(urls[i]);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdr);
	free(urls);
	free(h);
}

void
kl_kube_get_many(struct kl_kube *k, const char *const *paths, size_t n, json_t **out)
{
	struct kl_kube_resp *resp = kl_xcalloc(n + 1, sizeof(*resp));

	kl_kube_request_many(k, paths, n, resp);
	for (size_t i = 0; i < n; i++) {
		out[i] = resp[i].status == 200 ? json_incref(resp[i].body) : NULL;
		kl_kube_resp_release(&resp[i]);
	}
	free(resp);
}
