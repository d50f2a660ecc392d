/*
 * render.c: an addon's manifests with their variables substituted, as YAML.
 *
 * Each manifest is parsed into libyaml's node tree; a scalar holding ${...} gets the
 * value in its place (the node's text changes, the tree's shape cannot), re-quoted
 * when the new text written plain would read back as another type or need quotes.
 * Every object gets the label kubelaunch.io/addon=<name>. The tree is then emitted
 * by libyaml: nothing here writes YAML text by hand.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/json.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"

int
kl_addon_ref_valid(const char *ref)
{
	if (ref == NULL || *ref == '\0' || *ref == '-' || *ref == '/' || *ref == ':' || strlen(ref) > 512)
		return 0;
	for (const char *p = ref; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/:@", *p))
			return 0;
	return ref[strlen(ref) - 1] != '/' && ref[strlen(ref) - 1] != ':';
}

/* "Name=value" in a NULL-terminated list: the value, else NULL. */
static const char *
override(const char *const *list, const char *name)
{
	size_t n = strlen(name);

	for (; list && *list; list++)
		if (strncmp(*list, name, n) == 0 && (*list)[n] == '=')
			return *list + n + 1;
	return NULL;
}

/* Whether the first path component of a reference names a registry host. */
static size_t
registry_len(const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t n;

	if (slash == NULL)
		return 0;
	n = (size_t)(slash - ref);
	if (memchr(ref, '.', n) || memchr(ref, ':', n) || (n == 9 && strncmp(ref, "localhost", 9) == 0))
		return n;
	return 0;
}

char *
kl_addon_image_ref(const struct kl_addon_image *img, const struct kl_addon_values *vals)
{
	const char *ref = override(vals ? vals->images : NULL, img->name);
	const char *reg = override(vals ? vals->registries : NULL, img->name);
	size_t n;

	if (ref == NULL)
		ref = img->ref;
	if (reg == NULL)
		return kl_xstrdup(ref);
	n = registry_len(ref);
	return kl_xasprintf("%s/%s", reg, ref + (n ? n + 1 : 0));
}

static int
check_list(const struct kl_addon *const *addons, size_t n, const char *const *list, const char *opt,
	   struct kl_err *err)
{
	for (; list && *list; list++) {
		const char *eq = strchr(*list, '=');
		struct kl_strbuf names = KL_STRBUF_INIT;
		int found = 0;

		if (eq == NULL || eq == *list || !kl_addon_ref_valid(eq + 1))
			return kl_err_set(err, KL_R_SVC_ADDON_USAGE, "invalid %s '%s': use Name=%s", opt, *list,
					  strcmp(opt, "--images") == 0 ? "registry/image:tag" : "host[:port]");
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < addons[i]->nimages; k++) {
				const char *name = addons[i]->images[k].name;

				if (strlen(name) == (size_t)(eq - *list) && strncmp(name, *list, strlen(name)) == 0)
					found = 1;
				kl_strbuf_addf(&names, "%s%s", names.len ? ", " : "", name);
			}
		}
		if (!found) {
			if (n == 1)
				kl_err_set(err, KL_R_SVC_ADDON_USAGE, "%s key '%.*s' names no image of addon '%s'%s%s", opt,
					   (int)(eq - *list), *list, addons[0]->name,
					   names.len ? "; its images: " : " (it has none)", names.buf);
			else
				kl_err_set(err, KL_R_SVC_ADDON_USAGE, "%s key '%.*s' names no image of the addons named%s%s",
					   opt, (int)(eq - *list), *list, names.len ? "; their images: " : " (they have none)",
					   names.buf);
			kl_strbuf_release(&names);
			return -1;
		}
		kl_strbuf_release(&names);
	}
	return 0;
}

int
kl_addons_check_overrides(const struct kl_addon *const *addons, size_t n, const struct kl_addon_values *vals,
			  struct kl_err *err)
{
	if (check_list(addons, n, vals->images, "--images", err) != 0)
		return -1;
	return check_list(addons, n, vals->registries, "--registries", err);
}

struct render {
	const struct kl_addon *a;
	const struct kl_addon_values *vals;
	const char *file; /* "dns/coredns.yaml", for messages */
	int cluster_only; /* expanding a setting's default: only ${cluster.*} */
};

static int
setting_text(struct render *r, const struct kl_addon_setting *s, char **out, struct kl_err *err);

/* The value of variable `name` (a new string), or -1 with err set. `line` is where
 * it was written. */
static int
lookup(struct render *r, const char *name, size_t line, char **out, struct kl_err *err)
{
	const char *v;

	if (strncmp(name, "cluster.", 8) == 0) {
		if (r->vals && (v = json_string_value(json_object_get(r->vals->cluster, name + 8))) != NULL) {
			*out = kl_xstrdup(v);
			return 0;
		}
	} else if (!r->cluster_only && strncmp(name, "images.", 7) == 0) {
		for (size_t i = 0; i < r->a->nimages; i++) {
			if (strcmp(r->a->images[i].name, name + 7) == 0) {
				*out = kl_addon_image_ref(&r->a->images[i], r->vals);
				return 0;
			}
		}
	} else if (!r->cluster_only && strncmp(name, "settings.", 9) == 0) {
		const struct kl_addon_setting *s = kl_addon_setting(r->a, name + 9);

		if (s)
			return setting_text(r, s, out, err);
	}
	return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: unknown variable '${%s}'", r->file, line, name);
}

/* `in` with every ${name} replaced; `line` is the line of in's first character, for
 * messages. *got (may be NULL) counts the bytes the variables gave. */
static int
expand(struct render *r, const char *in, size_t line, char **out, size_t *got, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	const char *p = in, *start;

	while ((start = strstr(p, "${")) != NULL) {
		const char *end = strchr(start + 2, '}');
		char *name, *val = NULL;
		int rc;

		for (const char *q = p; q < start; q++)
			line += *q == '\n';
		kl_strbuf_add(&sb, p, (size_t)(start - p));
		if (end == NULL) {
			kl_strbuf_release(&sb);
			return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: '${' without its '}'", r->file, line);
		}
		name = kl_xstrndup(start + 2, (size_t)(end - start - 2));
		rc = lookup(r, name, line, &val, err);
		free(name);
		if (rc != 0) {
			kl_strbuf_release(&sb);
			return -1;
		}
		kl_strbuf_addstr(&sb, val);
		if (got)
			*got += strlen(val);
		free(val);
		p = end + 1;
	}
	kl_strbuf_addstr(&sb, p);
	*out = kl_strbuf_detach(&sb, NULL);
	return 0;
}

char *
kl_addon_setting_value(const struct kl_addon_setting *s, const struct kl_addon_values *vals)
{
	const char *v = vals ? json_string_value(json_object_get(vals->settings, s->name)) : NULL;
	struct render r = { .vals = vals, .file = "default", .cluster_only = 1 };
	char *out = NULL;

	if (v)
		return kl_xstrdup(v);
	if (expand(&r, s->def, 1, &out, NULL, NULL) != 0)
		return kl_xstrdup("");
	return out;
}

int
kl_addon_setting_check(const struct kl_addon *a, const struct kl_addon_setting *s, const char *value,
		       struct kl_err *err)
{
	const char *allowed = NULL;

	if (s->choices) {
		struct kl_strbuf names = KL_STRBUF_INIT;

		for (size_t k = 0; s->choices[k]; k++) {
			if (strcmp(s->choices[k], value) == 0) {
				kl_strbuf_release(&names);
				return 0;
			}
			kl_strbuf_addf(&names, "%s%s", k ? " or " : "", s->choices[k]);
		}
		kl_err_set(err, KL_R_SVC_ADDON_USAGE, "setting '%s' of addon '%s' is '%s': use %s", s->name, a->name, value,
			   names.buf);
		kl_strbuf_release(&names);
		return -1;
	}
	if (s->type && strcmp(s->type, "path") == 0)
		allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/";
	else if (s->type && strcmp(s->type, "ip") == 0)
		allowed = "0123456789abcdefABCDEF.:";
	else if (s->type && strcmp(s->type, "version") == 0)
		allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+";
	else if (s->type && strcmp(s->type, "url") == 0)
		allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~:/?#[]@!$&'()*+,;=%";
	if (allowed && (value[0] == '\0' || value[strspn(value, allowed)] != '\0' ||
			(strcmp(s->type, "path") == 0 && value[0] != '/') ||
			(strcmp(s->type, "version") == 0 && !isalnum((unsigned char)value[0])) ||
			(strcmp(s->type, "url") == 0 && strncmp(value, "http://", 7) != 0 &&
			 strncmp(value, "https://", 8) != 0 && strncmp(value, "file://", 7) != 0)))
		return kl_err_set(err, KL_R_SVC_ADDON_USAGE, "setting '%s' of addon '%s' is '%s': give %s", s->name,
				  a->name, value, strcmp(s->type, "path") == 0 ? "an absolute path" :
				  strcmp(s->type, "ip") == 0 ? "an IP address" :
				  strcmp(s->type, "version") == 0 ? "a version such as 1.31.0" :
				  "an http://, https:// or file:// URL");
	return 0;
}

static int
setting_text(struct render *r, const struct kl_addon_setting *s, char **out, struct kl_err *err)
{
	char *v = kl_addon_setting_value(s, r->vals);

	if (kl_addon_setting_check(r->a, s, v, err) != 0) {
		free(v);
		return -1;
	}
	for (size_t k = 0; s->choices && s->choices[k]; k++) {
		if (strcmp(s->choices[k], v) == 0) {
			free(v);
			*out = kl_xstrdup(s->choice_text[k]);
			return 0;
		}
	}
	*out = v;
	return 0;
}

/* Substitute in every scalar of the document. */
static int
substitute(struct render *r, yaml_document_t *doc, struct kl_err *err)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		const char *text = (const char *)n->data.scalar.value;
		int block;
		char *val;

		if (n->type != YAML_SCALAR_NODE || strstr(text, "${") == NULL)
			continue;
		block = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE || n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		if (expand(r, text, n->start_mark.line + 1 + (size_t)block, &val, NULL, err) != 0)
			return -1;
		/* A setting, an override or the cluster's facts (a machine's record) that is not
		 * UTF-8 cannot go into YAML (found by tests/fuzz/fuzz_addons.c). */
		if (!kl_utf8_valid(val, strlen(val))) {
			free(val);
			return kl_err_set(err, KL_R_SVC_ADDON_USAGE, "%s:%zu: a value given for '%s' is not UTF-8 text",
					  r->file, (size_t)n->start_mark.line + 1, text);
		}
		free(n->data.scalar.value);
		n->data.scalar.value = (yaml_char_t *)val;
		n->data.scalar.length = strlen(val);
		/* Plain text that would read back as a number, a bool or null is quoted;
		 * libyaml itself quotes what cannot be plain at all. */
		if ((n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || n->data.scalar.style == YAML_ANY_SCALAR_STYLE) &&
		    !kl_yaml_plain_is_string(val))
			n->data.scalar.style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	}
	return 0;
}

/* The object's checks and its label. */
static int
label(struct render *r, yaml_document_t *doc, struct kl_err *err)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	size_t line = root ? root->start_mark.line + 1 : 1;
	int meta, labels;

	if (!kl_yaml_is_map(doc, 1) || !kl_yaml_node_str(doc, kl_yaml_map_get(doc, 1, "apiVersion")) ||
	    !kl_yaml_node_str(doc, kl_yaml_map_get(doc, 1, "kind")))
		return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: not a Kubernetes object (apiVersion, kind)",
				  r->file, line);
	meta = kl_yaml_map_get(doc, 1, "metadata");
	if (!meta || !kl_yaml_is_map(doc, meta) || !kl_yaml_node_str(doc, kl_yaml_map_get(doc, meta, "name")))
		return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: the object has no metadata.name", r->file, line);
	labels = kl_yaml_map_get(doc, meta, "labels");
	if (labels == 0) {
		labels = kl_yaml_new_map(doc);
		kl_yaml_map_set(doc, meta, "labels", labels);
	} else if (!kl_yaml_is_map(doc, labels)) {
		return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: metadata.labels is not a mapping", r->file, line);
	}
	kl_yaml_map_set_str(doc, labels, KL_ADDON_LABEL, r->a->name);
	return 0;
}

static int
render_file(struct render *r, const struct kl_strbuf *text, struct kl_strbuf *yaml, struct kl_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text->buf, text->len);
	for (;;) {
		struct kl_strbuf one = KL_STRBUF_INIT;

		if (!yaml_parser_load(&parser, &doc)) {
			kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu:%zu: %s%s%s", r->file, parser.problem_mark.line + 1,
				   parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
				   parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			/* An empty document ("---" at the end), or the stream's end. */
			int end = parser.stream_end_produced;

			yaml_document_delete(&doc);
			if (end)
				break;
			continue;
		}
		if (substitute(r, &doc, err) != 0 || label(r, &doc, err) != 0) {
			yaml_document_delete(&doc);
			goto out;
		}
		doc.start_implicit = 1;
		doc.end_implicit = 1;
		if (kl_yaml_dump(&doc, &one, err) != 0) {
			kl_strbuf_release(&one);
			goto out;
		}
		if (yaml->len)
			kl_strbuf_addstr(yaml, "---\n");
		kl_strbuf_add(yaml, one.buf, one.len);
		kl_strbuf_release(&one);
	}
	rc = 0;
out:
	yaml_parser_delete(&parser);
	return rc;
}

int
kl_addon_render(const struct kl_addon_set *set, const struct kl_addon *a, const struct kl_addon_values *vals,
		struct kl_strbuf *yaml, struct kl_err *err)
{
	struct kl_strbuf text = KL_STRBUF_INIT;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < a->nmanifests; i++) {
		char *file = kl_xasprintf("%s/%s/%s", set->dir ? set->dir : "addons", a->name, a->manifests[i]);
		struct render r = { .a = a, .vals = vals, .file = file };

		rc = kl_addons_read(set, a->name, a->manifests[i], &text, err);
		if (rc == 0)
			rc = render_file(&r, &text, yaml, err);
		free(file);
	}
	kl_strbuf_release(&text);
	return rc;
}

/* ---- program addons ---- */

static char *
addon_file(const struct kl_addon *a)
{
	return kl_xasprintf("addons/%s/addon.yaml", a->name);
}

int
kl_addon_program_words(const struct kl_addon *a, char *const *words, const struct kl_addon_values *vals,
		       struct kl_strvec *argv, struct kl_err *err)
{
	char *file = addon_file(a);
	struct render r = { .a = a, .vals = vals, .file = file };
	int rc = 0;

	for (size_t i = 0; rc == 0 && words && words[i]; i++) {
		size_t got = 0;
		char *w = NULL;
		int drop;

		if ((rc = expand(&r, words[i], 1, &w, &got, err)) != 0)
			break;
		/* "--set=hub=${settings.hub}" with no hub: no flag at all. */
		drop = strstr(words[i], "${") != NULL && got == 0;
		if (!drop && !kl_utf8_valid(w, strlen(w)))
			rc = kl_err_set(err, KL_R_SVC_ADDON_USAGE, "%s: a value given for '%s' is not UTF-8 text", file,
					words[i]);
		else if (!drop)
			kl_strvec_push(argv, w);
		free(w);
	}
	free(file);
	return rc;
}

int
kl_addon_program_text(const struct kl_addon *a, const char *text, const struct kl_addon_values *vals, char **out,
		      struct kl_err *err)
{
	char *file = addon_file(a);
	struct render r = { .a = a, .vals = vals, .file = file };
	int rc = expand(&r, text ? text : "", 1, out, NULL, err);

	free(file);
	return rc;
}

int
kl_addon_object_refs(const char *addon, char *const *refs, json_t **objs, struct kl_err *err)
{
	if (*objs == NULL)
		*objs = json_array();
	for (size_t i = 0; refs && refs[i]; i++) {
		char api[128], kind[64], name[256], *slash;
		json_t *meta;

		if (sscanf(refs[i], "%127s %63s %255s", api, kind, name) != 3 || !isupper((unsigned char)kind[0]))
			return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s: '%s' is not 'apiVersion Kind [namespace/]name'",
					  addon, refs[i]);
		meta = json_object();
		if ((slash = strchr(name, '/')) != NULL) {
			*slash = '\0';
			json_object_set_new(meta, "namespace", json_string(name));
		}
		json_object_set_new(meta, "name", json_string(slash ? slash + 1 : name));
		json_array_append_new(*objs, json_pack("{s:s, s:s, s:o}", "apiVersion", api, "kind", kind, "metadata", meta));
	}
	return 0;
}

int
kl_addon_short_of(const struct kl_addon *a, long long memory_mib, int cpus, int host, struct kl_strbuf *why)
{
	int mem_short = a->recommends_memory_mib > 0 && memory_mib < a->recommends_memory_mib;
	int cpu_short = a->recommends_cpus > 0 && cpus < a->recommends_cpus;

	if (!mem_short && !cpu_short)
		return 0;
	kl_strbuf_addf(why, "'%s' asks for %lld MiB of memory and %d CPUs%s%s%s; %s has ", a->name,
		       a->recommends_memory_mib, a->recommends_cpus, a->recommends_source ? " (" : "",
		       a->recommends_source ? a->recommends_source : "", a->recommends_source ? ")" : "",
		       host ? "this host (the none driver)" : "the machine");
	if (mem_short)
		kl_strbuf_addf(why, "%lld MiB%s", memory_mib, cpu_short ? " and " : "");
	if (cpu_short)
		kl_strbuf_addf(why, "%d CPUs", cpus);
	if (host)
		kl_strbuf_addf(why, ": run it on a host with that much, or in a VM driver with --memory=%lld --cpus=%d",
			       a->recommends_memory_mib, a->recommends_cpus);
	else
		kl_strbuf_addf(why, ": start with --memory=%lld --cpus=%d (a new profile, or after 'kubelaunch delete')",
			       a->recommends_memory_mib, a->recommends_cpus);
	return 1;
}
