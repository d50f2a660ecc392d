/*
 * kube-int.h: what the files of the API client (client.c, discovery.c, apply.c,
 * watch.c, wait.c, diagnose.c, manifest.c) share. Private to src/kube.
 */
#ifndef KL_KUBE_INT_H
#define KL_KUBE_INT_H

#include <curl/curl.h>

#include "kubelaunch/kube.h"

struct kl_kube_cache_entry {
	struct kl_kube_resource r;
	int preferred; /* the group's preferred version (kl_kube_resources lists only these) */
};

struct kl_kube {
	char *name, *server;
	char *ca_path, *cert_path, *key_path;
	struct kl_strbuf ca_pem, cert_pem, key_pem; /* PEM bytes instead of files */
	int timeout_ms, connect_timeout_ms;
	CURL *h;
	struct curl_slist *headers;
	long long deadline;
	volatile sig_atomic_t *stop;
	/* discovery */
	struct kl_kube_cache_entry *res;
	size_t nres;
	int discovered;
};

/* A handle set up for this client's server and credentials (TLS verified). */
void kl_kube_setup_handle(struct kl_kube *k, CURL *h);
/* kl_kube_request with an Accept header of the caller's. */
int kl_kube_do(struct kl_kube *k, const char *method, const char *path, const char *content_type,
	       const char *accept, const char *body, size_t len, struct kl_kube_resp *resp, struct kl_err *err);
/* GET every path at once (at most 16 in flight, HTTP/2 where the server speaks it),
 * once each, without retries: out[i] is the JSON of a 200 answer, else NULL (ask that
 * one again the usual way). */
void kl_kube_get_many(struct kl_kube *k, const char *const *paths, size_t n, json_t **out);
/* The deadline of a request starting now. */
long long kl_kube_request_deadline(const struct kl_kube *k);
/* Sleep ms (in slices), or fail with INTERRUPTED when the stop flag is set. */
int kl_kube_sleep(struct kl_kube *k, long long ms, struct kl_err *err);
/* "?" or "&", for appending to a path that may have a query. */
const char *kl_kube_qsep(const char *path);
/* A query value escaped for a URL: a new string. */
char *kl_kube_escape(const char *s);
/* "for profile 'dev'" style suffix: the client's name, or its server. */
const char *kl_kube_label(const struct kl_kube *k);

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), into buf. */
void kl_kube_group_of(const char *api_version, char *buf, size_t len);
/* metadata.name / metadata.namespace, or NULL. */
const char *kl_kube_meta(json_t *obj, const char *key);

#endif
