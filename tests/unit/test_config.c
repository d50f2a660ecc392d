/* Config keys: validation and normalisation; profile names. */
#include <jansson.h>

#include "kubelaunch/config.h"
#include "kubelaunch/home.h"
#include "unit.h"

KL_TEST(config_values_table)
{
	static const struct {
		const char *key, *in, *stored; /* stored NULL: rejected */
	} cases[] = {
		{ "memory", "4g", "4GiB" },         { "memory", "6000", "6000MiB" },
		{ "memory", "1g", NULL },           { "memory", "four", NULL },
		{ "disk-size", "20g", "20GiB" },    { "disk-size", "1g", NULL },
		{ "cpus", "2", "2" },               { "cpus", "1", NULL },
		{ "cpus", "2.5", NULL },            { "driver", "qemu", "qemu" },
		{ "driver", "libvirt", "kvm2" },    { "driver", "virtualbox", NULL },
		{ "kubernetes-version", "1.34.2", "v1.34.2" },
		{ "kubernetes-version", "stable", "stable" },
		{ "kubernetes-version", "v1.x", NULL },
		{ "container-runtime", "containerd", "containerd" },
		{ "container-runtime", "docker", NULL },
		{ "iso-url", "file:///tmp/k.iso", "file:///tmp/k.iso" },
		{ "iso-url", "ftp://x/k.iso", NULL },
		{ "iso-url", "/tmp/k.iso", NULL },
		{ "wait-timeout", "6m", "6m" },     { "wait-timeout", "soon", NULL },
		{ "embed-certs", "true", "true" },  { "embed-certs", "yes", NULL },
		{ "profile", "dev-1", "dev-1" },    { "profile", "Dev", NULL },
		{ "apiserver-port", "8443", "8443" }, { "apiserver-port", "70000", NULL },
		{ "image-bundle", "/srv/images", "/srv/images" }, { "image-bundle", "images", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kl_config_key *key = kl_config_key_find(cases[i].key);
		struct kl_strbuf sb = KL_STRBUF_INIT;
		struct kl_err err;
		json_t *v = NULL;
		int rc;

		CHECK(key != NULL);
		if (key == NULL)
			continue;
		rc = kl_config_value_parse(key, cases[i].in, &v, &err);
		if (cases[i].stored == NULL) {
			if (rc == 0)
				kl_unit_fail(__FILE__, __LINE__, "%s=%s accepted", cases[i].key, cases[i].in);
			else if (strstr(err.msg, cases[i].key) == NULL && err.reason != KL_R_PROFILE_NAME)
				kl_unit_fail(__FILE__, __LINE__, "error does not name the key: %s", err.msg);
		} else if (rc != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s=%s rejected: %s", cases[i].key, cases[i].in, err.msg);
		} else {
			kl_config_value_format(key, v, &sb);
			CHECK_STR(sb.buf, cases[i].stored);
		}
		json_decref(v);
		kl_strbuf_release(&sb);
	}
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
