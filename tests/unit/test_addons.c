/* The addon registry and rendering: goldens of every addon (tests/golden/addons/,
 * KL_TEST_REGENERATE=1 rewrites them), each parsed back with libyaml; overrides;
 * values that must not change the YAML; errors naming file:line. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"
#include "unit.h"

static json_t *
cluster_facts(void)
{
	return json_pack("{s:s, s:s, s:s}", "hostIP", "192.168.39.1", "kubeconfig", "/home/u/.kube/config", "context",
			 "dev");
}

/* Every document of `yaml`: parsed by libyaml, labelled, and its images in `images`
 * (appended, one per line). Returns the number of objects, -1 on a parse error. */
static int
parse_back(const char *yaml, const char *addon, struct kl_strbuf *images)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int n = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, strlen(yaml));
	for (;;) {
		int meta, labels;

		if (!yaml_parser_load(&parser, &doc)) {
			n = -1;
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		meta = kl_yaml_map_get(&doc, 1, "metadata");
		labels = meta ? kl_yaml_map_get(&doc, meta, "labels") : 0;
		if (!labels || !kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, labels, KL_ADDON_LABEL)) ||
		    strcmp(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, labels, KL_ADDON_LABEL)), addon) != 0)
			kl_unit_fail(__FILE__, __LINE__, "%s: object %d has no label %s=%s", addon, n, KL_ADDON_LABEL, addon);
		for (yaml_node_t *p = doc.nodes.start; p < doc.nodes.top; p++) {
			if (p->type != YAML_MAPPING_NODE)
				continue;
			for (yaml_node_pair_t *kv = p->data.mapping.pairs.start; kv < p->data.mapping.pairs.top; kv++) {
				const char *k = kl_yaml_node_str(&doc, kv->key), *v = kl_yaml_node_str(&doc, kv->value);

				if (k && v && strcmp(k, "image") == 0)
					kl_strbuf_addf(images, "%s\n", v);
			}
		}
		yaml_document_delete(&doc);
		n++;
	}
	yaml_parser_delete(&parser);
	return n;
}

KL_TEST(addons_builtin_set)
{
	static const char *const want[] = { "dashboard", "default-storageclass", "dns", "headlamp", "ingress", "istio",
					    "metrics-server", "registry", "storage-provisioner" };
	struct kl_addon_set set;
	struct kl_err err;

	unsetenv("KUBELAUNCH_ADDONS_DIR");
	CHECK_INT(kl_addons_load(&set, &err), 0);
	CHECK_INT(set.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < set.n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(set.v[i].name, want[i]);
	CHECK(kl_addons_find(&set, "dns")->default_on);
	CHECK(kl_addons_find(&set, "storage-provisioner")->default_on);
	CHECK(kl_addons_find(&set, "default-storageclass")->default_on);
	CHECK(!kl_addons_find(&set, "ingress")->default_on);
	CHECK(!kl_addons_find(&set, "istio")->default_on);
	CHECK(kl_addons_find(&set, "istio")->program != NULL);
	CHECK(kl_addons_find(&set, "dns")->program == NULL);
	kl_addons_release(&set);
}

KL_TEST(addons_goldens_parse_back)
{
	struct kl_addon_set set;
	struct kl_err err;
	json_t *facts = cluster_facts();
	struct kl_addon_values vals = { .cluster = facts };

	unsetenv("KUBELAUNCH_ADDONS_DIR");
	if (kl_addons_load(&set, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct kl_addon *a = &set.v[i];
		struct kl_strbuf yaml = KL_STRBUF_INIT, images = KL_STRBUF_INIT;
		char *golden = kl_xasprintf("addons/%s.yaml", a->name);

		if (a->program) { /* its golden is its invocation: addons_program_invocation */
			free(golden);
			continue;
		}
		if (kl_addon_render(&set, a, &vals, &yaml, &err) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "%s: %s", a->name, err.msg);
		} else {
			kl_unit_golden(golden, yaml.buf);
			if (parse_back(yaml.buf, a->name, &images) < 1)
				kl_unit_fail(__FILE__, __LINE__, "%s: the rendering does not parse back", a->name);
			for (size_t k = 0; k < a->nimages; k++) {
				char *line = kl_xasprintf("%s\n", a->images[k].ref);

				if (strstr(images.buf, line) == NULL && strstr(yaml.buf, a->images[k].ref) == NULL)
					kl_unit_fail(__FILE__, __LINE__, "%s: image %s not rendered", a->name, a->images[k].ref);
				free(line);
			}
			CHECK(strstr(yaml.buf, "${") == NULL);
		}
		kl_strbuf_release(&yaml);
		kl_strbuf_release(&images);
		free(golden);
	}
	kl_addons_release(&set);
	json_decref(facts);
}

KL_TEST(addons_overrides)
{
	static const char *const images[] = { "Traefik=example.test/traefik:v9", NULL };
	static const char *const regs[] = { "Traefik=localhost:5000", NULL };
	static const char *const bad_key[] = { "Traffic=example.test/x:1", NULL };
	static const char *const bad_ref[] = { "Traefik=has space", NULL };
	struct kl_addon_set set;
	struct kl_err err;
	const struct kl_addon *ing;
	struct kl_addon_values v = { 0 };
	char *ref;

	unsetenv("KUBELAUNCH_ADDONS_DIR");
	if (kl_addons_load(&set, &err) != 0)
		return;
	ing = kl_addons_find(&set, "ingress");
	v.images = images;
	ref = kl_addon_image_ref(&ing->images[0], &v);
	CHECK_STR(ref, "example.test/traefik:v9");
	free(ref);
	v.images = NULL;
	v.registries = regs;
	ref = kl_addon_image_ref(&ing->images[0], &v);
	CHECK_STR(ref, "localhost:5000/library/traefik:v3.6.12");
	free(ref);
	v.images = images;
	ref = kl_addon_image_ref(&ing->images[0], &v);
	CHECK_STR(ref, "localhost:5000/traefik:v9");
	free(ref);
	CHECK_INT(kl_addons_check_overrides(&ing, 1, &v, &err), 0);
	v.images = bad_key;
	CHECK_INT(kl_addons_check_overrides(&ing, 1, &v, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_ADDON_USAGE);
	CHECK_STR(err.msg, "--images key 'Traffic' names no image of addon 'ingress'; its images: Traefik");
	v.images = bad_ref;
	CHECK_INT(kl_addons_check_overrides(&ing, 1, &v, &err), -1);
	CHECK(strstr(err.msg, "invalid --images 'Traefik=has space'") != NULL);
	kl_addons_release(&set);
}

static void
write_addon(const char *dir, const char *name, const char *meta, const char *manifest)
{
	char *d = kl_xasprintf("%s/%s", dir, name), *m = kl_xasprintf("%s/addon.yaml", d);
	char *f = kl_xasprintf("%s/objects.yaml", d);

	kl_mkdir_p(d, 0755, NULL);
	kl_write_file_atomic(m, meta, strlen(meta), 0644, NULL);
	kl_write_file_atomic(f, manifest, strlen(manifest), 0644, NULL);
	free(d);
	free(m);
	free(f);
}

/* A value that reads as another type, or carries YAML's own characters, stays one
 * string scalar: the structure cannot change. */
KL_TEST(addons_values_cannot_break_yaml)
{
	static const char *const images[] = { "App=8443", NULL };
	static const char *const evil[] = { "true", "8443", "a: b", "- x", "x\n---\nkind: Secret", "{a: [", "#c", "'\"", "" };
	char *dir = kl_xasprintf("%s/addons-free", kl_unit_tmpdir());
	struct kl_addon_set set;
	struct kl_err err;
	struct kl_addon_values v = { .images = images };

	write_addon(dir, "free", "name: free\nmanifests: [objects.yaml]\nimages: {App: example.test/app:1}\n"
		    "settings: [{name: text}]\n",
		    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  plain: ${settings.text}\n"
		    "  inner: \"[${settings.text}]\"\n  block: |\n    ${settings.text}\n  image: ${images.App}\n"
		    "  list:\n  - ${settings.text}\n  - \"${settings.text}\"\n");
	setenv("KUBELAUNCH_ADDONS_DIR", dir, 1);
	if (kl_addons_load(&set, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT;
		json_t *settings = json_pack("{s:s}", "text", evil[i]);
		yaml_document_t doc;
		char why[200], *block;
		int nd = 0, data;

		v.settings = settings;
		CHECK_INT(kl_addon_render(&set, kl_addons_find(&set, "free"), &v, &yaml, &err), 0);
		if (kl_yaml_load(yaml.buf, yaml.len, &doc, &nd, why, sizeof(why)) != 0) {
			kl_unit_fail(__FILE__, __LINE__, "value '%s': %s", evil[i], why);
			continue;
		}
		CHECK_INT(nd, 1);
		data = kl_yaml_map_get(&doc, 1, "data");
		CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, data, "plain")), evil[i]);
		block = kl_xasprintf("%s\n", evil[i]);
		CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, data, "block")), block);
		CHECK_STR(kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, data, "image")), "8443");
		CHECK_INT(kl_yaml_seq_len(&doc, kl_yaml_map_get(&doc, data, "list")), 2);
		/* Typed plain text was quoted: it reads back as a string. */
		CHECK(strstr(yaml.buf, "image: \"8443\"") || strstr(yaml.buf, "image: '8443'"));
		if (strcmp(evil[i], "true") == 0)
			CHECK(strstr(yaml.buf, "plain: true") == NULL);
		free(block);
		yaml_document_delete(&doc);
		json_decref(settings);
		kl_strbuf_release(&yaml);
	}
	/* Found by tests/fuzz/fuzz_addons.c: a value that is not UTF-8 (a byte, a code
	 * point past U+10FFFF) made the YAML dumper abort; now the render refuses it. */
	for (size_t i = 0; i < 2; i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT;
		json_t *settings = json_object();

		json_object_set_new(settings, "text", json_stringn_nocheck(i ? "a\xf7\x91\x8a\x93" : "\xae", i ? 5 : 1));
		v.settings = settings;
		CHECK_INT(kl_addon_render(&set, kl_addons_find(&set, "free"), &v, &yaml, &err), -1);
		CHECK_INT(err.reason, KL_R_SVC_ADDON_USAGE);
		CHECK(strstr(err.msg, "objects.yaml:") && strstr(err.msg, "not UTF-8"));
		json_decref(settings);
		kl_strbuf_release(&yaml);
	}
	kl_addons_release(&set);
	unsetenv("KUBELAUNCH_ADDONS_DIR");
	free(dir);
}

KL_TEST(addons_errors_name_file_line)
{
	char *dir = kl_xasprintf("%s/addons-dir", kl_unit_tmpdir());
	struct kl_addon_set set;
	const struct kl_addon *a;
	struct kl_strbuf yaml = KL_STRBUF_INIT;
	struct kl_err err;
	char *want;

	write_addon(dir, "broken", "name: broken\nmanifests: [objects.yaml]\nimages:\n  App: example.test/app:1\n",
		    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ${images.App}\n"
		    "  b: |\n    line one\n    ${settings.nope}\n");
	write_addon(dir, "choice", "name: choice\nmanifests: [objects.yaml]\nsettings:\n  - name: mode\n    default: a\n"
		    "    choices: {a: A, b: B}\n",
		    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  m: ${settings.mode}\n");
	setenv("KUBELAUNCH_ADDONS_DIR", dir, 1);
	CHECK_INT(kl_addons_load(&set, &err), 0);
	CHECK_INT(kl_addons_lookup(&set, "brokn", &a, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_ADDON_UNKNOWN);
	CHECK_STR(err.msg, "there is no addon 'brokn': did you mean 'broken'?");
	CHECK_INT(kl_addons_lookup(&set, "broken", &a, &err), 0);
	CHECK_INT(kl_addon_render(&set, a, NULL, &yaml, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_ADDON_MANIFEST);
	want = kl_xasprintf("%s/broken/objects.yaml:9: unknown variable '${settings.nope}'", dir);
	CHECK_STR(err.msg, want);
	free(want);
	kl_strbuf_reset(&yaml);
	{
		json_t *s = json_pack("{s:s}", "mode", "c");
		struct kl_addon_values v = { .settings = s };

		CHECK_INT(kl_addon_render(&set, kl_addons_find(&set, "choice"), &v, &yaml, &err), -1);
		CHECK_STR(err.msg, "setting 'mode' of addon 'choice' is 'c': use a or b");
		json_object_set_new(s, "mode", json_string("b"));
		kl_strbuf_reset(&yaml);
		CHECK_INT(kl_addon_render(&set, kl_addons_find(&set, "choice"), &v, &yaml, &err), 0);
		CHECK(strstr(yaml.buf, "  m: B\n") != NULL);
		json_decref(s);
	}
	kl_addons_release(&set);
	/* A manifest that is not YAML: its file, line and column. */
	write_addon(dir, "broken", "name: broken\nmanifests: [objects.yaml]\n", "apiVersion: v1\nkind: [\n");
	CHECK_INT(kl_addons_load(&set, &err), 0);
	kl_strbuf_reset(&yaml);
	CHECK_INT(kl_addon_render(&set, kl_addons_find(&set, "broken"), NULL, &yaml, &err), -1);
	want = kl_xasprintf("%s/broken/objects.yaml:3:", dir);
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	free(want);
	kl_addons_release(&set);
	unsetenv("KUBELAUNCH_ADDONS_DIR");
	kl_strbuf_release(&yaml);
	free(dir);
}

/* What the profile keeps: the default until asked, the user's choice after; the
 * overrides that name the addon's images, and the rendering with them. */
KL_TEST(addons_profile_bookkeeping)
{
	static const char *const imgs[] = { "Traefik=example.test/t:2", "Dashboard=example.test/d:1", NULL };
	static const char *const regs[] = { "Traefik=mirror.test:5000", NULL };
	struct kl_addon_set set;
	struct kl_strbuf yaml = KL_STRBUF_INIT;
	struct kl_err err;
	json_t *cfg = json_object(), *facts = cluster_facts();
	const struct kl_addon *ing, *dns;

	unsetenv("KUBELAUNCH_ADDONS_DIR");
	if (kl_addons_load(&set, &err) != 0)
		return;
	ing = kl_addons_find(&set, "ingress");
	dns = kl_addons_find(&set, "dns");
	CHECK(!kl_addons_enabled(ing, cfg));
	CHECK(kl_addons_enabled(dns, cfg));
	kl_addons_record(cfg, "ingress", 1);
	kl_addons_record(cfg, "dns", 0);
	CHECK(kl_addons_enabled(ing, cfg));
	CHECK(!kl_addons_enabled(dns, cfg));
	kl_addons_remember(cfg, ing, imgs, regs);
	/* Only the ingress's own image is kept for it. */
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(cfg, "AddonImages"), "ingress"),
						    "Traefik")), "example.test/t:2");
	CHECK_INT(json_object_size(json_object_get(json_object_get(cfg, "AddonImages"), "ingress")), 1);
	CHECK_INT(kl_addons_render_profile(&set, ing, cfg, facts, &yaml, &err), 0);
	CHECK(strstr(yaml.buf, "image: mirror.test:5000/t:2\n") != NULL);
	kl_strbuf_reset(&yaml);
	json_object_set_new(cfg, "AddonSettings", json_pack("{s:{s:s}}", "dns", "upstream", "none"));
	CHECK_INT(kl_addons_render_profile(&set, dns, cfg, facts, &yaml, &err), 0);
	CHECK(strstr(yaml.buf, "forward .") == NULL && strstr(yaml.buf, "loop") == NULL);
	CHECK(strstr(yaml.buf, "192.168.39.1 host.kubelaunch.internal") != NULL);
	kl_strbuf_release(&yaml);
	json_decref(cfg);
	json_decref(facts);
	kl_addons_release(&set);
}

/* The istio addon's invocations (goldens: tests/golden/addons/istio-*.txt) with the
 * defaults and with every setting the test bench uses; an unset setting adds no
 * word; what the addon waits for and removes. */
KL_TEST(addons_program_invocation)
{
	struct kl_addon_set set;
	struct kl_strbuf text = KL_STRBUF_INIT;
	struct kl_err err;
	json_t *cfg = json_object(), *facts = cluster_facts(), *objs = NULL;
	const struct kl_addon *a;

	unsetenv("KUBELAUNCH_ADDONS_DIR");
	if (kl_addons_load(&set, &err) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
		return;
	}
	a = kl_addons_find(&set, "istio");
	CHECK_INT(kl_addons_invocation(cfg, facts, a, 1, &text, &err), 0);
	kl_strbuf_addstr(&text, "\n");
	kl_unit_golden("addons/istio-install.txt", text.buf);
	CHECK(strstr(text.buf, "--set=hub") == NULL && strstr(text.buf, "--set=tag") == NULL);
	CHECK(strstr(text.buf, "ingressGateways") == NULL);
	CHECK(strstr(text.buf, "istioctl 1.31.0 from https://github.com/istio/istio/releases/download: install -y ") == text.buf);
	kl_strbuf_reset(&text);
	json_object_set_new(cfg, "AddonSettings",
			    json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "istio", "version", "1.31-dev", "mirror",
				      "http://127.0.0.1:8000", "hub", "kubelaunch.test/istio", "tag", "1.31-dev",
				      "ingress-gateway", "off", "profile", "minimal"));
	CHECK_INT(kl_addons_invocation(cfg, facts, a, 1, &text, &err), 0);
	kl_strbuf_addstr(&text, "\n");
	kl_unit_golden("addons/istio-install-bench.txt", text.buf);
	CHECK(strstr(text.buf, " --set=components.ingressGateways[0].enabled=false") != NULL);
	kl_strbuf_reset(&text);
	CHECK_INT(kl_addons_invocation(cfg, facts, a, 0, &text, &err), 0);
	kl_strbuf_addstr(&text, "\n");
	kl_unit_golden("addons/istio-uninstall.txt", text.buf);
	kl_strbuf_reset(&text);
	/* Through --kubeconfig FILE: no context word at all. */
	json_object_set_new(facts, "context", json_string(""));
	CHECK_INT(kl_addons_invocation(cfg, facts, a, 0, &text, &err), 0);
	CHECK(strstr(text.buf, "--context") == NULL);
	kl_strbuf_reset(&text);
	/* A setting the addon rejects. */
	json_object_set_new(json_object_get(json_object_get(cfg, "AddonSettings"), "istio"), "profile",
			    json_string("everything"));
	CHECK_INT(kl_addons_invocation(cfg, facts, a, 1, &text, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_ADDON_USAGE);
	CHECK(strstr(err.msg, "setting 'profile' of addon 'istio' is 'everything': use default or demo") != NULL);
	CHECK_INT(kl_addons_invocation(cfg, facts, kl_addons_find(&set, "dns"), 1, &text, &err), -1);
	CHECK_INT(kl_addon_object_refs("istio", a->program->available, &objs, &err), 0);
	CHECK_INT(kl_addon_object_refs("istio", a->program->remove, &objs, &err), 0);
	{
		char *dump = json_dumps(objs, JSON_COMPACT | JSON_SORT_KEYS);

		CHECK_STR(dump, "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"istiod\","
				"\"namespace\":\"istio-system\"}},{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
				"{\"name\":\"istio-system\"}}]");
		free(dump);
	}
	kl_strbuf_release(&text);
	json_decref(objs);
	json_decref(cfg);
	json_decref(facts);
	kl_addons_release(&set);
}

/* program: and recommends: in an addon.yaml of one's own; what is wrong names the
 * file and line; object references; the setting types url and version. */
KL_TEST(addons_program_addon_yaml)
{
	static char *const refs_bad[] = { "Deployment istiod", NULL };
	static char *const refs_ok[] = { "v1 ConfigMap a/b", "v1 Namespace c", NULL };
	char *dir = kl_xasprintf("%s/addons-prog", kl_unit_tmpdir()), *want;
	struct kl_addon_set set;
	struct kl_err err;
	json_t *objs = NULL;
	const struct kl_addon *a;

	write_addon(dir, "tool", "name: tool\nrecommends: {memory: 8192, cpus: 4, source: the guide}\n"
		    "program:\n  name: istioctl\n  version: ${settings.v}\n  install: [install, '--x=${settings.x}']\n"
		    "  uninstall: [uninstall]\nsettings:\n  - {name: v, default: '1.0', type: version}\n"
		    "  - {name: x, default: ''}\n  - {name: site, default: 'https://x.test', type: url}\n",
		    "unused: true\n");
	setenv("KUBELAUNCH_ADDONS_DIR", dir, 1);
	CHECK_INT(kl_addons_load(&set, &err), 0);
	a = kl_addons_find(&set, "tool");
	CHECK(a && a->program && a->nmanifests == 0);
	if (a) {
		struct kl_strbuf why = KL_STRBUF_INIT;

		CHECK_INT(a->recommends_memory_mib, 8192);
		CHECK_INT(a->recommends_cpus, 4);
		CHECK_INT(kl_addon_short_of(a, 8192, 4, 0, &why), 0);
		CHECK_INT(kl_addon_short_of(a, 4096, 2, 0, &why), 1);
		CHECK_STR(why.buf, "'tool' asks for 8192 MiB of memory and 4 CPUs (the guide); the machine has 4096 MiB "
				   "and 2 CPUs: start with --memory=8192 --cpus=4 (a new profile, or after 'kubelaunch delete')");
		kl_strbuf_reset(&why);
		CHECK_INT(kl_addon_short_of(a, 24000, 2, 1, &why), 1);
		CHECK(strstr(why.buf, "this host (the none driver) has 2 CPUs: ") != NULL);
		CHECK(strstr(why.buf, "--memory=8192 --cpus=4") != NULL);
		kl_strbuf_release(&why);
		CHECK_INT(kl_addon_setting_check(a, kl_addon_setting(a, "v"), "1.31-dev", &err), 0);
		CHECK_INT(kl_addon_setting_check(a, kl_addon_setting(a, "v"), "../1", &err), -1);
		CHECK(strstr(err.msg, "give a version such as 1.31.0") != NULL);
		CHECK_INT(kl_addon_setting_check(a, kl_addon_setting(a, "site"), "http://127.0.0.1:8000/r", &err), 0);
		CHECK_INT(kl_addon_setting_check(a, kl_addon_setting(a, "site"), "ftp://x", &err), -1);
		CHECK_INT(kl_addon_setting_check(a, kl_addon_setting(a, "site"), "http://a b", &err), -1);
		CHECK_INT(err.reason, KL_R_SVC_ADDON_USAGE);
	}
	kl_addons_release(&set);
	write_addon(dir, "tool", "name: tool\nprogram:\n  name: istioctl\n  version: '1'\n  install: [install]\n",
		    "unused: true\n");
	CHECK_INT(kl_addons_load(&set, &err), -1);
	want = kl_xasprintf("tool/addon.yaml:3: a program addon lists its install and uninstall words");
	CHECK_STR(err.msg, want);
	free(want);
	write_addon(dir, "tool", "name: tool\nprogram:\n  name: istioctl\n  version: '1'\n  install: [i]\n"
		    "  uninstall: [u]\n  available: [Deployment x]\n", "unused: true\n");
	CHECK_INT(kl_addons_load(&set, &err), -1);
	CHECK_INT(err.reason, KL_R_SVC_ADDON_MANIFEST);
	CHECK(strstr(err.msg, "'Deployment x' is not 'apiVersion Kind [namespace/]name'") != NULL);
	unsetenv("KUBELAUNCH_ADDONS_DIR");
	CHECK_INT(kl_addon_object_refs("t", refs_bad, &objs, &err), -1);
	CHECK_INT(kl_addon_object_refs("t", refs_ok, &objs, &err), 0);
	CHECK_INT(json_array_size(objs), 2);
	json_decref(objs);
	free(dir);
}
