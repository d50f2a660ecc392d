/* The settings table: validation and normalisation, decoding; profile names. */
#include <jansson.h>

#include "kubelaunch/settings.h"
#include "kubelaunch/home.h"
#include "unit.h"

KL_TEST(config_values_table)
{
	static const struct {
		const char *key, *in, *stored; /* stored NULL: rejected */
	} cases[] = {
		{ "memory", "2g", "2GiB" },         { "memory", "1900", "1900MiB" },
		{ "memory", "1g", NULL },           { "memory", "four", NULL },
		{ "memory", "99999999g", NULL },    { "disk-size", "20g", "20GiB" },
		{ "disk-size", "1g", NULL },        { "disk-size", "900t", NULL },
		{ "cpus", "2", "2" },               { "cpus", "1", NULL },
		{ "cpus", "2.5", NULL },            { "cpus", "100000", NULL },
		{ "driver", "qemu", "qemu" },
		{ "driver", "libvirt", "kvm2" },    { "driver", "virtualbox", NULL },
		{ "kubernetes-version", "1.34.2", "v1.34.2" },
		{ "kubernetes-version", "stable", "stable" },
		{ "kubernetes-version", "v1.x", NULL },
		{ "container-runtime", "containerd", "containerd" },
		{ "container-runtime", "docker", NULL },
		{ "iso-url", "file:///tmp/k.iso", "file:///tmp/k.iso" },
		{ "iso-url", "ftp://x/k.iso", NULL },
		{ "iso-url", "/tmp/k.iso", NULL },
		{ "binary-mirror", "notaurl", NULL },
		{ "wait-timeout", "6m", "6m" },     { "wait-timeout", "soon", NULL },
		{ "wait-timeout", "600h", NULL },   { "wait-timeout", "24h", "24h" },
		{ "cert-expiration", "1ms", NULL }, { "cert-expiration", "59m", NULL },
		{ "cert-expiration", "8760h", "8760h" },
		{ "embed-certs", "true", "true" },  { "embed-certs", "yes", NULL },
		{ "profile", "dev-1", "dev-1" },    { "profile", "Dev", NULL },
		{ "apiserver-port", "8443", "8443" }, { "apiserver-port", "70000", NULL },
		{ "ssh-port", "-1", NULL },         { "ssh-port", "0", NULL },  { "ssh-port", "2222", "2222" },
		{ "apiserver-ips", "10.0.0.1,::1", "10.0.0.1,::1" }, { "apiserver-ips", "10.0.0.300", NULL },
		{ "apiserver-ips", "10.0.0.1,", NULL },
		{ "apiserver-names", "k8s.example,*.k8s.example", "k8s.example,*.k8s.example" },
		{ "apiserver-names", "a b", NULL },
		{ "image-bundle", "/", "/" },       { "image-bundle", "/nonexistent-dir", NULL },
		{ "wait", "node_ready,dns", "node_ready,dns" }, { "wait", "bogus", NULL },
		{ "cni", "bridge", "bridge" },      { "cni", "nope.yaml", NULL },
		{ "image-repository", "a\033[31mb", NULL },
	};
	struct kl_set_env env = { .home = "/" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kl_setting *key = kl_setting_find(cases[i].key);
		struct kl_strbuf sb = KL_STRBUF_INIT;
		struct kl_err err;
		json_t *v = NULL;
		int rc;

		CHECK(key != NULL);
		if (key == NULL)
			continue;
		rc = kl_setting_parse(key, cases[i].in, "'KEY'", &env, &v, &err);
		if (cases[i].stored == NULL) {
			if (rc == 0)
				kl_unit_fail(__FILE__, __LINE__, "%s=%s accepted", cases[i].key, cases[i].in);
			else if (strstr(err.msg, "'KEY'") == NULL)
				kl_unit_fail(__FILE__, __LINE__, "error does not name the source: %s", err.msg);
		} else if (rc != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s=%s rejected: %s", cases[i].key, cases[i].in, err.msg);
		} else {
			kl_setting_format(key, v, &sb);
			CHECK_STR(sb.buf, cases[i].stored);
		}
		json_decref(v);
		kl_strbuf_release(&sb);
	}
}

/* Limits that are the host's: the reason is the resource, not the form. */
KL_TEST(settings_host_limits)
{
	struct kl_set_env env = { .home = "/" };
	struct kl_err err;
	json_t *v = NULL;

	CHECK_INT(kl_setting_parse(kl_setting_find("cpus"), "100000", "'--cpus'", &env, &v, &err), -1);
	CHECK_INT(err.reason, KL_R_RSRC_CORES);
	CHECK_INT(kl_setting_parse(kl_setting_find("memory"), "99999999g", "'--memory'", &env, &v, &err), -1);
	CHECK_INT(err.reason, KL_R_RSRC_MEMORY);
	CHECK_INT(kl_setting_parse(kl_setting_find("disk-size"), "900t", "'--disk-size'", &env, &v, &err), -1);
	CHECK_INT(err.reason, KL_R_RSRC_DISK);
	CHECK(v == NULL);
}

/* A hand-edited config.json is checked by the same rows, and the error blames the file. */
KL_TEST(settings_decode_checks_files)
{
	static const char *const bad[] = {
		"{\"cpus\": \"two\"}", "{\"cpus\": 1}", "{\"wait-timeout\": 2160000000}", "{\"ssh-port\": -1}",
		"{\"binary-mirror\": \"notaurl\"}", "{\"embed-certs\": \"maybe\"}", "{\"memory\": [1]}",
		"{\"apiserver-ips\": [\"x\"]}", "{\"cert-expiration\": 1}",
	};
	struct kl_settings set;
	struct kl_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *cfg = json_loads(bad[i], 0, NULL);
		struct kl_settings_src src = { .config = cfg, .config_path = "/h/config.json", .env = { "/" } };

		CHECK(cfg != NULL);
		if (kl_settings_decode(&set, &src, &err) == 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s accepted", bad[i]);
			kl_settings_release(&set);
		} else {
			if (strstr(err.msg, "/h/config.json") == NULL || strstr(err.msg, "'--") != NULL)
				kl_unit_fail(__FILE__, __LINE__, "%s: the error does not blame the file: %s", bad[i], err.msg);
			CHECK_INT(err.reason, KL_R_CONFIG_CORRUPT);
		}
		json_decref(cfg);
	}
}

/* Every key `config set` accepts reaches the typed struct start reads (the walk the
 * issue asked for: `config set wait-timeout 15m` was stored and ignored). */
KL_TEST(settings_every_config_key_is_honoured)
{
	struct kl_settings def, got;
	struct kl_err err;
	struct kl_settings_src none = { .env = { "/" } };

	CHECK_INT(kl_settings_decode(&def, &none, &err), 0);
	for (const struct kl_setting *s = kl_settings_table; s->name; s++) {
		struct kl_settings_src src = { .config_path = "/h/config.json", .env = { "/" } };
		struct kl_strbuf a = KL_STRBUF_INIT, b = KL_STRBUF_INIT;
		json_t *v = NULL;

		if (!(s->flags & KL_SETF_CONFIG))
			continue;
		CHECK(s->example != NULL);
		if (s->example == NULL)
			continue;
		if (kl_setting_parse(s, s->example, "'example'", &src.env, &v, &err) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s: its example '%s' is refused: %s", s->name, s->example, err.msg);
			continue;
		}
		src.config = json_object();
		json_object_set_new(src.config, s->name, v);
		CHECK_INT(kl_settings_decode(&got, &src, &err), 0);
		/* The typed member changed (or the example is the default, e.g. containerd). */
		kl_setting_format(s, json_object_get(got.values, s->name), &a);
		kl_setting_format(s, v, &b);
		CHECK_STR(a.buf, b.buf);
		if (json_equal(json_object_get(def.values, s->name), v) == 0 &&
		    memcmp((char *)&def + s->offset, (char *)&got + s->offset, sizeof(void *)) == 0 &&
		    s->type != KL_SET_STRING && s->type != KL_SET_LIST && s->type != KL_SET_PATH &&
		    s->type != KL_SET_URL && s->type != KL_SET_VERSION && s->type != KL_SET_ENUM && s->type != KL_SET_PROFILE)
			kl_unit_fail(__FILE__, __LINE__, "%s: config.json's value did not reach the struct", s->name);
		kl_strbuf_release(&a);
		kl_strbuf_release(&b);
		kl_settings_release(&got);
		json_decref(src.config);
	}
	kl_settings_release(&def);
}

/* Flags win over the file; an existing profile's shape wins over a flag. */
static int kept_calls;
static void
count_kept(void *data, const struct kl_setting *s)
{
	(void)data, (void)s;
	kept_calls++;
}

KL_TEST(settings_precedence)
{
	char *argv[] = { "--apiserver-port=8444", "--memory=1900m", "--wait-timeout=15m", NULL };
	struct kl_opt opts[64];
	const struct kl_opt *tables[] = { opts, NULL };
	struct kl_args args = { 0 };
	struct kl_settings set;
	struct kl_err err;
	json_t *cfg = json_pack("{s:i, s:i, s:s}", "apiserver-port", 8445, "wait-timeout", 60000, "dns-upstream", "none");
	json_t *prof = json_pack("{s:i}", "MemoryMiB", 2000);
	struct kl_settings_src src = { .flags = &args, .config = cfg, .config_path = "c", .env = { "/" } };

	kl_settings_opts(opts, 64, NULL);
	CHECK_INT(kl_args_parse(&args, tables, 3, argv, &err), 0);
	CHECK_INT(kl_settings_decode(&set, &src, &err), 0);
	CHECK_INT(set.apiserver_port, 8444);
	CHECK_INT(set.memory_mib, 1900);
	CHECK_INT(set.wait_timeout_ms, 15 * 60000);
	CHECK_STR(set.dns_upstream, "none");
	CHECK_INT(set.cert_expiration_ms, 26280LL * 3600 * 1000);
	kl_settings_release(&set);
	src.profile = prof;
	src.kept = count_kept;
	CHECK_INT(kl_settings_decode(&set, &src, &err), 0);
	CHECK_INT(set.memory_mib, 2000);
	CHECK_INT(kept_calls, 1);
	kl_settings_release(&set);
	kl_args_release(&args);
	json_decref(cfg);
	json_decref(prof);
}

KL_TEST(profile_names_table)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "kubelaunch", 1 }, { "dev-1", 1 }, { "a", 1 }, { "0", 1 },
		{ "", 0 }, { "UPPER", 0 }, { "../x", 0 }, { "a/b", 0 }, { "a.b", 0 },
		{ "-a", 0 }, { "a-", 0 }, { "a_b", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },  /* 63 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 }, /* 64 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_err err;
		int rc = kl_profile_name_check(cases[i].name, &err);

		if ((rc == 0) != cases[i].ok)
			kl_unit_fail(__FILE__, __LINE__, "'%s': rc %d", cases[i].name, rc);
		if (rc != 0)
			CHECK_INT(err.reason, KL_R_PROFILE_NAME);
	}
}
