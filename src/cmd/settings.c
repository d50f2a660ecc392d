/* settings.c: the one table of settings: start's flags, `config set` keys and the
 * profile's fields, each with one type, default, range and validator. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/driver.h"
#include "kubelaunch/home.h"
#include "kubelaunch/image.h"
#include "kubelaunch/kubeadm.h"
#include "kubelaunch/json.h"
#include "kubelaunch/settings.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

#define HOUR_MS (3600LL * 1000)

static const char *const runtimes[] = { "containerd", NULL };
static const char *const dns_upstreams[] = { "host", "none", NULL };
static const char *const networks[] = { "builtin", "isolated", NULL };

/* ---- validators: what the type cannot say ---- */

static int
why(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
why(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A driver of the registry, by its name or alias (libvirt is kvm2), stored by name. */
static int
check_driver(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	const struct kl_driver_ops *d = kl_driver_find(json_string_value(*v));
	struct kl_suggest sg;

	(void)env;
	if (d) {
		json_decref(*v);
		*v = json_string(d->name);
		return 0;
	}
	kl_suggest_init(&sg, json_string_value(*v));
	for (const struct kl_driver_ops *const *x = kl_drivers; *x; x++)
		kl_suggest_try(&sg, (*x)->name);
	*reason = KL_R_DRIVER_NOT_FOUND;
	if (sg.best)
		return why(w, n, "unknown driver; did you mean '%s'?", sg.best);
	return why(w, n, "unknown driver; use qemu, kvm2, none, ssh or vfkit");
}

static int
check_cpus(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void)env;
	if (cores > 0 && json_integer_value(*v) > cores) {
		*reason = KL_R_RSRC_CORES;
		return why(w, n, "the host has %ld CPUs", cores);
	}
	return 0;
}

long long
kl_host_memory_mib(void)
{
	struct sysinfo si;

	return sysinfo(&si) == 0 ? (long long)si.totalram * si.mem_unit / (1024 * 1024) : 0;
}

static int
check_memory(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	long long host = kl_host_memory_mib();
	char have[32];

	(void)env;
	if (host > 0 && json_integer_value(*v) > host) {
		kl_format_size_mib(host, have, sizeof(have));
		*reason = KL_R_RSRC_MEMORY;
		return why(w, n, "the host has %s", have);
	}
	return 0;
}

/* A quarter of the host's memory, within 2-6 GiB. */
static json_t *
default_memory(void)
{
	long long mib = kl_host_memory_mib() / 4;

	return json_integer(mib < 2048 ? 2048 : mib > 6144 ? 6144 : mib);
}

/* The disk is sparse: it may exceed the free space, never the file system holding it. */
static int
check_disk(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	struct statvfs vfs;
	long long fs_mib;
	char have[32];

	if (env == NULL || env->home == NULL || (statvfs(env->home, &vfs) != 0 && statvfs("/", &vfs) != 0))
		return 0;
	fs_mib = (long long)vfs.f_blocks * (long long)vfs.f_frsize / (1024 * 1024);
	if (json_integer_value(*v) > fs_mib) {
		kl_format_size_mib(fs_mib, have, sizeof(have));
		*reason = KL_R_RSRC_DISK;
		return why(w, n, "larger than the file system holding %s (%s)", env->home, have);
	}
	return 0;
}

static json_t *
default_iso(void)
{
	return json_string(kl_image_default_url());
}

static int
check_ips(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	unsigned char buf[sizeof(struct in6_addr)];
	size_t i;
	json_t *it;

	(void)env, (void)reason;
	json_array_foreach(*v, i, it) {
		const char *ip = json_string_value(it);

		if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
			return why(w, n, "'%s' is not an IPv4 or IPv6 address", ip);
	}
	return 0;
}

/* A DNS name for a certificate: labels of letters, digits and '-', a '*.' prefix at most. */
static int
check_names(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	size_t i;
	json_t *it;

	(void)env, (void)reason;
	json_array_foreach(*v, i, it) {
		const char *s = json_string_value(it), *p = strncmp(s, "*.", 2) == 0 ? s + 2 : s;

		if (*p == '\0' || strlen(s) > 253 || p[strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")] != '\0' ||
		    *p == '.' || *p == '-' || strstr(p, ".."))
			return why(w, n, "'%s' is not a DNS name", s);
	}
	return 0;
}

/* A list's items as a NULL-terminated array (borrowed strings; free the array). */
static const char **
items_of(json_t *list)
{
	const char **items = kl_xcalloc(json_array_size(list) + 1, sizeof(*items));
	size_t i;
	json_t *it;

	json_array_foreach(list, i, it)
		items[i] = json_string_value(it);
	return items;
}

static int
check_extra_config(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	const char **items = items_of(*v);
	struct kl_err err;
	int rc;

	(void)env, (void)reason;
	rc = kl_kubeadm_check_options(items, NULL, &err);
	free(items);
	return rc == 0 ? 0 : why(w, n, "%s", err.msg);
}

static int
check_feature_gates(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	struct kl_err err;

	(void)env, (void)reason;
	return kl_kubeadm_check_options(NULL, json_string_value(*v), &err) == 0 ? 0 : why(w, n, "%s", err.msg);
}

static int
check_wait(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	const char **items = items_of(*v);
	struct kl_err err;
	unsigned mask;
	int rc;

	(void)env, (void)reason;
	rc = kl_wait_parse(items, &mask, &err);
	free(items);
	return rc == 0 ? 0 : why(w, n, "%s", err.msg);
}

/* auto, bridge, or a manifest that exists (kept by its full path: a restart applies it
 * again from anywhere). */
static int
check_cni(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	const char *cni = json_string_value(*v);
	struct stat sb;
	char *abs;

	(void)env, (void)reason;
	if (strcmp(cni, "auto") == 0 || strcmp(cni, "bridge") == 0)
		return 0;
	if (stat(cni, &sb) != 0 || !S_ISREG(sb.st_mode) || (abs = realpath(cni, NULL)) == NULL)
		return why(w, n, "use auto, bridge or a manifest file that exists");
	json_decref(*v);
	*v = json_string(abs);
	free(abs);
	return 0;
}

static int
check_dir(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *w, size_t n)
{
	struct stat sb;

	(void)env, (void)reason;
	if (stat(json_string_value(*v), &sb) != 0 || !S_ISDIR(sb.st_mode))
		return why(w, n, "not a directory");
	return 0;
}

/* ---- the table ---- */

#define FC (KL_SETF_FLAG | KL_SETF_CONFIG)
#define SAVED(f) KL_SETF_SAVED, .field = f

const struct kl_setting kl_settings_table[] = {
	{ "driver", KL_SET_STRING, FC, .offset = KL_SET_AT(driver), .short_name = 'd', .arg = "NAME",
	  .help = "qemu, kvm2 (libvirt), none, ssh or vfkit; chosen by health when not given",
	  .example = "none", .validate = check_driver },
	{ "cpus", KL_SET_INT, FC | KL_SETF_SHAPE | SAVED("CPUs"), .offset = KL_SET_AT(cpus), .arg = "N",
	  .help = "CPUs of the machine, from 2 to the host's", .def = "2", .min = 2,
	  .example = "2", .validate = check_cpus },
	{ "memory", KL_SET_SIZE, FC | KL_SETF_SHAPE | SAVED("MemoryMiB"), .offset = KL_SET_AT(memory_mib), .arg = "SIZE",
	  .help = "memory of the machine (4096, 4g, 4GiB), from 1800MiB to the host's",
	  .shown = "a quarter of the host's, 2-6GiB", .compute = default_memory, .min = 1800, .example = "1900m",
	  .validate = check_memory },
	{ "disk-size", KL_SET_SIZE, FC | KL_SETF_SHAPE | SAVED("DiskSizeMiB"), .offset = KL_SET_AT(disk_mib), .arg = "SIZE",
	  .help = "size of the machine's data disk (sparse), at least 2GiB", .def = "20g", .min = 2048,
	  .example = "21g", .validate = check_disk },
	{ "iso-url", KL_SET_URL, FC | SAVED("ISOURL"), .offset = KL_SET_AT(iso_url), .arg = "URL",
	  .help = "the guest image (file://, http://, https://), verified against URL.sha256",
	  .shown = "the image this build was made with", .compute = default_iso, .example = "file:///srv/kubelaunch.iso" },
	{ "kubernetes-version", KL_SET_VERSION, FC | SAVED("KubernetesVersion"), .offset = KL_SET_AT(kubernetes_version),
	  .arg = "VERSION", .help = "stable, latest or vX.Y.Z", .def = "stable", .example = "v1.37.2" },
	{ "container-runtime", KL_SET_ENUM, FC | SAVED("ContainerRuntime"), .offset = KL_SET_AT(container_runtime), .arg = "NAME",
	  .help = "the container runtime", .def = "containerd", .allowed = runtimes, .example = "containerd" },
	{ "apiserver-port", KL_SET_INT, FC | SAVED("APIServerPort"), .offset = KL_SET_AT(apiserver_port), .arg = "PORT",
	  .help = "the API server's port in the machine", .def = "8443", .min = 1, .max = 65535, .example = "8444" },
	{ "libvirt-uri", KL_SET_STRING, FC | SAVED("LibvirtURI"), .offset = KL_SET_AT(libvirt_uri), .arg = "URI",
	  .help = "the libvirt connection (kvm2)", .shown = "qemu:///system", .example = "qemu:///session" },
	{ "ssh-ip-address", KL_SET_STRING, FC | SAVED("SSHIPAddress"), .offset = KL_SET_AT(ssh_ip_address), .arg = "ADDR",
	  .help = "the machine's address (ssh driver)", .example = "192.0.2.10" },
	{ "ssh-user", KL_SET_STRING, FC | SAVED("SSHUser"), .offset = KL_SET_AT(ssh_user), .arg = "USER",
	  .help = "the user to log in as (ssh driver)", .shown = "root", .example = "kube" },
	{ "ssh-key", KL_SET_PATH, FC | SAVED("SSHKey"), .offset = KL_SET_AT(ssh_key), .arg = "PATH",
	  .help = "the private key to log in with (ssh driver)", .example = "/srv/id_ed25519" },
	{ "ssh-port", KL_SET_INT, FC | SAVED("SSHPort"), .offset = KL_SET_AT(ssh_port), .arg = "PORT",
	  .help = "the SSH port (ssh driver)", .def = "22", .min = 1, .max = 65535, .example = "2222" },
	{ "binary-mirror", KL_SET_URL, FC, .offset = KL_SET_AT(binary_mirror), .arg = "URL",
	  .help = "where kubeadm, kubelet and kubectl come from (the official layout)", .shown = KL_K8S_RELEASE_URL,
	  .example = "http://127.0.0.1:9/release" },
	{ "image-bundle", KL_SET_PATH, FC, .offset = KL_SET_AT(image_bundle), .arg = "DIR",
	  .help = "a directory of image archives to import instead of pulling", .example = "/",
	  .validate = check_dir },
	{ "preload", KL_SET_BOOL, FC, .offset = KL_SET_AT(preload), .def = "true", .example = "false",
	  .help = "start from the image bundle as a ready containerd store built once on the host (false: import the archives)" },
	{ "image-repository", KL_SET_STRING, FC, .offset = KL_SET_AT(image_repository), .arg = "REPO",
	  .help = "where Kubernetes' images come from", .shown = "registry.k8s.io", .example = "registry.example:5000/k8s" },
	{ "extra-config", KL_SET_LIST, FC, .offset = KL_SET_AT(extra_config), .arg = "COMPONENT.KEY=VALUE",
	  .help = "extra settings for apiserver, controller-manager, scheduler, etcd, kubelet, kube-proxy",
	  .example = "kubelet.max-pods=120", .validate = check_extra_config },
	{ "feature-gates", KL_SET_STRING, FC, .offset = KL_SET_AT(feature_gates), .arg = "A=true,B=false",
	  .help = "Kubernetes feature gates", .example = "InPlacePodVerticalScaling=true",
	  .validate = check_feature_gates },
	{ "apiserver-ips", KL_SET_LIST, FC, .offset = KL_SET_AT(apiserver_ips), .arg = "IP,...",
	  .help = "more IPs for the API server's certificate", .example = "192.0.2.1", .validate = check_ips },
	{ "apiserver-names", KL_SET_LIST, FC, .offset = KL_SET_AT(apiserver_names), .arg = "NAME,...",
	  .help = "more names for the API server's certificate", .example = "k8s.example", .validate = check_names },
	{ "cert-expiration", KL_SET_DURATION, FC, .offset = KL_SET_AT(cert_expiration_ms), .arg = "DURATION",
	  .help = "how long the certificates are valid, from 1h to 100 years", .def = "26280h", .min = HOUR_MS,
	  .max = 876000 * HOUR_MS, .example = "8760h" },
	{ "embed-certs", KL_SET_BOOL, FC, .offset = KL_SET_AT(embed_certs),
	  .help = "embed the certificates in the kubeconfig", .def = "false", .example = "true" },
	{ "keep-context", KL_SET_BOOL, FC, .offset = KL_SET_AT(keep_context),
	  .help = "do not switch the kubeconfig's current context", .def = "false", .example = "true" },
	{ "dns-upstream", KL_SET_ENUM, FC, .offset = KL_SET_AT(dns_upstream), .arg = "host|none", .allowed = dns_upstreams,
	  .help = "where CoreDNS forwards other names: the machine's resolver, or nowhere", .def = "host",
	  .example = "none" },
	{ "no-kubernetes", KL_SET_BOOL, KL_SETF_FLAG | SAVED("NoKubernetes"), .offset = KL_SET_AT(no_kubernetes),
	  .help = "start the machine only, without Kubernetes", .def = "false", .example = "true" },
	{ "wait", KL_SET_LIST, FC, .offset = KL_SET_AT(wait), .arg = "TARGET,...",
	  .help = "what to wait for after the API server: apiserver, system_pods, default_sa, node_ready, kubelet, dns, all or none",
	  .def = "all", .example = "node_ready,dns", .validate = check_wait },
	{ "wait-timeout", KL_SET_DURATION, FC, .offset = KL_SET_AT(wait_timeout_ms), .arg = "DURATION",
	  .help = "how long to wait for the machine and its components, from 1s to 24h", .def = "6m", .min = 1000,
	  .max = 24 * HOUR_MS, .example = "15m" },
	{ "network", KL_SET_ENUM, FC | SAVED("Network"), .offset = KL_SET_AT(network), .arg = "builtin|isolated",
	  .allowed = networks, .def = "builtin", .example = "isolated",
	  .help = "the VM's network: builtin lets the machine reach out through the host; isolated keeps all its traffic inside this host (qemu: the forwards still work; kvm2: no NAT network, only the machine's own)" },
	{ "cni", KL_SET_STRING, FC | SAVED("CNI"), .offset = KL_SET_AT(cni), .arg = "auto|bridge|FILE",
	  .help = "the pod network: the bridge CNI, or a manifest applied with kubectl after init", .def = "auto",
	  .example = "bridge", .validate = check_cni },
	{ "profile", KL_SET_PROFILE, KL_SETF_CONFIG, .offset = KL_SET_AT(profile), .arg = "NAME",
	  .help = "the profile used when -p is not given", .example = "dev" },
	{ NULL },
};

const struct kl_setting *
kl_setting_find(const char *name)
{
	for (const struct kl_setting *s = kl_settings_table; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

int
kl_setting_unknown(const char *name, struct kl_err *err)
{
	struct kl_suggest sg;

	kl_suggest_init(&sg, name);
	for (const struct kl_setting *s = kl_settings_table; s->name; s++)
		if (s->flags & KL_SETF_CONFIG)
			kl_suggest_try(&sg, s->name);
	if (sg.best)
		return kl_err_set(err, KL_R_CONFIG_KEY, "unknown config key '%s'; did you mean '%s'?", name, sg.best);
	return kl_err_set(err, KL_R_CONFIG_KEY, "unknown config key '%s'", name);
}

/* ---- parsing and checking ---- */

static int
bad(const char *text, const char *label, enum kl_reason reason, const char *form, struct kl_err *err)
{
	return kl_err_set(err, reason, "invalid value '%s' for %s: %s", text, label, form);
}

static void
size_text(long long mib, char *buf, size_t n)
{
	kl_format_size_mib(mib, buf, n);
}

static void
duration_text(long long ms, struct kl_strbuf *sb)
{
	if (ms == 0) {
		kl_strbuf_addstr(sb, "0s");
		return;
	}
	if (ms >= HOUR_MS)
		kl_strbuf_addf(sb, "%lldh", ms / HOUR_MS);
	if (ms % HOUR_MS >= 60000)
		kl_strbuf_addf(sb, "%lldm", ms % HOUR_MS / 60000);
	if (ms % 60000 >= 1000)
		kl_strbuf_addf(sb, "%llds", ms % 60000 / 1000);
	if (ms % 1000)
		kl_strbuf_addf(sb, "%lldms", ms % 1000);
}

/* A number against the row's range, in the row's own unit. */
static int
check_range(const struct kl_setting *s, long long v, const char *text, const char *label, struct kl_err *err)
{
	long long max = s->max ? s->max : s->type == KL_SET_INT ? INT_MAX : LLONG_MAX;
	struct kl_strbuf form = KL_STRBUF_INIT;
	char a[32], b[32];
	int rc;

	if (v >= s->min && v <= max)
		return 0;
	if (s->type == KL_SET_SIZE) {
		size_text(s->min, a, sizeof(a));
		size_text(max, b, sizeof(b));
		kl_strbuf_addf(&form, v < s->min ? "at least %s" : "at most %s", v < s->min ? a : b);
	} else if (s->type == KL_SET_DURATION) {
		kl_strbuf_addstr(&form, v < s->min ? "at least " : "at most ");
		duration_text(v < s->min ? s->min : max, &form);
	} else if (s->max) {
		kl_strbuf_addf(&form, "use a whole number from %lld to %lld", s->min, max);
	} else {
		kl_strbuf_addf(&form, v < s->min ? "use a whole number, at least %lld" : "use a whole number, at most %lld",
			       v < s->min ? s->min : max);
	}
	rc = bad(text, label, KL_R_USAGE_VALUE, form.buf, err);
	kl_strbuf_release(&form);
	return rc;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
valid_url(const char *v)
{
	static const char *const schemes[] = { "file:///", "http://", "https://" };

	for (size_t i = 0; i < KL_ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i]);
		if (strncmp(v, schemes[i], n) == 0 && v[n] != '\0' && v[n] != '/' && !strpbrk(v, " \t"))
			return 1;
	}
	return 0;
}

static json_t *
parse_list(const char *text)
{
	json_t *a = json_array();
	const char *p = text;

	for (;;) {
		size_t len = strcspn(p, ",");

		json_array_append_new(a, json_stringn(p, len));
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return a;
}

/* The type's own form; no validator yet. */
static int
parse_typed(const struct kl_setting *s, const char *text, const char *label, json_t **out, struct kl_err *err)
{
	struct kl_version ver;
	struct kl_strbuf form = KL_STRBUF_INIT;
	long long n;
	char *abs;
	int rc;

	*out = NULL;
	if (s->type != KL_SET_LIST && (*text == '\0' || has_control(text)))
		return bad(text, label, KL_R_USAGE_VALUE, "use a non-empty single line", err);
	/* JSON (the profile, config.json) holds only UTF-8: json_string() of other bytes is
	 * NULL, which the validators then read (found by tests/fuzz/fuzz_args.c). */
	if (!kl_utf8_valid(text, strlen(text)))
		return bad(text, label, KL_R_USAGE_VALUE, "use UTF-8 text", err);
	switch (s->type) {
	case KL_SET_STRING:
		*out = json_string(text);
		return 0;
	case KL_SET_ENUM:
		for (const char *const *a = s->allowed; *a; a++)
			if (strcmp(*a, text) == 0) {
				*out = json_string(text);
				return 0;
			}
		kl_strbuf_addstr(&form, "use one of");
		for (const char *const *a = s->allowed; *a; a++)
			kl_strbuf_addf(&form, "%s %s", a == s->allowed ? "" : ",", *a);
		rc = bad(text, label, KL_R_USAGE_VALUE, form.buf, err);
		kl_strbuf_release(&form);
		return rc;
	case KL_SET_INT:
		if (kl_parse_int(text, LLONG_MIN, LLONG_MAX, &n) != 0)
			return bad(text, label, KL_R_USAGE_VALUE, "use a whole number", err);
		break;
	case KL_SET_SIZE:
		if (kl_parse_size_mib(text, &n, NULL) != 0)
			return bad(text, label, KL_R_USAGE_VALUE,
				   "use a number of MiB or a unit, such as 4096, 4g or 4GiB (at most 1TiB of units)", err);
		break;
	case KL_SET_DURATION:
		if (kl_parse_duration_ms(text, &n, NULL) != 0)
			return bad(text, label, KL_R_USAGE_VALUE, "use a number with a unit, such as 90s, 6m or 1h30m", err);
		break;
	case KL_SET_BOOL:
		if (strcmp(text, "true") && strcmp(text, "false"))
			return bad(text, label, KL_R_USAGE_VALUE, "use true or false", err);
		*out = json_boolean(strcmp(text, "true") == 0);
		return 0;
	case KL_SET_VERSION:
		if (strcmp(text, "stable") && strcmp(text, "latest") && kl_version_parse(text, &ver) != 0)
			return bad(text, label, KL_R_USAGE_VALUE, "use stable, latest or a version such as v1.34.2", err);
		*out = text[0] >= '0' && text[0] <= '9' ? json_sprintf("v%s", text) : json_string(text);
		return 0;
	case KL_SET_URL:
		if (!valid_url(text))
			return bad(text, label, KL_R_USAGE_VALUE, "use a file:///, http:// or https:// URL", err);
		*out = json_string(text);
		return 0;
	case KL_SET_PROFILE:
		if (kl_profile_name_check(text, err) != 0)
			return kl_err_wrap(err, "invalid value for %s", label);
		*out = json_string(text);
		return 0;
	case KL_SET_PATH:
		if (text[0] == '/') {
			*out = json_string(text);
			return 0;
		}
		if ((abs = realpath(text, NULL)) == NULL) {
			char cwd[PATH_MAX];

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				return bad(text, label, KL_R_USAGE_VALUE, "use an absolute path", err);
			abs = kl_xasprintf("%s/%s", cwd, text);
		}
		*out = json_string(abs);
		free(abs);
		return 0;
	case KL_SET_LIST:
		*out = parse_list(text);
		for (size_t i = 0; i < json_array_size(*out); i++) {
			const char *item = json_string_value(json_array_get(*out, i));

			if (*item == '\0' || has_control(item)) {
				json_decref(*out);
				*out = NULL;
				return bad(text, label, KL_R_USAGE_VALUE, "use a comma separated list of non-empty items", err);
			}
		}
		return 0;
	}
	if (check_range(s, n, text, label, err) != 0)
		return -1;
	*out = json_integer(n);
	return 0;
}

static int
run_validator(const struct kl_setting *s, const char *text, const char *label, const struct kl_set_env *env,
	      json_t **v, struct kl_err *err)
{
	enum kl_reason reason = KL_R_USAGE_VALUE;
	char w[768] = "";

	if (s->validate == NULL || s->validate(v, env, &reason, w, sizeof(w)) == 0)
		return 0;
	json_decref(*v);
	*v = NULL;
	return bad(text, label, reason, w, err);
}

int
kl_setting_parse(const struct kl_setting *s, const char *text, const char *label, const struct kl_set_env *env,
		 json_t **out, struct kl_err *err)
{
	if (parse_typed(s, text, label, out, err) != 0)
		return -1;
	return run_validator(s, text, label, env, out, err);
}

int
kl_setting_check(const struct kl_setting *s, json_t *v, const char *label, const struct kl_set_env *env,
		 json_t **out, struct kl_err *err)
{
	int numeric = s->type == KL_SET_INT || s->type == KL_SET_SIZE || s->type == KL_SET_DURATION, rc;
	struct kl_strbuf text = KL_STRBUF_INIT;
	char *dump;

	*out = NULL;
	if (json_is_string(v))
		return kl_setting_parse(s, json_string_value(v), label, env, out, err);
	if (numeric && json_is_integer(v)) {
		kl_strbuf_addf(&text, "%lld", (long long)json_integer_value(v));
		rc = check_range(s, json_integer_value(v), text.buf, label, err);
		if (rc == 0) {
			*out = json_incref(v);
			rc = run_validator(s, text.buf, label, env, out, err);
		}
		kl_strbuf_release(&text);
		return rc;
	}
	if (s->type == KL_SET_BOOL && json_is_boolean(v)) {
		*out = json_incref(v);
		return 0;
	}
	if (s->type == KL_SET_LIST && json_is_array(v)) {
		size_t i;
		json_t *it;

		json_array_foreach(v, i, it) {
			if (!json_is_string(it))
				break;
			kl_strbuf_addf(&text, "%s%s", i ? "," : "", json_string_value(it));
		}
		rc = i == json_array_size(v) && i > 0 ? kl_setting_parse(s, text.buf, label, env, out, err) : 1;
		kl_strbuf_release(&text);
		if (rc <= 0)
			return rc;
	}
	dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	rc = kl_err_set(err, KL_R_USAGE_VALUE, "invalid value %s for %s: use %s", dump ? dump : "?", label,
			numeric ? "a whole number, or a string as typed" : s->type == KL_SET_BOOL ? "true or false" :
			s->type == KL_SET_LIST ? "a list of strings" : "a string");
	free(dump);
	return rc;
}

void
kl_setting_format(const struct kl_setting *s, json_t *v, struct kl_strbuf *sb)
{
	char buf[32];
	size_t i;
	json_t *it;

	if (json_is_string(v)) {
		kl_strbuf_addstr(sb, json_string_value(v));
	} else if (json_is_boolean(v)) {
		kl_strbuf_addstr(sb, json_is_true(v) ? "true" : "false");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, it)
			kl_strbuf_addf(sb, "%s%s", i ? "," : "", json_is_string(it) ? json_string_value(it) : "?");
	} else if (json_is_integer(v)) {
		long long n = json_integer_value(v);

		if (s && s->type == KL_SET_SIZE) {
			size_text(n, buf, sizeof(buf));
			kl_strbuf_addstr(sb, buf);
		} else if (s && s->type == KL_SET_DURATION) {
			duration_text(n, sb);
		} else {
			kl_strbuf_addf(sb, "%lld", n);
		}
	}
}

void
kl_settings_opts(struct kl_opt *dst, size_t n, const struct kl_opt *extra)
{
	size_t i = 0;

	for (const struct kl_setting *s = kl_settings_table; s->name && i + 1 < n; s++) {
		if (!(s->flags & KL_SETF_FLAG))
			continue;
		dst[i++] = (struct kl_opt){
			.name = s->name, .short_name = s->short_name, .arg = s->arg, .help = s->help,
			.def = s->shown ? s->shown : s->type == KL_SET_BOOL ? NULL : s->def,
			.type = s->type == KL_SET_BOOL ? KL_OPT_BOOL : s->type == KL_SET_LIST ? KL_OPT_LIST : KL_OPT_STRING,
		};
	}
	for (; extra && extra->name && i + 1 < n; extra++)
		dst[i++] = *extra;
	memset(&dst[i], 0, sizeof(dst[i]));
}

/* ---- decoding into the struct ---- */

static void
store(struct kl_settings *out, const struct kl_setting *s, json_t *v)
{
	char *at = (char *)out + s->offset;

	switch (s->type) {
	case KL_SET_INT:
		*(int *)at = (int)json_integer_value(v);
		break;
	case KL_SET_SIZE:
	case KL_SET_DURATION:
		*(long long *)at = json_integer_value(v);
		break;
	case KL_SET_BOOL:
		*(int *)at = json_is_true(v);
		break;
	case KL_SET_LIST: {
		char **items = kl_xcalloc(json_array_size(v) + 1, sizeof(*items));

		for (size_t i = 0; i < json_array_size(v); i++)
			items[i] = kl_xstrdup(json_string_value(json_array_get(v, i)));
		*(char ***)at = items;
		break;
	}
	default:
		*(char **)at = kl_xstrdup(json_string_value(v));
	}
}

int
kl_settings_decode(struct kl_settings *out, const struct kl_settings_src *src, struct kl_err *err)
{
	memset(out, 0, sizeof(*out));
	out->values = json_object();
	for (const struct kl_setting *s = kl_settings_table; s->name; s++) {
		const char *text = (s->flags & KL_SETF_FLAG) && src->flags ? kl_args_str(src->flags, s->name, NULL) : NULL;
		json_t *have = (s->flags & KL_SETF_SAVED) ? json_object_get(src->profile, s->field) : NULL;
		json_t *cfg = (s->flags & KL_SETF_CONFIG) ? json_object_get(src->config, s->name) : NULL;
		json_t *v = NULL;
		char *label;
		int rc = 0;

		if (have && text && (s->flags & KL_SETF_SHAPE)) {
			if (src->kept)
				src->kept(src->data, s);
			text = NULL;
		}
		if (text) {
			label = kl_xasprintf("'--%s'", s->name);
			rc = kl_setting_parse(s, text, label, &src->env, &v, err);
		} else if (have) {
			label = kl_xasprintf("'%s' in the profile '%s'", s->field, src->profile_name);
			rc = kl_setting_check(s, have, label, &src->env, &v, err);
		} else if (cfg) {
			label = kl_xasprintf("'%s' in '%s' (kubelaunch config set %s VALUE)", s->name,
					     src->config_path, s->name);
			rc = kl_setting_check(s, cfg, label, &src->env, &v, err);
		} else {
			label = kl_xasprintf("the default of '%s'", s->name);
			if (s->compute)
				v = s->compute();
			else if (s->def) /* the table's own: typed, not held against this host */
				rc = parse_typed(s, s->def, label, &v, err);
		}
		free(label);
		if (rc != 0) {
			/* A file that says something wrong is not a usage error of this command. */
			if (!text && err && kl_reason_exit(err->reason) == kl_reason_exit(KL_R_USAGE_VALUE))
				err->reason = KL_R_CONFIG_CORRUPT; /* PROFILE_NAME_INVALID too (fuzz_config) */
			kl_settings_release(out);
			return -1;
		}
		if (v == NULL)
			continue;
		store(out, s, v);
		json_object_set_new(out->values, s->name, v);
	}
	return 0;
}

void
kl_settings_release(struct kl_settings *s)
{
	if (s->values == NULL)
		return;
	for (const struct kl_setting *t = kl_settings_table; t->name; t++) {
		char *at = (char *)s + t->offset;

		if (t->type == KL_SET_LIST) {
			kl_strv_free(*(char ***)at);
			*(char ***)at = NULL;
		} else if (t->type != KL_SET_INT && t->type != KL_SET_SIZE && t->type != KL_SET_DURATION &&
			   t->type != KL_SET_BOOL) {
			free(*(char **)at);
			*(char **)at = NULL;
		}
	}
	json_decref(s->values);
	s->values = NULL;
}

void
kl_settings_save(const struct kl_settings *s, json_t *profile)
{
	for (const struct kl_setting *t = kl_settings_table; t->name; t++) {
		json_t *v = json_object_get(s->values, t->name);

		if ((t->flags & KL_SETF_SAVED) && v)
			json_object_set(profile, t->field, v);
	}
}
