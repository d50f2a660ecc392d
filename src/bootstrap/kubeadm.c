/* kubeadm.c: the kubeadm configuration file, four documents through libyaml's emitter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/kubeadm.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"

/* Ordered name=value pairs: a component's flags, or kube-proxy's dotted fields. */
struct kv {
	char *name;
	char *value;
};
struct kvlist {
	struct kv *v;
	size_t n;
};

static void
kv_set(struct kvlist *l, const char *name, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name) == 0) {
			free(l->v[i].value);
			l->v[i].value = kl_xstrdup(value);
			return;
		}
	}
	l->v = kl_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n].name = kl_xstrdup(name);
	l->v[l->n].value = kl_xstrdup(value);
	l->n++;
}

static void
kv_release(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

enum component { C_APISERVER, C_CONTROLLER_MANAGER, C_SCHEDULER, C_ETCD, C_KUBELET, C_KUBE_PROXY, C__COUNT };
static const char *const component_names[C__COUNT] = {
	"apiserver", "controller-manager", "scheduler", "etcd", "kubelet", "kube-proxy",
};

struct options {
	struct kvlist args[C__COUNT]; /* kube-proxy: dotted KubeProxyConfiguration fields */
	struct kvlist gates;          /* feature gates: name -> true|false */
	char *gates_flag;             /* "A=true,B=false", for the components' flags */
};

static void
options_release(struct options *o)
{
	for (int c = 0; c < C__COUNT; c++)
		kv_release(&o->args[c]);
	kv_release(&o->gates);
	free(o->gates_flag);
}

static int
parse_gates(const char *s, struct options *o, struct kl_err *err)
{
	char *copy = kl_xstrdup(s), *save = NULL, *tok;
	struct kl_strbuf flag = KL_STRBUF_INIT;
	int rc = -1;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		while (*tok == ' ')
			tok++;
		if (eq == NULL || eq == tok || (strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0)) {
			kl_err_set(err, KL_R_USAGE_VALUE, "invalid feature gate '%s': use Name=true or Name=false", tok);
			goto out;
		}
		*eq = '\0';
		kv_set(&o->gates, tok, eq + 1);
	}
	for (size_t i = 0; i < o->gates.n; i++)
		kl_strbuf_addf(&flag, "%s%s=%s", i ? "," : "", o->gates.v[i].name, o->gates.v[i].value);
	o->gates_flag = kl_strbuf_detach(&flag, NULL);
	rc = 0;
out:
	kl_strbuf_release(&flag);
	free(copy);
	return rc;
}

static int
parse_extra(const char *item, struct options *o, struct kl_err *err)
{
	const char *dot = strchr(item, '.'), *eq = strchr(item, '=');
	char *comp = NULL, *key = NULL;
	int c, rc = -1;

	if (dot == NULL || eq == NULL || dot > eq || dot == item || eq == dot + 1) {
		kl_err_set(err, KL_R_USAGE_VALUE, "invalid --extra-config '%s': use component.key=value", item);
		goto out;
	}
	comp = kl_xstrndup(item, (size_t)(dot - item));
	key = kl_xstrndup(dot + 1, (size_t)(eq - dot - 1));
	for (c = 0; c < C__COUNT; c++)
		if (strcmp(comp, component_names[c]) == 0)
			break;
	if (c == C__COUNT) {
		kl_err_set(err, KL_R_USAGE_VALUE,
			   "invalid --extra-config '%s': unknown component '%s' (use apiserver, controller-manager, "
			   "scheduler, etcd, kubelet or kube-proxy)",
			   item, comp);
		goto out;
	}
	if (c == C_KUBE_PROXY && (key[0] == '.' || key[strlen(key) - 1] == '.' || strstr(key, "..") ||
				  strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0)) {
		kl_err_set(err, KL_R_USAGE_VALUE, "invalid --extra-config '%s': not a KubeProxyConfiguration field", item);
		goto out;
	}
	kv_set(&o->args[c], key, eq + 1);
	rc = 0;
out:
	free(comp);
	free(key);
	return rc;
}

static int
parse_options(const char *const *extra, const char *gates, struct options *o, struct kl_err *err)
{
	memset(o, 0, sizeof(*o));
	if (gates && *gates && parse_gates(gates, o, err) != 0)
		return -1;
	for (size_t i = 0; extra && extra[i]; i++)
		if (parse_extra(extra[i], o, err) != 0)
			return -1;
	return 0;
}

int
kl_kubeadm_check_options(const char *const *extra_config, const char *feature_gates, struct kl_err *err)
{
	struct options o;
	int rc = parse_options(extra_config, feature_gates, &o, err);

	options_release(&o);
	return rc;
}

const char *
kl_kubeadm_api_version(const struct kl_version *v)
{
	return v->major > 1 || (v->major == 1 && v->minor >= 31) ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/* ---- rendering ---- */

struct render {
	struct kl_yaml_out y;
	const struct kl_kubeadm_params *p;
	struct kl_version ver;
	int v1beta4;
	char port[8];
	struct kvlist args[C__COUNT]; /* defaults, then the user's */
};

/* extraArgs: a map in v1beta3, a list of {name, value} in v1beta4. */
static void
emit_args(struct render *r, const char *key, const struct kvlist *l)
{
	struct kl_yaml_out *y = &r->y;

	if (l->n == 0)
		return;
	kl_yaml_str(y, key);
	if (r->v1beta4)
		kl_yaml_seq_begin(y);
	else
		kl_yaml_map_begin(y);
	for (size_t i = 0; i < l->n; i++) {
		if (r->v1beta4) {
			kl_yaml_map_begin(y);
			kl_yaml_kv(y, "name", l->v[i].name);
			kl_yaml_kv(y, "value", l->v[i].value);
			kl_yaml_map_end(y);
		} else {
			kl_yaml_kv(y, l->v[i].name, l->v[i].value);
		}
	}
	if (r->v1beta4)
		kl_yaml_seq_end(y);
	else
		kl_yaml_map_end(y);
}

static void
doc_header(struct kl_yaml_out *y, const char *api, const char *kind)
{
	kl_yaml_doc_begin(y);
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "apiVersion", api);
	kl_yaml_kv(y, "kind", kind);
}

static void
doc_footer(struct kl_yaml_out *y)
{
	kl_yaml_map_end(y);
	kl_yaml_doc_end(y);
}

/* How long kubeadm gives a control-plane component to start (its startupProbe's
 * failureThreshold x periodSeconds); the patches keep it, probing every second. */
#define CONTROL_PLANE_CHECK "10m0s"
#define CONTROL_PLANE_CHECK_S 600

const char *const kl_kubeadm_patch_targets[] = { "etcd", "kube-apiserver", "kube-controller-manager",
						 "kube-scheduler", NULL };

int
kl_kubeadm_patch(const char *target, struct kl_strbuf *out, struct kl_err *err)
{
	struct kl_yaml_out y;

	kl_yaml_out_init(&y, out);
	kl_yaml_doc_begin(&y);
	kl_yaml_map_begin(&y);
	kl_yaml_str(&y, "spec");
	kl_yaml_map_begin(&y);
	kl_yaml_str(&y, "containers");
	kl_yaml_seq_begin(&y);
	kl_yaml_map_begin(&y);
	kl_yaml_kv(&y, "name", target);
	kl_yaml_str(&y, "startupProbe");
	kl_yaml_map_begin(&y);
	kl_yaml_kv_int(&y, "initialDelaySeconds", 1);
	kl_yaml_kv_int(&y, "periodSeconds", 1);
	kl_yaml_kv_int(&y, "failureThreshold", CONTROL_PLANE_CHECK_S);
	kl_yaml_map_end(&y);
	kl_yaml_map_end(&y);
	kl_yaml_seq_end(&y);
	kl_yaml_map_end(&y);
	kl_yaml_map_end(&y);
	kl_yaml_doc_end(&y);
	return kl_yaml_out_finish(&y, err);
}

static void
init_configuration(struct render *r)
{
	struct kl_yaml_out *y = &r->y;
	const struct kl_kubeadm_params *p = r->p;

	doc_header(y, kl_kubeadm_api_version(&r->ver), "InitConfiguration");
	kl_yaml_str(y, "localAPIEndpoint");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "advertiseAddress", p->node_ip);
	kl_yaml_kv_int(y, "bindPort", p->apiserver_port ? p->apiserver_port : 8443);
	kl_yaml_map_end(y);
	kl_yaml_str(y, "nodeRegistration");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "name", p->node_name);
	kl_yaml_kv(y, "criSocket", p->cri_socket ? p->cri_socket : KL_KUBEADM_CRI_SOCKET);
	kl_yaml_kv(y, "imagePullPolicy", p->pull_never ? "Never" : "IfNotPresent");
	emit_args(r, "kubeletExtraArgs", &r->args[C_KUBELET]);
	kl_yaml_str(y, "taints");
	kl_yaml_empty_seq(y);
	kl_yaml_map_end(y);
	if (p->patches_dir) {
		kl_yaml_str(y, "patches");
		kl_yaml_map_begin(y);
		kl_yaml_kv(y, "directory", p->patches_dir);
		kl_yaml_map_end(y);
	}
	/* v1beta4 has timeouts: machines under software emulation need more than the
	 * defaults (1m for API calls, 4m for the control plane). */
	if (r->ver.minor >= 31) {
		kl_yaml_str(y, "timeouts");
		kl_yaml_map_begin(y);
		kl_yaml_kv(y, "controlPlaneComponentHealthCheck", CONTROL_PLANE_CHECK);
		kl_yaml_kv(y, "kubeletHealthCheck", "10m0s");
		kl_yaml_kv(y, "kubernetesAPICall", "5m0s");
		kl_yaml_map_end(y);
	}
	doc_footer(y);
}

static void
component(struct render *r, const char *key, enum component c)
{
	if (r->args[c].n == 0)
		return;
	kl_yaml_str(&r->y, key);
	kl_yaml_map_begin(&r->y);
	emit_args(r, "extraArgs", &r->args[c]);
	kl_yaml_map_end(&r->y);
}

static void
cluster_configuration(struct render *r)
{
	struct kl_yaml_out *y = &r->y;
	const struct kl_kubeadm_params *p = r->p;
	static const char *const fixed_sans[] = { "127.0.0.1", "localhost", KL_KUBEADM_CONTROL_PLANE_NAME };
	char *endpoint = kl_xasprintf("%s:%s", KL_KUBEADM_CONTROL_PLANE_NAME, r->port);

	doc_header(y, kl_kubeadm_api_version(&r->ver), "ClusterConfiguration");
	kl_yaml_kv(y, "kubernetesVersion", p->kubernetes_version);
	kl_yaml_kv(y, "clusterName", "kubernetes");
	kl_yaml_kv(y, "controlPlaneEndpoint", endpoint);
	kl_yaml_kv(y, "certificatesDir", p->cert_dir ? p->cert_dir : KL_KUBEADM_CERT_DIR);
	kl_yaml_kv(y, "imageRepository", p->image_repository ? p->image_repository : "registry.k8s.io");
	kl_yaml_str(y, "networking");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "dnsDomain", "cluster.local");
	kl_yaml_kv(y, "podSubnet", p->pod_subnet ? p->pod_subnet : "10.244.0.0/16");
	kl_yaml_kv(y, "serviceSubnet", p->service_subnet ? p->service_subnet : "10.96.0.0/12");
	kl_yaml_map_end(y);
	kl_yaml_str(y, "etcd");
	kl_yaml_map_begin(y);
	kl_yaml_str(y, "local");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "dataDir", p->etcd_dir ? p->etcd_dir : KL_KUBEADM_ETCD_DIR);
	emit_args(r, "extraArgs", &r->args[C_ETCD]);
	kl_yaml_map_end(y);
	kl_yaml_map_end(y);
	kl_yaml_str(y, "apiServer");
	kl_yaml_map_begin(y);
	kl_yaml_str(y, "certSANs");
	kl_yaml_seq_begin(y);
	for (size_t i = 0; i < KL_ARRAY_SIZE(fixed_sans); i++)
		kl_yaml_str(y, fixed_sans[i]);
	kl_yaml_str(y, p->node_ip);
	for (size_t i = 0; p->cert_sans && p->cert_sans[i]; i++)
		kl_yaml_str(y, p->cert_sans[i]);
	kl_yaml_seq_end(y);
	emit_args(r, "extraArgs", &r->args[C_APISERVER]);
	kl_yaml_map_end(y);
	component(r, "controllerManager", C_CONTROLLER_MANAGER);
	component(r, "scheduler", C_SCHEDULER);
	doc_footer(y);
	free(endpoint);
}

static void
feature_gates(struct render *r, const struct kvlist *gates)
{
	if (gates->n == 0)
		return;
	kl_yaml_str(&r->y, "featureGates");
	kl_yaml_map_begin(&r->y);
	for (size_t i = 0; i < gates->n; i++)
		kl_yaml_kv_bool(&r->y, gates->v[i].name, strcmp(gates->v[i].value, "true") == 0);
	kl_yaml_map_end(&r->y);
}

static void
kubelet_configuration(struct render *r, const struct kvlist *gates)
{
	struct kl_yaml_out *y = &r->y;
	const struct kl_kubeadm_params *p = r->p;
	char *ca = kl_xasprintf("%s/ca.crt", p->cert_dir ? p->cert_dir : KL_KUBEADM_CERT_DIR);

	doc_header(y, "kubelet.config.k8s.io/v1beta1", "KubeletConfiguration");
	/* What kubeadm sets itself, written out so the file says what runs. */
	kl_yaml_str(y, "authentication");
	kl_yaml_map_begin(y);
	kl_yaml_str(y, "anonymous");
	kl_yaml_map_begin(y);
	kl_yaml_kv_bool(y, "enabled", 0);
	kl_yaml_map_end(y);
	kl_yaml_str(y, "webhook");
	kl_yaml_map_begin(y);
	kl_yaml_kv_bool(y, "enabled", 1);
	kl_yaml_kv(y, "cacheTTL", "0s");
	kl_yaml_map_end(y);
	kl_yaml_str(y, "x509");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "clientCAFile", ca);
	kl_yaml_map_end(y);
	kl_yaml_map_end(y);
	kl_yaml_str(y, "authorization");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "mode", "Webhook");
	kl_yaml_str(y, "webhook");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "cacheAuthorizedTTL", "0s");
	kl_yaml_kv(y, "cacheUnauthorizedTTL", "0s");
	kl_yaml_map_end(y);
	kl_yaml_map_end(y);
	kl_yaml_kv(y, "cgroupDriver", p->cgroup_driver ? p->cgroup_driver : "systemd");
	kl_yaml_kv(y, "containerRuntimeEndpoint", p->cri_socket ? p->cri_socket : KL_KUBEADM_CRI_SOCKET);
	kl_yaml_str(y, "clusterDNS");
	kl_yaml_seq_begin(y);
	kl_yaml_str(y, "10.96.0.10");
	kl_yaml_seq_end(y);
	kl_yaml_kv(y, "clusterDomain", "cluster.local");
	kl_yaml_kv(y, "staticPodPath", "/etc/kubernetes/manifests");
	kl_yaml_kv(y, "healthzBindAddress", "127.0.0.1");
	kl_yaml_kv_bool(y, "rotateCertificates", 1);
	/* A development box: never evict for disk, never collect images, allow swap. */
	kl_yaml_kv_bool(y, "failSwapOn", 0);
	if (p->cgroup_v1 && (r->ver.major > 1 || r->ver.minor >= 31))
		kl_yaml_kv_bool(y, "failCgroupV1", 0);
	kl_yaml_str(y, "evictionHard");
	kl_yaml_map_begin(y);
	kl_yaml_kv(y, "imagefs.available", "0%");
	kl_yaml_kv(y, "nodefs.available", "0%");
	kl_yaml_kv(y, "nodefs.inodesFree", "0%");
	kl_yaml_map_end(y);
	kl_yaml_kv_int(y, "imageGCHighThresholdPercent", 100);
	feature_gates(r, gates);
	doc_footer(y);
	free(ca);
}

/* Emit the fields under `prefix` (dotted paths) as nested mappings, in first-seen order. */
static void
emit_tree(struct kl_yaml_out *y, const struct kvlist *l, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (size_t i = 0; i < l->n; i++) {
		const char *rest, *dot;
		size_t seglen;
		int seen = 0;

		if (strncmp(l->v[i].name, prefix, plen) != 0)
			continue;
		rest = l->v[i].name + plen;
		dot = strchr(rest, '.');
		seglen = dot ? (size_t)(dot - rest) : strlen(rest);
		for (size_t j = 0; j < i && !seen; j++)
			seen = strncmp(l->v[j].name, prefix, plen) == 0 &&
			       strncmp(l->v[j].name + plen, rest, seglen) == 0 &&
			       (l->v[j].name[plen + seglen] == '.' || l->v[j].name[plen + seglen] == '\0');
		if (seen)
			continue;
		if (dot == NULL) {
			kl_yaml_str(y, rest);
			kl_yaml_guess(y, l->v[i].value);
		} else {
			char *key = kl_xstrndup(rest, seglen), *sub = kl_xasprintf("%s%s.", prefix, key);

			kl_yaml_str(y, key);
			kl_yaml_map_begin(y);
			emit_tree(y, l, sub);
			kl_yaml_map_end(y);
			free(key);
			free(sub);
		}
	}
}

static void
kube_proxy_configuration(struct render *r, const struct kvlist *gates)
{
	struct kl_yaml_out *y = &r->y;

	doc_header(y, "kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration");
	emit_tree(y, &r->args[C_KUBE_PROXY], "");
	feature_gates(r, gates);
	doc_footer(y);
}

int
kl_kubeadm_render(const struct kl_kubeadm_params *p, struct kl_strbuf *out, struct kl_err *err)
{
	struct render r = { .p = p };
	struct options o;
	int rc = -1;

	if (parse_options(p->extra_config, p->feature_gates, &o, err) != 0)
		goto out;
	if (p->kubernetes_version == NULL || kl_version_parse(p->kubernetes_version, &r.ver) != 0) {
		kl_err_set(err, KL_R_K8S_VERSION, "invalid Kubernetes version '%s'",
			   p->kubernetes_version ? p->kubernetes_version : "");
		goto out;
	}
	if (r.ver.major == 1 && r.ver.minor < KL_KUBEADM_MIN_MINOR) {
		kl_err_set(err, KL_R_K8S_VERSION, "Kubernetes %s is too old: kubelaunch needs v1.%d or newer",
			   p->kubernetes_version, KL_KUBEADM_MIN_MINOR);
		goto out;
	}
	if (p->node_ip == NULL || p->node_name == NULL) {
		kl_err_set(err, KL_R_PROGRAM, "kubeadm config: the node name and IP are needed");
		goto out;
	}
	if (p->cgroup_driver && strcmp(p->cgroup_driver, "systemd") != 0 && strcmp(p->cgroup_driver, "cgroupfs") != 0) {
		kl_err_set(err, KL_R_USAGE_VALUE, "invalid cgroup driver '%s': use systemd or cgroupfs", p->cgroup_driver);
		goto out;
	}
	r.v1beta4 = r.ver.major > 1 || r.ver.minor >= 31;
	snprintf(r.port, sizeof(r.port), "%d", p->apiserver_port ? p->apiserver_port : 8443);

	/* Defaults first, so the user's values replace them in place. */
	kv_set(&r.args[C_KUBELET], "node-ip", p->node_ip);
	kv_set(&r.args[C_CONTROLLER_MANAGER], "leader-elect", "false");
	kv_set(&r.args[C_SCHEDULER], "leader-elect", "false");
	if (o.gates_flag)
		for (int c = C_APISERVER; c <= C_SCHEDULER; c++)
			kv_set(&r.args[c], "feature-gates", o.gates_flag);
	kv_set(&r.args[C_KUBE_PROXY], "mode", "iptables");
	kv_set(&r.args[C_KUBE_PROXY], "clusterCIDR", p->pod_subnet ? p->pod_subnet : "10.244.0.0/16");
	kv_set(&r.args[C_KUBE_PROXY], "metricsBindAddress", "0.0.0.0:10249");
	kv_set(&r.args[C_KUBE_PROXY], "conntrack.maxPerCore", "0");
	kv_set(&r.args[C_KUBE_PROXY], "conntrack.tcpEstablishedTimeout", "0s");
	kv_set(&r.args[C_KUBE_PROXY], "conntrack.tcpCloseWaitTimeout", "0s");
	for (int c = 0; c < C__COUNT; c++)
		for (size_t i = 0; i < o.args[c].n; i++)
			kv_set(&r.args[c], o.args[c].v[i].name, o.args[c].v[i].value);

	kl_yaml_out_init(&r.y, out);
	init_configuration(&r);
	cluster_configuration(&r);
	kubelet_configuration(&r, &o.gates);
	kube_proxy_configuration(&r, &o.gates);
	rc = kl_yaml_out_finish(&r.y, err);
out:
	for (int c = 0; c < C__COUNT; c++)
		kv_release(&r.args[c]);
	options_release(&o);
	return rc;
}
