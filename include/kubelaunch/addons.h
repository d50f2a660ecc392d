/*
 * addons.h: the addon registry and manifest rendering (src/addons/).
 *
 * An addon is a directory addons/<name>/ with addon.yaml (name, description,
 * maintainer, default on/off, docs, licence, images as Name: reference, the manifest
 * files in apply order, settings) and its manifests. The tree is built into the
 * binary (addons_data.c, generated at build time); KUBELAUNCH_ADDONS_DIR points at a
 * directory of the same layout instead (development).
 *
 * Manifests are YAML with variables in scalars: ${images.NAME} (the image after the
 * --images/--registries overrides), ${settings.NAME} (a setting, or its choice's
 * text), ${cluster.NAME} (facts of the cluster: hostIP). Rendering substitutes them
 * in libyaml's node tree, never in the text, and quotes a value where its plain form
 * would read back as something else, so no value can change the YAML's structure. An
 * unknown variable is SVC_ADDON_MANIFEST naming file:line. Every object gets the
 * label kubelaunch.io/addon=<name>.
 *
 * An addon may instead be installed by a program (addon.yaml's `program:`; istio's is
 * istioctl): kubelaunch fetches the program (artifacts.h), runs its install words
 * (variables as above, plus ${cluster.kubeconfig} and ${cluster.context}; a word whose
 * variables all come out empty is left out, so an unset setting adds no flag) against
 * the cluster, waits for the workloads it names (`available`), and on disable runs its
 * uninstall words, then deletes what it names under `remove` and waits until it is gone.
 */
#ifndef KL_ADDONS_H
#define KL_ADDONS_H

#include <stddef.h>

#include <jansson.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

#define KL_ADDON_LABEL "kubelaunch.io/addon"

struct kl_addon_image {
	char *name; /* "Traefik" */
	char *ref;  /* "docker.io/library/traefik:v3.6.12" */
};

struct kl_addon_setting {
	char *name, *description, *def;
	char *type;         /* NULL (any text), "path" (absolute), "ip" (an address) */
	char **choices;     /* NULL, or NULL-terminated "value" names ... */
	char **choice_text; /* ... and what each one renders as */
};

/* addon.yaml's `program:`: each text may hold variables. */
struct kl_addon_program {
	char *name;             /* a program kubelaunch fetches (kl_program_kind): "istioctl" */
	char *version, *mirror; /* "${settings.version}", "${settings.mirror}" */
	char **install;         /* the words after the program, NULL-terminated */
	char **uninstall;
	char **available;       /* "apps/v1 Deployment istio-system/istiod": enable waits for these */
	char **remove;          /* "v1 Namespace istio-system": deleted after the uninstall, waited for */
};

struct kl_addon {
	char *name, *description, *maintainer, *docs, *licence;
	struct kl_addon_program *program; /* NULL: the addon is its manifests */
	/* What the addon's project asks of a machine (addon.yaml's `recommends:`); 0: nothing. */
	long long recommends_memory_mib;
	int recommends_cpus;
	char *recommends_source; /* whose advice: "Istio's platform setup for minikube" */
	int default_on;
	struct kl_addon_image *images;
	size_t nimages;
	char **manifests; /* file names in the addon's directory, in apply order */
	size_t nmanifests;
	struct kl_addon_setting *settings;
	size_t nsettings;
};

struct kl_addon_set {
	struct kl_addon *v; /* sorted by name */
	size_t n;
	char *dir;          /* KUBELAUNCH_ADDONS_DIR, or NULL for the built-in tree */
};

/* Load every addon (KUBELAUNCH_ADDONS_DIR or the built-in tree). A bad addon.yaml is
 * SVC_ADDON_MANIFEST naming file:line. */
int kl_addons_load(struct kl_addon_set *set, struct kl_err *err);
void kl_addons_release(struct kl_addon_set *set);
const struct kl_addon *kl_addons_find(const struct kl_addon_set *set, const char *name);
/* The addon called `name`, else SVC_ADDON_UNKNOWN with the closest name ("did you mean"). */
int kl_addons_lookup(const struct kl_addon_set *set, const char *name, const struct kl_addon **out,
		     struct kl_err *err);
/* The bytes of "<addon>/<file>": *buf is a new NUL-terminated copy. */
int kl_addons_read(const struct kl_addon_set *set, const char *addon, const char *file, struct kl_strbuf *buf,
		   struct kl_err *err);
const struct kl_addon_setting *kl_addon_setting(const struct kl_addon *a, const char *name);

/* The built-in tree (addons_data.c, generated from addons/ by tools/embed-addons.sh). */
struct kl_addon_blob {
	const char *path; /* "dns/addon.yaml" */
	const unsigned char *data;
	size_t len;
};
extern const struct kl_addon_blob kl_addon_blobs[]; /* ends with { NULL } */

/* ---- rendering (render.c) ---- */

struct kl_addon_values {
	const char *const *images;     /* "Name=ref", NULL-terminated (may be NULL) */
	const char *const *registries; /* "Name=host" */
	json_t *settings;              /* {"setting": "value"} (may be NULL: defaults) */
	json_t *cluster;               /* {"hostIP": "..."} (may be NULL) */
};

/* Check --images/--registries against the addons named: each key must be an image of
 * one of them and each value a plausible reference (host): else SVC_ADDON_USAGE. */
int kl_addons_check_overrides(const struct kl_addon *const *addons, size_t n, const struct kl_addon_values *vals,
			      struct kl_err *err);
/* An image's reference after the overrides: a new string. */
char *kl_addon_image_ref(const struct kl_addon_image *img, const struct kl_addon_values *vals);
/* A setting's value (the user's, else its default, ${cluster.*} expanded): a new string. */
char *kl_addon_setting_value(const struct kl_addon_setting *s, const struct kl_addon_values *vals);
/* Whether `value` suits the setting (one of its choices, its type): else
 * SVC_ADDON_USAGE naming what would. */
int kl_addon_setting_check(const struct kl_addon *a, const struct kl_addon_setting *s, const char *value,
			   struct kl_err *err);
/* Render every manifest of `a` as one YAML stream ("---" between objects). */
int kl_addon_render(const struct kl_addon_set *set, const struct kl_addon *a, const struct kl_addon_values *vals,
		    struct kl_strbuf *yaml, struct kl_err *err);
/* A program addon's words (`install` or `uninstall` of a->program) rendered with
 * vals, appended to *argv (a kl_strvec). */
struct kl_strvec;
int kl_addon_program_words(const struct kl_addon *a, char *const *words, const struct kl_addon_values *vals,
			   struct kl_strvec *argv, struct kl_err *err);
/* One text of a program addon (its version, its mirror) rendered: a new string. */
int kl_addon_program_text(const struct kl_addon *a, const char *text, const struct kl_addon_values *vals, char **out,
			  struct kl_err *err);
/* "apiVersion Kind [namespace/]name" lines as the objects they name (apiVersion, kind,
 * metadata), appended to the array *objs (created when NULL): else SVC_ADDON_MANIFEST. */
int kl_addon_object_refs(const char *addon, char *const *refs, json_t **objs, struct kl_err *err);
/* Below what the addon recommends (memory in MiB, CPUs of the machine, or the host for
 * the none driver): 1, with one line of advice in *why ("'istio' asks for ..."). */
int kl_addon_short_of(const struct kl_addon *a, long long memory_mib, int cpus, int host, struct kl_strbuf *why);
/* A reference looks like [host[:port]/]path[:tag][@digest]: 1 if so. */
int kl_addon_ref_valid(const char *ref);

/* ---- on a cluster (enable.c), through the API client (kube.h) ---- */

struct kl_kube;
struct kl_out;

/* The profile's config.json as JSON: "Addons", "AddonSettings", "AddonImages",
 * "AddonRegistries", "AddonsApplied" (see enable.c). */
int kl_addons_enabled(const struct kl_addon *a, json_t *cfg);
void kl_addons_record(json_t *cfg, const char *name, int on);
/* Keep --images/--registries ("Name=value") that name images of `a` in the profile. */
void kl_addons_remember(json_t *cfg, const struct kl_addon *a, const char *const *images,
			const char *const *registries);
/* Render `a` with what the profile keeps for it (settings, overrides). */
int kl_addons_render_profile(const struct kl_addon_set *set, const struct kl_addon *a, json_t *cfg, json_t *cluster,
			     struct kl_strbuf *yaml, struct kl_err *err);

/* A program addon's invocation (install, else uninstall) rendered with what the profile
 * keeps, as one line: "istioctl 1.31.0 from URL: install -y ..." (what the rendering's
 * hash covers, what --dry-run prints). */
int kl_addons_invocation(json_t *cfg, json_t *cluster, const struct kl_addon *a, int install, struct kl_strbuf *text,
			 struct kl_err *err);

struct kl_addons_run {
	const struct kl_addon_set *set;
	struct kl_kube *kube;  /* its deadline bounds the applies and the waits */
	json_t *cfg;           /* the profile's config, updated (AddonsApplied) */
	json_t *cluster;       /* facts for ${cluster.*} */
	int wait;              /* wait until the workloads are available */
	struct kl_out *out;    /* progress lines (may be NULL) */
	/* A program addon's program (kl_program_fetch with the command's home): *path is a
	 * new string. NULL: program addons fail with SVC_ADDON_PROGRAM. */
	int (*fetch)(void *arg, const char *program, const char *version, const char *mirror, char **path,
		     struct kl_err *err);
	void *fetch_arg;
};

/* Render all of `addons`, then apply each (pruning what an earlier rendering left),
 * then wait. A failure names the addon and, when some objects were applied, says so. */
int kl_addons_apply(struct kl_addons_run *r, const struct kl_addon *const *addons, size_t n, struct kl_err *err);
/* Delete every object labelled with the addon's name; a program addon runs its
 * uninstall first and waits until what it names under `remove` is gone. */
int kl_addons_remove(struct kl_addons_run *r, const struct kl_addon *a, struct kl_err *err);

#endif
