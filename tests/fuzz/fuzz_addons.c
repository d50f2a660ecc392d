/*
 * fuzz_addons.c: rendering an addon (src/addons/render.c) with what users and the
 * cluster hand it: --images and --registries overrides, settings (addons configure),
 * and the cluster's facts (hostIP, from the machine's record).
 * Input: a byte picking the addon, then NUL-separated strings: the hostIP, then each
 * "i<Name=ref>" (an image override), "r<Name=host>" (a registry), "s<name>=<value>"
 * (a setting).
 * Invariants: the checks enable runs (kl_addons_check_overrides, kl_addon_setting_check)
 * either refuse with SVC_ADDON_USAGE and say why, or let only valid image references
 * through; the render succeeds or refuses with a reason (never aborts); a rendered
 * stream parses, every object carries kubelaunch.io/addon=<name>, and its shape (the
 * documents, node kinds and mapping keys) is the default render's: no value changes
 * the YAML's structure.
 */
#include "kubelaunch/addons.h"
#include "kubelaunch/err.h"
#include "kubelaunch/yaml.h"

#include "fuzz.h"
#include "fuzz_tree.h"

#define MAX_STRINGS 24

static struct kl_addon_set set;
static char **shapes; /* the default render's shape, per addon */

/* Parse the stream: its shape into sb; every object labelled. 0, or -1 if it does not parse. */
static int
stream_shape(const struct kl_addon *a, const struct kl_strbuf *yaml, struct kl_strbuf *sb)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml->buf, yaml->len);
	for (;;) {
		if (!yaml_parser_load(&parser, &doc))
			goto out;
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		const char *label = kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, kl_yaml_map_get(&doc,
							     kl_yaml_map_get(&doc, 1, "metadata"), "labels"), KL_ADDON_LABEL));
		KL_FUZZ_CHECK(label && strcmp(label, a->name) == 0);
		kl_fuzz_tree_text(&doc, 1, 0, sb, 0);
		kl_strbuf_addstr(sb, "\n");
		yaml_document_delete(&doc);
	}
	rc = 0;
out:
	yaml_parser_delete(&parser);
	return rc;
}

static void
setup(void)
{
	struct kl_err err = { 0 };

	if (shapes)
		return;
	if (kl_addons_load(&set, &err) != 0 || set.n == 0) {
		fprintf(stderr, "cannot load the addons: %s\n", err.msg);
		abort();
	}
	shapes = calloc(set.n, sizeof(*shapes));
	for (size_t i = 0; i < set.n; i++) {
		struct kl_strbuf yaml = KL_STRBUF_INIT, sb = KL_STRBUF_INIT;
		json_t *cluster = json_pack("{s:s}", "hostIP", "10.0.2.2");
		struct kl_addon_values vals = { .cluster = cluster };

		if (kl_addon_render(&set, &set.v[i], &vals, &yaml, &err) != 0 || stream_shape(&set.v[i], &yaml, &sb) != 0) {
			fprintf(stderr, "addon '%s' does not render by default: %s\n", set.v[i].name, err.msg);
			abort();
		}
		shapes[i] = kl_strbuf_detach(&sb, NULL);
		kl_strbuf_release(&yaml);
		json_decref(cluster);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s[MAX_STRINGS], *buf;
	const char *images[MAX_STRINGS + 1], *registries[MAX_STRINGS + 1];
	size_t ni = 0, nr = 0, which;
	struct kl_strbuf yaml = KL_STRBUF_INIT, sb = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	const struct kl_addon *a;
	json_t *settings = json_object(), *cluster = json_object();
	int n, checked = 1;

	if (size < 1)
		goto done;
	setup();
	which = data[0] % set.n;
	a = &set.v[which];
	n = kl_fuzz_split(data + 1, size - 1, s, MAX_STRINGS, &buf);
	json_object_set_new(cluster, "hostIP", json_string(n > 0 ? s[0] : ""));
	for (int i = 1; i < n; i++) {
		char *eq = s[i][0] ? strchr(s[i] + 1, '=') : NULL;

		if (s[i][0] == 'i')
			images[ni++] = s[i] + 1;
		else if (s[i][0] == 'r')
			registries[nr++] = s[i] + 1;
		else if (s[i][0] == 's' && eq) {
			*eq = '\0';
			json_object_set_new(settings, s[i] + 1, json_string(eq + 1));
		}
	}
	images[ni] = registries[nr] = NULL;
	struct kl_addon_values vals = { .images = images, .registries = registries, .settings = settings, .cluster = cluster };

	/* What enable checks first. */
	if (kl_addons_check_overrides(&a, 1, &vals, &err) != 0) {
		KL_FUZZ_CHECK(err.reason == KL_R_SVC_ADDON_USAGE && err.msg[0]);
		checked = 0;
	}
	for (size_t i = 0; checked && i < a->nimages; i++) {
		char *ref = kl_addon_image_ref(&a->images[i], &vals);

		KL_FUZZ_CHECK(kl_addon_ref_valid(ref));
		free(ref);
	}
	for (size_t i = 0; i < a->nsettings; i++) {
		const char *v = json_string_value(json_object_get(settings, a->settings[i].name));

		if (v && kl_addon_setting_check(a, &a->settings[i], v, &err) != 0)
			KL_FUZZ_CHECK(err.reason == KL_R_SVC_ADDON_USAGE && err.msg[0]);
	}

	/* The render itself, checked or not: it refuses or keeps the shape. */
	if (kl_addon_render(&set, a, &vals, &yaml, &err) != 0) {
		KL_FUZZ_CHECK(err.msg[0] != '\0');
	} else {
		KL_FUZZ_CHECK(stream_shape(a, &yaml, &sb) == 0);
		KL_FUZZ_CHECK(strcmp(sb.buf, shapes[which]) == 0);
	}
	free(buf);
done:
	kl_strbuf_release(&yaml);
	kl_strbuf_release(&sb);
	json_decref(settings);
	json_decref(cluster);
	return 0;
}
