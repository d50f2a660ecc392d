/* config.c: typed user defaults in $KUBELAUNCH_HOME/config/config.json. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/config.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/json.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

static const char *const drivers[] = { "qemu", "kvm2", "none", "ssh", "vfkit", NULL };
static const char *const runtimes[] = { "containerd", NULL };

const struct kl_config_key kl_config_keys[] = {
	{ "apiserver-port", KL_KEY_INT, "the API server's port", NULL, 1, 65535 },
	{ "binary-mirror", KL_KEY_URL, "where kubeadm, kubelet and kubectl are downloaded from", NULL, 0, 0 },
	{ "cert-expiration", KL_KEY_DURATION, "how long certificates are valid", NULL, 3600000, 0 },
	{ "cni", KL_KEY_STRING, "auto, bridge, or the path of a CNI manifest", NULL, 0, 0 },
	{ "container-runtime", KL_KEY_ENUM, "the container runtime", runtimes, 0, 0 },
	{ "cpus", KL_KEY_INT, "CPUs of the machine (at least 2)", NULL, 2, 1024 },
	{ "disk-size", KL_KEY_SIZE, "the machine's disk (at least 2GiB)", NULL, 2048, 1LL << 30 },
	{ "driver", KL_KEY_ENUM, "the driver to use", drivers, 0, 0 },
	{ "embed-certs", KL_KEY_BOOL, "embed certificates in the kubeconfig", NULL, 0, 0 },
	{ "image-bundle", KL_KEY_PATH, "a directory of image archives to import", NULL, 0, 0 },
	{ "image-repository", KL_KEY_STRING, "the registry Kubernetes images come from", NULL, 0, 0 },
	{ "iso-url", KL_KEY_URL, "the guest image (file://, http://, https://)", NULL, 0, 0 },
	{ "keep-context", KL_KEY_BOOL, "do not change the kubeconfig's current context", NULL, 0, 0 },
	{ "kubernetes-version", KL_KEY_VERSION, "stable, latest or vX.Y.Z", NULL, 0, 0 },
	{ "libvirt-uri", KL_KEY_STRING, "the libvirt connection for kvm2", NULL, 0, 0 },
	{ "memory", KL_KEY_SIZE, "memory of the machine (at least 1800MiB)", NULL, 1800, 1LL << 30 },
	{ "profile", KL_KEY_PROFILE, "the profile used when -p is not given", NULL, 0, 0 },
	{ "wait-timeout", KL_KEY_DURATION, "how long start waits for components", NULL, 0, 0 },
	{ NULL, 0, NULL, NULL, 0, 0 },
};

const struct kl_config_key *
kl_config_key_find(const char *name)
{
	for (const struct kl_config_key *k = kl_config_keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int
kl_config_unknown_key(const char *name, struct kl_err *err)
{
	struct kl_suggest s;

	kl_suggest_init(&s, name);
	for (const struct kl_config_key *k = kl_config_keys; k->name; k++)
		kl_suggest_try(&s, k->name);
	if (s.best)
		return kl_err_set(err, KL_R_CONFIG_KEY, "unknown config key '%s'; did you mean '%s'?", name,
				  s.best);
	return kl_err_set(err, KL_R_CONFIG_KEY, "unknown config key '%s'", name);
}

static int
bad_value(const struct kl_config_key *key, const char *value, const char *form, struct kl_err *err)
{
	return kl_err_set(err, KL_R_USAGE_VALUE, "invalid value '%s' for '%s': %s", value, key->name,
			  form);
}

static int
parse_enum(const struct kl_config_key *key, const char *value, json_t **out, struct kl_err *err)
{
	struct kl_strbuf form = KL_STRBUF_INIT;
	int rc;

	if (strcmp(key->name, "driver") == 0 && strcmp(value, "libvirt") == 0)
		value = "kvm2";
	for (const char *const *a = key->allowed; *a; a++)
		if (strcmp(*a, value) == 0) {
			*out = json_string(value);
			return 0;
		}
	kl_strbuf_addstr(&form, "use one of");
	for (const char *const *a = key->allowed; *a; a++)
		kl_strbuf_addf(&form, "%s %s", a == key->allowed ? "" : ",", *a);
	rc = bad_value(key, value, form.buf, err);
	kl_strbuf_release(&form);
	return rc;
}

static int
valid_url(const char *v)
{
	static const char *const schemes[] = { "file:///", "http://", "https://" };

	for (size_t i = 0; i < KL_ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i]);
		if (strncmp(v, schemes[i], n) == 0 && v[n] != '\0' && !strpbrk(v, " \t\n"))
			return 1;
	}
	return 0;
}

int
kl_config_value_parse(const struct kl_config_key *key, const char *value, json_t **out,
		      struct kl_err *err)
{
	struct kl_version ver;
	long long n;
	char form[96];

	*out = NULL;
	switch (key->type) {
	case KL_KEY_STRING:
		if (*value == '\0' || strchr(value, '\n'))
			return bad_value(key, value, "use a non-empty single line", err);
		*out = json_string(value);
		return 0;
	case KL_KEY_ENUM:
		return parse_enum(key, value, out, err);
	case KL_KEY_INT:
		if (kl_parse_int(value, key->min, key->max, &n) != 0) {
			snprintf(form, sizeof(form), "use a whole number from %lld to %lld", key->min, key->max);
			return bad_value(key, value, form, err);
		}
		*out = json_integer(n);
		return 0;
	case KL_KEY_SIZE:
		if (kl_parse_size_mib(value, &n, NULL) != 0)
			return bad_value(key, value, "use a number of MiB or a unit, such as 4096, 4g or 4GiB", err);
		if (n < key->min) {
			char min[32];
			kl_format_size_mib(key->min, min, sizeof(min));
			snprintf(form, sizeof(form), "at least %s", min);
			return bad_value(key, value, form, err);
		}
		*out = json_integer(n);
		return 0;
	case KL_KEY_DURATION:
		if (kl_parse_duration_ms(value, &n, NULL) != 0)
			return bad_value(key, value, "use a number with a unit, such as 90s, 6m or 1h30m", err);
		if (n < key->min)
			return bad_value(key, value, "too short", err);
		*out = json_integer(n);
		return 0;
	case KL_KEY_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return bad_value(key, value, "use true or false", err);
		*out = json_boolean(strcmp(value, "true") == 0);
		return 0;
	case KL_KEY_VERSION:
		if (strcmp(value, "stable") && strcmp(value, "latest") && kl_version_parse(value, &ver) != 0)
			return bad_value(key, value, "use stable, latest or a version such as v1.34.2", err);
		if (value[0] >= '0' && value[0] <= '9') {
			*out = json_sprintf("v%s", value);
			return 0;
		}
		*out = json_string(value);
		return 0;
	case KL_KEY_URL:
		if (!valid_url(value))
			return bad_value(key, value, "use a file:///, http:// or https:// URL", err);
		*out = json_string(value);
		return 0;
	case KL_KEY_PROFILE:
		if (kl_profile_name_check(value, err) != 0)
			return -1;
		*out = json_string(value);
		return 0;
	case KL_KEY_PATH:
		if (value[0] != '/')
			return bad_value(key, value, "use an absolute path", err);
		*out = json_string(value);
		return 0;
	}
	return kl_err_set(err, KL_R_PROGRAM, "key '%s' has no type", key->name);
}

static void
format_duration(long long ms, struct kl_strbuf *sb)
{
	if (ms == 0) {
		kl_strbuf_addstr(sb, "0s");
		return;
	}
	if (ms >= 3600000)
		kl_strbuf_addf(sb, "%lldh", ms / 3600000);
	if (ms % 3600000 >= 60000)
		kl_strbuf_addf(sb, "%lldm", ms % 3600000 / 60000);
	if (ms % 60000 >= 1000)
		kl_strbuf_addf(sb, "%llds", ms % 60000 / 1000);
	if (ms % 1000)
		kl_strbuf_addf(sb, "%lldms", ms % 1000);
}

void
kl_config_value_format(const struct kl_config_key *key, json_t *value, struct kl_strbuf *sb)
{
	char buf[32];

	if (json_is_string(value)) {
		kl_strbuf_addstr(sb, json_string_value(value));
	} else if (json_is_boolean(value)) {
		kl_strbuf_addstr(sb, json_is_true(value) ? "true" : "false");
	} else if (json_is_integer(value)) {
		long long n = json_integer_value(value);
		if (key && key->type == KL_KEY_SIZE) {
			kl_format_size_mib(n, buf, sizeof(buf));
			kl_strbuf_addstr(sb, buf);
		} else if (key && key->type == KL_KEY_DURATION) {
			format_duration(n, sb);
		} else {
			kl_strbuf_addf(sb, "%lld", n);
		}
	}
}

char *
kl_config_path(const char *home)
{
	return kl_xasprintf("%s/config/config.json", home);
}

int
kl_config_load(const char *home, json_t **cfg, struct kl_err *err)
{
	char *path = kl_config_path(home);
	int rc = kl_json_load_file(path, 1, cfg, err);

	free(path);
	return rc;
}

int
kl_config_update(const char *home, const char *name, const char *value, struct kl_err *err)
{
	const struct kl_config_key *key = kl_config_key_find(name);
	char *path = NULL, *lockpath = NULL;
	json_t *cfg = NULL, *v = NULL;
	int fd = -1, rc = -1;

	if (key == NULL)
		return kl_config_unknown_key(name, err);
	if (value && kl_config_value_parse(key, value, &v, err) != 0)
		return -1;
	path = kl_config_path(home);
	lockpath = kl_xasprintf("%s.lock", path);
	fd = kl_lock(lockpath, 1, 30000, err);
	if (fd < 0)
		goto out;
	if (kl_json_load_file(path, 1, &cfg, err) != 0)
		goto out;
	if (v)
		json_object_set(cfg, key->name, v);
	else
		json_object_del(cfg, key->name);
	rc = kl_json_save_file(path, cfg, 0644, err);
out:
	kl_unlock(fd);
	json_decref(v);
	json_decref(cfg);
	free(lockpath);
	free(path);
	return rc;
}
