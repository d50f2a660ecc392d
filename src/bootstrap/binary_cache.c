/* binary_cache.c: what the binary cache holds, deleting from it, image bundles. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/units.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"
#include "download.h"

/* The entries of a directory that match `pattern`, sorted; a NULL-terminated array. */
static char **
list_dir(const char *dir, const char *pattern)
{
	char **v = kl_xcalloc(1, sizeof(*v));
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return v;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fnmatch(pattern, de->d_name, 0) != 0)
			continue;
		v = kl_xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = kl_xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful of entries */
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

/* Versions sort by number, newest first. */
static int
version_newer_first(const void *a, const void *b)
{
	const struct kl_cache_file *x = a, *y = b;
	struct kl_version vx = { 0, 0, 0 }, vy = { 0, 0, 0 };
	int c;

	kl_version_parse(x->version, &vx);
	kl_version_parse(y->version, &vy);
	c = kl_version_cmp(&vy, &vx);
	return c ? c : strcmp(x->name, y->name);
}

/* Append an entry to *files (name and path are taken over). */
static void
add_file(struct kl_cache_file **files, size_t *count, const char *version, char *name, char *path, long long size,
	 int partial_pid)
{
	struct kl_cache_file *f;

	*files = kl_xrealloc(*files, (*count + 1) * sizeof(**files));
	f = &(*files)[(*count)++];
	f->version = kl_xstrdup(version);
	f->name = name;
	f->path = path;
	f->size = size;
	f->partial_pid = partial_pid;
}

int
kl_cache_list(const char *home, struct kl_cache_file **files, size_t *n, struct kl_err *err)
{
	char *root = kl_home_path(home, KL_HOME_BINARIES, NULL);
	char **versions = list_dir(root, "v*");
	size_t count = 0;

	(void)err;
	*files = NULL;
	for (size_t i = 0; versions[i]; i++) {
		char *osdir = kl_xasprintf("%s/%s/linux", root, versions[i]);
		char **arches = list_dir(osdir, "*");

		for (size_t a = 0; arches[a]; a++) {
			char *dir = kl_xasprintf("%s/%s", osdir, arches[a]);
			char **names = list_dir(dir, "*");

			for (size_t k = 0; names[k]; k++) {
				struct stat st;
				char *path = kl_xasprintf("%s/%s", dir, names[k]);
				size_t len = strlen(names[k]);

				int pid = kl_temp_file_pid(names[k]);

				/* A partial download shows while its process runs (kl_cache_clean
				 * removes those of killed runs); other temporary files never. */
				if ((len > 7 && strcmp(names[k] + len - 7, ".sha256") == 0) ||
				    (pid > 0 && !strstr(names[k], ".part.")) || stat(path, &st) != 0 ||
				    !S_ISREG(st.st_mode)) {
					free(path);
					continue;
				}
				add_file(files, &count, versions[i], kl_xasprintf("linux/%s/%s", arches[a], names[k]), path,
					 (long long)st.st_size, pid);
			}
			kl_strv_free(names);
			free(dir);
		}
		kl_strv_free(arches);
		free(osdir);
	}
	if (count > 1)
		qsort(*files, count, sizeof(**files), version_newer_first);
	*n = count;
	kl_strv_free(versions);
	free(root);
	return 0;
}

int
kl_cache_clean(const char *home, long long *bytes)
{
	char *root = kl_home_path(home, KL_HOME_BINARIES, NULL), *iso = kl_home_path(home, KL_HOME_ISO, NULL);
	char **versions = list_dir(root, "v*");
	int removed = kl_remove_stale_temp_files(iso, NULL, bytes);

	for (size_t i = 0; versions[i]; i++) {
		char *osdir = kl_xasprintf("%s/%s/linux", root, versions[i]);
		char **arches = list_dir(osdir, "*");

		for (size_t a = 0; arches[a]; a++) {
			char *dir = kl_xasprintf("%s/%s", osdir, arches[a]);

			removed += kl_remove_stale_temp_files(dir, NULL, bytes);
			free(dir);
		}
		kl_strv_free(arches);
		free(osdir);
	}
	kl_strv_free(versions);
	free(iso);
	free(root);
	return removed;
}

int
kl_program_cache_list(const char *home, struct kl_cache_file **files, size_t *n)
{
	char *root = kl_home_path(home, KL_HOME_PROGRAMS, NULL);
	char **names = list_dir(root, "*");
	size_t count = 0;

	*files = NULL;
	for (size_t p = 0; names[p]; p++) {
		char *pdir = kl_xasprintf("%s/%s", root, names[p]);
		char **versions = list_dir(pdir, "*");

		for (size_t v = 0; versions[v]; v++) {
			char *vdir = kl_xasprintf("%s/%s", pdir, versions[v]);
			char **platforms = list_dir(vdir, "linux-*");

			for (size_t k = 0; platforms[k]; k++) {
				char *path = kl_xasprintf("%s/%s/%s", vdir, platforms[k], names[p]);
				struct stat st;

				if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
					free(path);
					continue;
				}
				add_file(files, &count, versions[v], kl_xasprintf("%s/%s", platforms[k], names[p]), path,
					 (long long)st.st_size, 0);
			}
			kl_strv_free(platforms);
			free(vdir);
		}
		kl_strv_free(versions);
		free(pdir);
	}
	kl_strv_free(names);
	free(root);
	*n = count;
	return 0;
}

void
kl_cache_files_free(struct kl_cache_file *files, size_t n)
{
	for (size_t i = 0; files && i < n; i++) {
		free(files[i].version);
		free(files[i].name);
		free(files[i].path);
	}
	free(files);
}

static long long
tree_size(const char *home, const char *version)
{
	struct kl_cache_file *files = NULL;
	long long total = 0;
	size_t n = 0;

	kl_cache_list(home, &files, &n, NULL);
	for (size_t i = 0; i < n; i++)
		if (version == NULL || strcmp(files[i].version, version) == 0)
			total += files[i].size;
	kl_cache_files_free(files, n);
	return total;
}

/* The versions in the cache, "v1.36.0, v1.37.2", or "none". */
static char *
cached_versions(const char *home)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_cache_file *files = NULL;
	size_t n = 0;
	const char *last = "";

	kl_cache_list(home, &files, &n, NULL);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(files[i].version, last) == 0)
			continue;
		last = files[i].version;
		kl_strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", last);
	}
	kl_cache_files_free(files, n);
	if (sb.len == 0)
		kl_strbuf_addstr(&sb, "none");
	return kl_strbuf_detach(&sb, NULL);
}

int
kl_cache_delete(const char *home, const char *version, long long *freed, struct kl_err *err)
{
	char *path = NULL, *canon = NULL;
	struct kl_version v;
	long long size;
	int rc = -1;

	if (freed)
		*freed = 0;
	if (version) {
		if (kl_version_parse(version, &v) != 0) {
			kl_err_set(err, KL_R_USAGE_VALUE, "invalid version '%s': use vX.Y.Z", version);
			goto out;
		}
		canon = kl_xasprintf("v%d.%d.%d", v.major, v.minor, v.patch);
		path = kl_home_path(home, KL_HOME_BINARIES, canon, NULL);
		if (!kl_is_dir(path)) {
			char *cached = cached_versions(home);
			kl_err_set(err, KL_R_USAGE_VALUE, "version '%s' is not in the cache (cached: %s)", canon, cached);
			free(cached);
			goto out;
		}
	} else {
		path = kl_home_path(home, KL_HOME_BINARIES, NULL);
	}
	size = tree_size(home, canon);
	if (kl_remove_tree(path, err) != 0)
		goto out;
	if (version == NULL) {
		/* All of it: the addons' programs (istioctl) too, fetched again when needed. */
		struct kl_cache_file *progs = NULL;
		size_t nprogs = 0;

		kl_program_cache_list(home, &progs, &nprogs);
		for (size_t i = 0; i < nprogs; i++)
			size += progs[i].size;
		kl_cache_files_free(progs, nprogs);
		free(path);
		path = kl_home_path(home, KL_HOME_PROGRAMS, NULL);
		if (kl_remove_tree(path, err) != 0)
			goto out;
	}
	if (freed)
		*freed = size;
	rc = 0;
out:
	free(path);
	free(canon);
	return rc;
}

/* ---- image bundles ---- */

int
kl_image_bundle_scan(const char *dir, int hash, struct kl_bundle_archive **out, size_t *n,
		     struct kl_err *err)
{
	char **names = NULL;
	size_t count = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (!kl_is_dir(dir))
		return kl_err_set(err, KL_R_RUNTIME_IMAGE, "the image bundle '%s' is not a directory", dir);
	names = list_dir(dir, "*.tar");
	for (size_t i = 0; names[i]; i++) {
		struct kl_bundle_archive *a;
		struct stat st;
		char *path = kl_xasprintf("%s/%s", dir, names[i]);

		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*out = kl_xrealloc(*out, (count + 1) * sizeof(**out));
		a = &(*out)[count++];
		memset(a, 0, sizeof(*a));
		a->path = path;
		a->name = kl_xstrdup(names[i]);
		a->size = (long long)st.st_size;
		*n = count;
		if (st.st_size == 0) {
			kl_err_set(err, KL_R_RUNTIME_IMAGE, "the image archive '%s' is empty", path);
			goto out;
		}
		if (hash && kl_sha256_file(path, a->sha256, err) != 0)
			goto out;
	}
	if (count == 0) {
		kl_err_set(err, KL_R_RUNTIME_IMAGE, "the image bundle '%s' holds no *.tar image archive", dir);
		goto out;
	}
	rc = 0;
out:
	kl_strv_free(names);
	if (rc != 0) {
		kl_image_bundle_free(*out, count);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
kl_image_bundle_free(struct kl_bundle_archive *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		free(a[i].path);
		free(a[i].name);
	}
	free(a);
}
