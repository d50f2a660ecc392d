/*
 * registry.c: the addons there are: each addons/<name>/addon.yaml, read from the tree
 * built into the binary or from KUBELAUNCH_ADDONS_DIR.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"

const struct kl_addon_setting *
kl_addon_setting(const struct kl_addon *a, const char *name)
{
	for (size_t i = 0; i < a->nsettings; i++)
		if (strcmp(a->settings[i].name, name) == 0)
			return &a->settings[i];
	return NULL;
}

int
kl_addons_read(const struct kl_addon_set *set, const char *addon, const char *file, struct kl_strbuf *buf,
	       struct kl_err *err)
{
	char *rel = kl_xasprintf("%s/%s", addon, file);
	int rc = -1;

	kl_strbuf_reset(buf);
	if (set->dir) {
		char *path = kl_xasprintf("%s/%s", set->dir, rel);

		rc = kl_read_file(path, buf, err);
		if (rc != 0)
			err->reason = KL_R_SVC_ADDON_MANIFEST;
		free(path);
		goto out;
	}
	for (const struct kl_addon_blob *b = kl_addon_blobs; b->path; b++) {
		if (strcmp(b->path, rel) == 0) {
			kl_strbuf_add(buf, b->data, b->len);
			rc = 0;
			goto out;
		}
	}
	kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "addon '%s' has no file '%s' in this build", addon, file);
out:
	free(rel);
	return rc;
}

/* A scalar child `key` of `map` as a new string, else NULL. */
static char *
str_dup(yaml_document_t *doc, int map, const char *key)
{
	const char *s = kl_yaml_node_str(doc, kl_yaml_map_get(doc, map, key));

	return s ? kl_xstrdup(s) : NULL;
}

static int
bad(struct kl_err *err, const char *file, yaml_document_t *doc, int node, const char *what)
{
	yaml_node_t *n = node ? yaml_document_get_node(doc, node) : NULL;

	return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s:%zu: %s", file, n ? n->start_mark.line + 1 : 1, what);
}

static int
parse_settings(struct kl_addon *a, yaml_document_t *doc, int seq, const char *file, struct kl_err *err)
{
	size_t n = kl_yaml_seq_len(doc, seq);

	a->settings = kl_xcalloc(n ? n : 1, sizeof(*a->settings));
	for (size_t i = 0; i < n; i++) {
		int item = kl_yaml_seq_item(doc, seq, i), ch;
		struct kl_addon_setting *s = &a->settings[a->nsettings];
		yaml_node_t *cn;
		size_t k = 0;

		if (!kl_yaml_is_map(doc, item) || !kl_yaml_node_str(doc, kl_yaml_map_get(doc, item, "name")))
			return bad(err, file, doc, item, "a setting needs a name");
		a->nsettings++;
		s->name = str_dup(doc, item, "name");
		s->description = str_dup(doc, item, "description");
		s->def = str_dup(doc, item, "default");
		s->type = str_dup(doc, item, "type");
		if (s->type && strcmp(s->type, "path") != 0 && strcmp(s->type, "ip") != 0 && strcmp(s->type, "url") != 0 &&
		    strcmp(s->type, "version") != 0)
			return bad(err, file, doc, kl_yaml_map_get(doc, item, "type"),
				   "a setting's type is path, ip, url or version");
		if (s->def == NULL)
			s->def = kl_xstrdup("");
		if ((ch = kl_yaml_map_get(doc, item, "choices")) == 0)
			continue;
		if (!kl_yaml_is_map(doc, ch))
			return bad(err, file, doc, ch, "a setting's choices are a mapping of value: text");
		cn = yaml_document_get_node(doc, ch);
		s->choices = kl_xcalloc(cn->data.mapping.pairs.top - cn->data.mapping.pairs.start + 1, sizeof(char *));
		s->choice_text = kl_xcalloc(cn->data.mapping.pairs.top - cn->data.mapping.pairs.start + 1, sizeof(char *));
		for (yaml_node_pair_t *p = cn->data.mapping.pairs.start; p < cn->data.mapping.pairs.top; p++, k++) {
			const char *key = kl_yaml_node_str(doc, p->key), *val = kl_yaml_node_str(doc, p->value);

			if (!key || !val)
				return bad(err, file, doc, p->value, "a choice's text is a string");
			s->choices[k] = kl_xstrdup(key);
			s->choice_text[k] = kl_xstrdup(val);
		}
	}
	return 0;
}

/* The list of strings map[key] as a new NULL-terminated array (empty when absent). */
static int
str_list(yaml_document_t *doc, int map, const char *key, const char *file, char ***out, struct kl_err *err)
{
	int node = kl_yaml_map_get(doc, map, key);
	size_t n = node ? kl_yaml_seq_len(doc, node) : 0;

	*out = kl_xcalloc(n + 1, sizeof(char *));
	if (node && !kl_yaml_is_seq(doc, node))
		return bad(err, file, doc, node, "a program's words are a list of strings");
	for (size_t i = 0; i < n; i++) {
		const char *w = kl_yaml_node_str(doc, kl_yaml_seq_item(doc, node, i));

		if (w == NULL)
			return bad(err, file, doc, kl_yaml_seq_item(doc, node, i), "a program's word is a string");
		(*out)[i] = kl_xstrdup(w);
	}
	return 0;
}

/* `program:` (an addon installed by a program) into a->program. */
static int
parse_program(struct kl_addon *a, yaml_document_t *doc, int node, const char *file, struct kl_err *err)
{
	struct kl_addon_program *p = kl_xcalloc(1, sizeof(*p));
	json_t *objs = NULL;
	int rc;

	a->program = p;
	if (!kl_yaml_is_map(doc, node) || !kl_yaml_node_str(doc, kl_yaml_map_get(doc, node, "name")) ||
	    !kl_yaml_node_str(doc, kl_yaml_map_get(doc, node, "version")))
		return bad(err, file, doc, node, "'program' is a mapping with the program's name and version");
	p->name = str_dup(doc, node, "name");
	p->version = str_dup(doc, node, "version");
	p->mirror = str_dup(doc, node, "mirror");
	if (str_list(doc, node, "install", file, &p->install, err) != 0 ||
	    str_list(doc, node, "uninstall", file, &p->uninstall, err) != 0 ||
	    str_list(doc, node, "available", file, &p->available, err) != 0 ||
	    str_list(doc, node, "remove", file, &p->remove, err) != 0)
		return -1;
	if (p->install[0] == NULL || p->uninstall[0] == NULL)
		return bad(err, file, doc, node, "a program addon lists its install and uninstall words");
	rc = kl_addon_object_refs(file, p->available, &objs, err) == 0 &&
	     kl_addon_object_refs(file, p->remove, &objs, err) == 0 ? 0 : -1;
	json_decref(objs);
	return rc;
}

/* `recommends:` (memory: MiB, cpus: N, source: whose advice). */
static int
parse_recommends(struct kl_addon *a, yaml_document_t *doc, int node, const char *file, struct kl_err *err)
{
	const char *mem = kl_yaml_node_str(doc, kl_yaml_map_get(doc, node, "memory"));
	const char *cpus = kl_yaml_node_str(doc, kl_yaml_map_get(doc, node, "cpus"));
	char *end = NULL;

	if (!kl_yaml_is_map(doc, node))
		return bad(err, file, doc, node, "'recommends' is a mapping of memory (MiB), cpus and source");
	if (mem && ((a->recommends_memory_mib = strtoll(mem, &end, 10)) <= 0 || *end))
		return bad(err, file, doc, kl_yaml_map_get(doc, node, "memory"), "recommends.memory is a number of MiB");
	if (cpus && ((a->recommends_cpus = (int)strtol(cpus, &end, 10)) <= 0 || *end))
		return bad(err, file, doc, kl_yaml_map_get(doc, node, "cpus"), "recommends.cpus is a number");
	a->recommends_source = str_dup(doc, node, "source");
	return 0;
}

/* One addon.yaml into *a. */
static int
parse_addon(const char *file, const struct kl_strbuf *text, struct kl_addon *a, struct kl_err *err)
{
	yaml_document_t doc;
	char why[200];
	int root, node, rc = -1;
	const char *dflt;

	if (kl_yaml_load(text->buf, text->len, &doc, NULL, why, sizeof(why)) != 0)
		return kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s: %s", file, why);
	root = yaml_document_get_root_node(&doc) ? 1 : 0;
	if (!root || !kl_yaml_is_map(&doc, root) || !kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "name"))) {
		bad(err, file, &doc, root, "an addon.yaml is a mapping with at least 'name'");
		goto out;
	}
	a->name = str_dup(&doc, root, "name");
	a->description = str_dup(&doc, root, "description");
	a->maintainer = str_dup(&doc, root, "maintainer");
	a->docs = str_dup(&doc, root, "docs");
	a->licence = str_dup(&doc, root, "licence");
	dflt = kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "default"));
	a->default_on = dflt && strcmp(dflt, "true") == 0;
	if (!a->description)
		a->description = kl_xstrdup("");
	if (!a->maintainer)
		a->maintainer = kl_xstrdup("unknown");
	if ((node = kl_yaml_map_get(&doc, root, "images")) != 0) {
		yaml_node_t *n = yaml_document_get_node(&doc, node);

		if (!kl_yaml_is_map(&doc, node)) {
			bad(err, file, &doc, node, "images is a mapping of Name: reference");
			goto out;
		}
		a->images = kl_xcalloc(n->data.mapping.pairs.top - n->data.mapping.pairs.start + 1, sizeof(*a->images));
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = kl_yaml_node_str(&doc, p->key), *v = kl_yaml_node_str(&doc, p->value);

			if (!k || !v || !kl_addon_ref_valid(v)) {
				bad(err, file, &doc, p->value, "an image is Name: a reference such as registry/name:tag");
				goto out;
			}
			a->images[a->nimages].name = kl_xstrdup(k);
			a->images[a->nimages++].ref = kl_xstrdup(v);
		}
	}
	if ((node = kl_yaml_map_get(&doc, root, "program")) != 0 && parse_program(a, &doc, node, file, err) != 0)
		goto out;
	if ((node = kl_yaml_map_get(&doc, root, "recommends")) != 0 && parse_recommends(a, &doc, node, file, err) != 0)
		goto out;
	node = kl_yaml_map_get(&doc, root, "manifests");
	if (a->program && node == 0) {
		a->manifests = kl_xcalloc(1, sizeof(char *));
	} else if (node == 0 || !kl_yaml_is_seq(&doc, node)) {
		bad(err, file, &doc, node ? node : root, "'manifests' lists the addon's manifest files");
		goto out;
	}
	a->nmanifests = node ? kl_yaml_seq_len(&doc, node) : 0;
	if (node) {
		free(a->manifests);
		a->manifests = kl_xcalloc(a->nmanifests + 1, sizeof(char *));
	}
	for (size_t i = 0; i < a->nmanifests; i++) {
		const char *m = kl_yaml_node_str(&doc, kl_yaml_seq_item(&doc, node, i));

		if (!m || strchr(m, '/') || m[0] == '.') {
			bad(err, file, &doc, kl_yaml_seq_item(&doc, node, i), "a manifest is a file name in the addon's directory");
			goto out;
		}
		a->manifests[i] = kl_xstrdup(m);
	}
	if ((node = kl_yaml_map_get(&doc, root, "settings")) != 0) {
		if (!kl_yaml_is_seq(&doc, node)) {
			bad(err, file, &doc, node, "settings is a list");
			goto out;
		}
		if (parse_settings(a, &doc, node, file, err) != 0)
			goto out;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	return rc;
}

static void
program_release(struct kl_addon_program *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->version);
	free(p->mirror);
	kl_strv_free(p->install);
	kl_strv_free(p->uninstall);
	kl_strv_free(p->available);
	kl_strv_free(p->remove);
	free(p);
}

static void
addon_release(struct kl_addon *a)
{
	program_release(a->program);
	free(a->recommends_source);
	free(a->name);
	free(a->description);
	free(a->maintainer);
	free(a->docs);
	free(a->licence);
	for (size_t i = 0; i < a->nimages; i++) {
		free(a->images[i].name);
		free(a->images[i].ref);
	}
	free(a->images);
	for (size_t i = 0; i < a->nmanifests; i++)
		free(a->manifests[i]);
	free(a->manifests);
	for (size_t i = 0; i < a->nsettings; i++) {
		struct kl_addon_setting *s = &a->settings[i];

		free(s->name);
		free(s->description);
		free(s->def);
		free(s->type);
		for (size_t k = 0; s->choices && s->choices[k]; k++) {
			free(s->choices[k]);
			free(s->choice_text[k]);
		}
		free(s->choices);
		free(s->choice_text);
	}
	free(a->settings);
}

void
kl_addons_release(struct kl_addon_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		addon_release(&set->v[i]);
	free(set->v);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct kl_addon *)a)->name, ((const struct kl_addon *)b)->name);
}

/* Add the addon in directory `name` to the set. */
static int
add_addon(struct kl_addon_set *set, const char *name, struct kl_err *err)
{
	struct kl_strbuf text = KL_STRBUF_INIT;
	char *file = kl_xasprintf("%s/addon.yaml", name);
	struct kl_addon a = { 0 };
	int rc = -1;

	if (kl_addons_read(set, name, "addon.yaml", &text, err) != 0 || parse_addon(file, &text, &a, err) != 0) {
		addon_release(&a);
		goto out;
	}
	if (strcmp(a.name, name) != 0) {
		kl_err_set(err, KL_R_SVC_ADDON_MANIFEST, "%s: name '%s' differs from its directory's", file, a.name);
		addon_release(&a);
		goto out;
	}
	set->v = kl_xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = a;
	rc = 0;
out:
	kl_strbuf_release(&text);
	free(file);
	return rc;
}

int
kl_addons_load(struct kl_addon_set *set, struct kl_err *err)
{
	const char *dir = getenv("KUBELAUNCH_ADDONS_DIR");
	int rc = 0;

	memset(set, 0, sizeof(*set));
	if (dir && *dir) {
		DIR *d = opendir(dir);
		struct dirent *e;

		if (d == NULL)
			return kl_err_errno(err, KL_R_SVC_ADDON_MANIFEST, "cannot read KUBELAUNCH_ADDONS_DIR '%s'", dir);
		set->dir = kl_xstrdup(dir);
		while (rc == 0 && (e = readdir(d)) != NULL) {
			char *meta;

			if (e->d_name[0] == '.')
				continue;
			meta = kl_xasprintf("%s/%s/addon.yaml", dir, e->d_name);
			if (kl_path_exists(meta))
				rc = add_addon(set, e->d_name, err);
			free(meta);
		}
		closedir(d);
	} else {
		for (const struct kl_addon_blob *b = kl_addon_blobs; rc == 0 && b->path; b++) {
			const char *slash = strchr(b->path, '/');

			if (slash && strcmp(slash, "/addon.yaml") == 0) {
				char *name = kl_xstrndup(b->path, (size_t)(slash - b->path));

				rc = add_addon(set, name, err);
				free(name);
			}
		}
	}
	if (rc != 0) {
		kl_addons_release(set);
		return -1;
	}
	qsort(set->v, set->n, sizeof(*set->v), by_name);
	return 0;
}

const struct kl_addon *
kl_addons_find(const struct kl_addon_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

int
kl_addons_lookup(const struct kl_addon_set *set, const char *name, const struct kl_addon **out,
		 struct kl_err *err)
{
	struct kl_suggest s;

	if ((*out = kl_addons_find(set, name)) != NULL)
		return 0;
	kl_suggest_init(&s, name);
	for (size_t i = 0; i < set->n; i++)
		kl_suggest_try(&s, set->v[i].name);
	if (s.best)
		return kl_err_set(err, KL_R_SVC_ADDON_UNKNOWN, "there is no addon '%s': did you mean '%s'?", name, s.best);
	return kl_err_set(err, KL_R_SVC_ADDON_UNKNOWN, "there is no addon '%s'", name);
}
