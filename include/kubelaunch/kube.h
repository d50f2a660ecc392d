/*
 * kube.h: a client for a Kubernetes API server, from the host (src/kube/).
 *
 * One `struct kl_kube` per API server: one libcurl handle (keep-alive), TLS always
 * verified against the given CA (there is no insecure mode), JSON through jansson.
 * A client is not thread-safe; a watch uses a handle of its own, so the client can be
 * used from inside a watch callback.
 *
 * Retries: connection refused/reset, an empty reply, 429, 503, and 500 with
 * "etcdserver: leader changed" / "etcdserver: request timed out" are retried with
 * backoff (100 ms doubling to 2 s, Retry-After honoured) until the client's deadline
 * (kl_kube_set_deadline; by default 30 s from each request's start). Any other answer
 * is returned at once.
 *
 * Errors: every failure names what was asked ("cannot apply Deployment 'ns/name'")
 * and carries the server's Status message and HTTP code ("... : the server said:
 * Deployment.apps \"x\" is invalid: ... (422 Invalid)"). Reasons:
 *   K8S_APISERVER      the server cannot be reached (after retries), or 5xx
 *   K8S_APISERVER_TLS  its certificate is not signed by our CA, or ours is refused
 *   K8S_API_REJECTED   4xx: the server refused the request (invalid, forbidden ...)
 *   K8S_API_NOT_FOUND  404 (kl_kube_delete treats it as success)
 *   SVC_UNAVAILABLE    a workload not available in time (with a diagnosis)
 *   SVC_IMAGE_PULL     ... because an image cannot be pulled
 *
 * Paths are the API's own ("/api/v1/namespaces/kube-system/pods"); objects are
 * json_t with apiVersion, kind and metadata.
 */
#ifndef KL_KUBE_H
#define KL_KUBE_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

#define KL_KUBE_FIELD_MANAGER "kubelaunch"
/* The label every addon object carries: kubelaunch.io/addon=<name>. */
#define KL_KUBE_ADDON_LABEL "kubelaunch.io/addon"

/* ---- the client (client.c) ---- */

/* Where the server is and who we are. Each of CA, certificate and key is given as a
 * file (path) or as PEM bytes (data, a kubeconfig's *-data after base64 decoding);
 * data wins when both are set. The strings are copied. */
struct kl_kube_config {
	const char *name;        /* for messages: "profile 'dev'", "the fixture" (may be NULL) */
	const char *server;      /* https://HOST:PORT */
	const char *ca_path, *ca_data;
	const char *cert_path, *cert_data;
	const char *key_path, *key_data;
	int timeout_ms;          /* one request's transfer limit; 0: 30 s */
	int connect_timeout_ms;  /* 0: 5 s */
};

struct kl_kube;

/* A client; fails only on a config it cannot use (no server, no CA: K8S_APISERVER_TLS). */
struct kl_kube *kl_kube_new(const struct kl_kube_config *cfg, struct kl_err *err);
/* A client from a kubeconfig file: `context` or, when NULL, its current-context.
 * Relative paths are taken from the file's directory; *-data fields are decoded. */
struct kl_kube *kl_kube_new_kubeconfig(const char *path, const char *context, struct kl_err *err);
void kl_kube_free(struct kl_kube *k);

/* Retry until this kl_now_ms() instant (the command's --wait-timeout, say); 0 goes
 * back to 30 s from each request's start. */
void kl_kube_set_deadline(struct kl_kube *k, long long deadline_ms);
long long kl_kube_deadline(const struct kl_kube *k);
/* Stop retries, waits and watches when *flag becomes non-zero (a signal handler's
 * flag): they fail with INTERRUPTED. NULL: never. */
void kl_kube_set_stop(struct kl_kube *k, volatile sig_atomic_t *flag);
const char *kl_kube_server(const struct kl_kube *k);

/* One answer. body is the parsed JSON (NULL when the answer is not JSON); raw the
 * bytes as received (logs, /readyz's text, a pod's log). */
struct kl_kube_resp {
	long status;
	json_t *body;
	struct kl_strbuf raw;
	long long date; /* the server's Date header (seconds since the epoch), or 0 */
};
void kl_kube_resp_init(struct kl_kube_resp *r);
void kl_kube_resp_release(struct kl_kube_resp *r);

/* method ("GET", "PATCH" ...), path (with its query), content type and body (may be
 * NULL). Returns 0 when an answer arrived, whatever its status (after the retries
 * above), -1 when none did. */
int kl_kube_request(struct kl_kube *k, const char *method, const char *path, const char *content_type,
		    const char *body, size_t len, struct kl_kube_resp *resp, struct kl_err *err);
/* An error for an answer that is not 2xx: reason by status (above), message
 * "<what>: the server said: <Status.message> (<code> <Status.reason>)". Returns -1. */
int kl_kube_status_error(const struct kl_kube_resp *resp, struct kl_err *err, const char *what_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* GET of each of paths[n] at once (HTTP/2 streams on one connection where the server
 * speaks it), without retries: out[i] has the answer (status 0: none came before the
 * client's deadline). Release each. */
void kl_kube_request_many(struct kl_kube *k, const char *const *paths, size_t n, struct kl_kube_resp *out);

/* GET path; 2xx gives *out (a new reference), anything else an error. */
int kl_kube_get(struct kl_kube *k, const char *path, json_t **out, struct kl_err *err);
/* A collection (following `continue`), optionally by label selector ("a=b,c"); *items
 * is a new array; *resource_version (may be NULL) the list's, for a watch. */
int kl_kube_list(struct kl_kube *k, const char *path, const char *label_selector, json_t **items,
		 char **resource_version, struct kl_err *err);
/* GET of a text endpoint (/readyz, a pod's log): 2xx gives the text in *out. */
int kl_kube_get_text(struct kl_kube *k, const char *path, struct kl_strbuf *out, struct kl_err *err);

/* ---- discovery (discovery.c) ---- */

/* What discovery says about a kind. */
struct kl_kube_resource {
	char *group_version; /* "v1", "apps/v1" */
	char *kind;          /* "Deployment" */
	char *name;          /* "deployments" */
	int namespaced;
	int deletable;       /* has the list and delete verbs */
};

/* apiVersion + kind to its resource. The server's resources are fetched once per
 * client (aggregated discovery, /api and /apis) and cached; a kind not in the cache
 * fetches its group version again once (a CRD just Established), so callers need no
 * refresh of their own. An unknown kind is K8S_API_NOT_FOUND naming it. *out points
 * into the cache (valid until kl_kube_discovery_reset or the client's end). */
int kl_kube_resource_for(struct kl_kube *k, const char *api_version, const char *kind,
			 const struct kl_kube_resource **out, struct kl_err *err);
/* Forget the cache (the next lookup fetches everything again). */
void kl_kube_discovery_reset(struct kl_kube *k);
/* Every resource the server has that can be listed and deleted, in no particular
 * order; *n entries, pointing into the cache. */
int kl_kube_resources(struct kl_kube *k, const struct kl_kube_resource ***out, size_t *n, struct kl_err *err);

/* The path of an object (name set) or of a collection (name NULL) of `r`; ns is
 * ignored for cluster-scoped resources, and NULL for a namespaced one means all
 * namespaces. `query` (may be NULL) is appended after '?'. A new string. */
char *kl_kube_path(const struct kl_kube_resource *r, const char *ns, const char *name, const char *query);
/* The path of `obj` by its apiVersion, kind, metadata.namespace (else `default_ns`,
 * else "default") and metadata.name. */
int kl_kube_object_path(struct kl_kube *k, json_t *obj, const char *default_ns, char **path,
			const struct kl_kube_resource **res, struct kl_err *err);
/* "Deployment 'kube-system/coredns'", "Namespace 'x'": for messages. A new string. */
char *kl_kube_object_name(json_t *obj);

/* ---- apply and delete (apply.c) ---- */

/* Server-side apply of one object: PATCH application/apply-patch+yaml (the body is
 * JSON), fieldManager=kubelaunch, force=true. A namespaced object without a namespace
 * goes to `default_ns` (NULL: "default"). *applied (may be NULL) is the server's
 * object. A rejection names the object and gives the server's message. */
int kl_kube_apply(struct kl_kube *k, json_t *obj, const char *default_ns, json_t **applied, struct kl_err *err);

/* Progress of a long operation: `done` of `total` steps, and what was just done. */
typedef void (*kl_kube_progress_fn)(void *arg, int done, int total, const char *what);

/* Apply an array of objects in order, Namespaces first, then
 * CustomResourceDefinitions, which are waited for until Established (then discovery
 * knows their kinds), then the rest in the order given. Stops at the first failure
 * (the error names the object; what was applied before stays). */
int kl_kube_apply_list(struct kl_kube *k, json_t *objs, const char *default_ns, kl_kube_progress_fn fn, void *arg,
		       struct kl_err *err);
/* The order kl_kube_apply_list uses: a new array (the same objects, new references). */
json_t *kl_kube_apply_order(json_t *objs);

/* Delete one object (propagationPolicy=Background); 404 is success. */
int kl_kube_delete(struct kl_kube *k, json_t *obj, const char *default_ns, struct kl_err *err);
/* Delete every object that carries the label selector `selector` (e.g.
 * "kubelaunch.io/addon=dns") and is not in `keep` (an array of objects matched by
 * apiVersion's group, kind, namespace and name; NULL: delete all), looking in every
 * listable resource the server has. Deletion runs in the reverse of apply order:
 * everything else first, then CRDs, then Namespaces. *deleted (may be NULL) counts
 * the objects deleted. Namespaced objects that live in a deleted Namespace are
 * deleted explicitly too (no namespace controller may be running). */
int kl_kube_prune(struct kl_kube *k, const char *selector, json_t *keep, const char *default_ns, int *deleted,
		  struct kl_err *err);

/* ---- YAML manifests (yaml.c's neighbour, manifest.c) ---- */

/* Each document of a YAML stream as a JSON object (empty documents and null skipped),
 * scalars typed as Kubernetes reads them (YAML 1.1 bools, ints, floats, null; quoted
 * scalars stay strings). Appended to the array *objs (created when NULL). A parse
 * error is USAGE_VALUE "<name>:LINE:COL: problem". */
int kl_kube_yaml_objects(const char *buf, size_t len, const char *name, json_t **objs, struct kl_err *err);

/* ---- watch (watch.c) ---- */

/* One event: "ADDED", "MODIFIED", "DELETED" (obj is the object). Return 0 to go on,
 * 1 to end the watch (kl_kube_watch returns 0), -1 to fail it (fill err). */
typedef int (*kl_kube_watch_fn)(void *arg, const char *type, json_t *obj, struct kl_err *err);

/* List `path` (a collection) by `label_selector` (may be NULL) and report every
 * object as ADDED, then stream changes (?watch=1) to `fn` until it returns non-zero,
 * the deadline passes (K8S_WAIT_TIMEOUT; 0: never: the stream is not bound by the
 * client's deadline, its lists are), or the stop flag is set (INTERRUPTED). A dropped
 * stream is resumed from the last
 * resourceVersion; an expired one (410) lists again and reports only the differences.
 * Uses its own connection: `fn` may use `k`. */
int kl_kube_watch(struct kl_kube *k, const char *path, const char *label_selector, long long deadline_ms,
		  kl_kube_watch_fn fn, void *arg, struct kl_err *err);

/* ---- waits and diagnosis (wait.c, diagnose.c) ---- */

/* Wait until each workload in `objs` (Deployments, DaemonSets, StatefulSets; other
 * kinds are skipped) is available: observed generation current, all replicas updated
 * and ready (a Deployment's Available condition). `fn` gets "ready N/M" lines as they
 * change. At the deadline (the client's), the error is the first unready workload's
 * diagnosis (kl_kube_diagnose). */
int kl_kube_wait_available(struct kl_kube *k, json_t *objs, const char *default_ns, kl_kube_progress_fn fn,
			   void *arg, struct kl_err *err);

/* Why a workload (Deployment, DaemonSet, StatefulSet, or a Pod) is not ready, from
 * its pods: fills err and returns -1, always. Reasons and messages:
 *   SVC_IMAGE_PULL   "pod 'ns/p' cannot pull image 'ref': ErrImagePull: <message>"
 *                    (ImagePullBackOff, ErrImageNeverPull, InvalidImageName alike)
 *   SVC_UNAVAILABLE  "pod 'ns/p' is Pending: <the scheduler's reason and message>"
 *                    "pod 'ns/p' is in CrashLoopBackOff (...): its last log line: <line>"
 *                    "pod 'ns/p' has container 'c' waiting: <reason: message>"
 *                    "pod 'ns/p' is not ready (Running): <condition message>"
 *                    "Deployment 'ns/x' has no pods: <its condition message>"
 * `what` prefixes the message ("'dashboard' is not available after 6m0s"). */
int kl_kube_diagnose(struct kl_kube *k, json_t *workload, const char *what, struct kl_err *err);
/* The pure part: why this pod (as the API gives it) is not ready. Appends to why (one
 * line, after "pod 'ns/p' ") and returns SVC_IMAGE_PULL, SVC_UNAVAILABLE, or
 * KL_R__COUNT when it is ready. *crashing is set when the last log line would help
 * (the container named in *container, a pointer into pod). */
enum kl_reason kl_kube_pod_problem(json_t *pod, struct kl_strbuf *why, int *crashing, const char **container);

/* ---- pure helpers (client.c) ---- */

/* "k1=v1,k2=v2" from a matchLabels object (sorted by key); a new string. */
char *kl_kube_selector(json_t *match_labels);
/* 1 when an answer (HTTP status, or 0 when none arrived with curl code `curl_code`)
 * is worth retrying. */
int kl_kube_retryable(long status, int curl_code, const char *body);

#endif
