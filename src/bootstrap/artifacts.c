/* artifacts.c: Kubernetes versions and binaries: resolve, verify the cache, download. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/log.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "download.h"

const char *const kl_binary_names[KL_BINARY_COUNT] = { "kubeadm", "kubelet", "kubectl" };

static const char *
base_url(const struct kl_artifacts_opts *o)
{
	return o->mirror && *o->mirror ? o->mirror : KL_K8S_RELEASE_URL;
}

static const char *
arch(const struct kl_artifacts_opts *o)
{
	return o->arch ? o->arch : "amd64";
}

/* "v1.34.2" rebuilt from its numbers, so it is safe in a path and a URL. */
static char *
canonical_version(const char *s)
{
	struct kl_version v;

	if (s == NULL || kl_version_parse(s, &v) != 0)
		return NULL;
	return kl_xasprintf("v%d.%d.%d", v.major, v.minor, v.patch);
}

char *
kl_url_join(const char *base, const char *rest)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return kl_xasprintf("%.*s/%s", (int)n, base, rest);
}

int
kl_k8s_version_resolve(const struct kl_artifacts_opts *o, const char *want, char **version,
		       struct kl_err *err)
{
	struct kl_strbuf body = KL_STRBUF_INIT;
	struct kl_dl dl = { 0 };
	char *url = NULL, *known = NULL;
	int rc = -1;

	*version = NULL;
	if (want == NULL || *want == '\0')
		want = "stable";
	if (strcmp(want, "stable") != 0 && strcmp(want, "latest") != 0) {
		*version = canonical_version(want);
		if (*version)
			return 0;
		known = kl_known_versions(o->home, arch(o));
		rc = kl_err_set(err, KL_R_K8S_VERSION, "invalid Kubernetes version '%s': use stable, latest or vX.Y.Z "
			   "(known here: %s)", want, known);
		goto out;
	}
	url = kl_url_join(base_url(o), strcmp(want, "stable") == 0 ? "stable.txt" : "latest.txt");
	dl.url = url;
	dl.name = want;
	dl.mem = &body;
	if (kl_download(&dl, 1, NULL, NULL, err) != 0) {
		if (dl.not_found)
			kl_err_set(err, KL_R_K8S_VERSION, "cannot resolve '%s': '%s' does not exist", want, url);
		goto out;
	}
	kl_strbuf_rtrim(&body);
	*version = body.buf[0] == 'v' ? canonical_version(body.buf) : NULL;
	if (*version == NULL || strncmp(*version, body.buf, strlen(*version) + 1) != 0) {
		free(*version);
		*version = NULL;
		kl_err_set(err, KL_R_K8S_VERSION, "'%s' does not hold a version vX.Y.Z: '%.40s'", url, body.buf);
		goto out;
	}
	kl_debug("artifacts: %s is %s", want, *version);
	rc = 0;
out:
	free(url);
	free(known);
	kl_strbuf_release(&body);
	return rc;
}

/* ---- the cache: <dir>/<name>, <name>.sha256, .<name>.verified ---- */

static char *
cache_dir(const struct kl_artifacts_opts *o, const char *version)
{
	return kl_home_path(o->home, KL_HOME_BINARIES, version, "linux", arch(o), NULL);
}

/* The stamp: size, mtime and inode of a file whose sha256 was checked. */
static char *
stamp_text(const struct stat *st, const char *sha)
{
	return kl_xasprintf("%lld %lld.%09ld %llu %s\n", (long long)st->st_size, (long long)st->st_mtim.tv_sec,
			    st->st_mtim.tv_nsec, (unsigned long long)st->st_ino, sha);
}


int
kl_dl_cached_ok(const char *dir, const char *name)
{
	char *path = kl_xasprintf("%s/%s", dir, name), *sumf = kl_xasprintf("%s/%s.sha256", dir, name);
	char *stampf = kl_xasprintf("%s/.%s.verified", dir, name), *want_stamp = NULL;
	struct kl_strbuf sum = KL_STRBUF_INIT, stamp = KL_STRBUF_INIT;
	char sha[65], got[65];
	struct stat st;
	int ok = 0;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || kl_read_file(sumf, &sum, NULL) != 0 ||
	    kl_sha256_parse(sum.buf, sha) != 0)
		goto out;
	want_stamp = stamp_text(&st, sha);
	if (kl_read_file(stampf, &stamp, NULL) == 0 && strcmp(stamp.buf, want_stamp) == 0) {
		ok = 1;
		goto out;
	}
	kl_debug("artifacts: %s changed since it was verified; hashing it again", path);
	if (kl_sha256_file(path, got, NULL) != 0 || strcmp(got, sha) != 0) {
		kl_debug("artifacts: %s does not match its sha256; removing it", path);
		unlink(path);
		goto out;
	}
	kl_write_file_atomic(stampf, want_stamp, strlen(want_stamp), 0644, NULL);
	ok = 1;
out:
	kl_strbuf_release(&sum);
	kl_strbuf_release(&stamp);
	free(want_stamp);
	free(path);
	free(sumf);
	free(stampf);
	return ok;
}

int
kl_binaries_cached(const struct kl_artifacts_opts *o, const char *version)
{
	char *v = canonical_version(version), *dir;
	int ok = v != NULL;

	if (!ok)
		return 0;
	dir = cache_dir(o, v);
	for (size_t i = 0; ok && i < KL_BINARY_COUNT; i++)
		ok = kl_dl_cached_ok(dir, kl_binary_names[i]);
	free(dir);
	free(v);
	return ok;
}

char *
kl_known_versions(const char *home, const char *arch_name)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_cache_file *files = NULL;
	struct kl_artifacts_opts o = { home, NULL, arch_name, NULL, NULL };
	size_t n = 0;
	const char *last = "";

	kl_strbuf_addstr(&sb, KL_K8S_DEFAULT_VERSION " (default)");
	if (home)
		kl_cache_list(home, &files, &n, NULL);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(files[i].version, last) == 0)
			continue;
		last = files[i].version;
		if (strcmp(last, KL_K8S_DEFAULT_VERSION) != 0 && kl_binaries_cached(&o, last))
			kl_strbuf_addf(&sb, ", %s (cached)", last);
	}
	kl_cache_files_free(files, n);
	return kl_strbuf_detach(&sb, NULL);
}

int
kl_k8s_version_check(const struct kl_artifacts_opts *o, const char *version, struct kl_err *err)
{
	struct kl_strbuf body = KL_STRBUF_INIT;
	char *v = canonical_version(version), *rel = NULL, *url = NULL, *known = NULL;
	struct kl_dl dl = { 0 };
	int rc = -1;

	if (v == NULL || version[0] != 'v') {
		known = kl_known_versions(o->home, arch(o));
		kl_err_set(err, KL_R_K8S_VERSION, "invalid Kubernetes version '%s': use vX.Y.Z (known here: %s)",
			   version ? version : "", known);
		goto out;
	}
	if (kl_binaries_cached(o, v)) {
		rc = 0;
		goto out;
	}
	rel = kl_xasprintf("%s/bin/linux/%s/kubeadm.sha256", v, arch(o));
	url = kl_url_join(base_url(o), rel);
	dl.url = url;
	dl.name = "kubeadm.sha256";
	dl.mem = &body;
	if (kl_download(&dl, 1, NULL, NULL, err) != 0) {
		if (dl.not_found) {
			known = kl_known_versions(o->home, arch(o));
			kl_err_set(err, KL_R_K8S_VERSION, "Kubernetes %s is not known at '%s': '%s' does not exist "
				   "(known here: %s)", v, base_url(o), url, known);
		}
		goto out;
	}
	rc = 0;
out:
	kl_strbuf_release(&body);
	free(v);
	free(rel);
	free(url);
	free(known);
	return rc;
}

int
kl_dl_commit(const char *dir, const char *name, const char *sha, struct kl_err *err)
{
	char *path = kl_xasprintf("%s/%s", dir, name), *sumf = kl_xasprintf("%s/%s.sha256", dir, name);
	char *stampf = kl_xasprintf("%s/.%s.verified", dir, name), *line = kl_xasprintf("%s  %s\n", sha, name);
	char *st_text = NULL;
	struct stat st;
	int rc = -1;

	if (chmod(path, 0755) != 0 || stat(path, &st) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot set the mode of '%s'", path);
		goto out;
	}
	if (kl_write_file_atomic(sumf, line, strlen(line), 0644, err) != 0)
		goto out;
	st_text = stamp_text(&st, sha);
	if (kl_write_file_atomic(stampf, st_text, strlen(st_text), 0644, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		unlink(path); /* no file without its checksum */
	free(path);
	free(sumf);
	free(stampf);
	free(line);
	free(st_text);
	return rc;
}

int
kl_binaries_fetch(const struct kl_artifacts_opts *o, const char *version, struct kl_binaries *out,
		  struct kl_err *err)
{
	struct kl_strbuf sums[KL_BINARY_COUNT] = { KL_STRBUF_INIT, KL_STRBUF_INIT, KL_STRBUF_INIT };
	struct kl_dl dls[KL_BINARY_COUNT];
	char *urls[KL_BINARY_COUNT] = { 0 }, *sumurls[KL_BINARY_COUNT] = { 0 };
	char shas[KL_BINARY_COUNT][65];
	size_t idx[KL_BINARY_COUNT], n = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(dls, 0, sizeof(dls));
	out->version = canonical_version(version);
	if (out->version == NULL || version[0] != 'v') {
		char *known = kl_known_versions(o->home, arch(o));
		kl_err_set(err, KL_R_K8S_VERSION, "invalid Kubernetes version '%s': use vX.Y.Z (known here: %s)",
			   version ? version : "", known);
		free(known);
		goto out;
	}
	out->dir = cache_dir(o, out->version);
	for (size_t i = 0; i < KL_BINARY_COUNT; i++) {
		char *rel = kl_xasprintf("%s/bin/linux/%s/%s", out->version, arch(o), kl_binary_names[i]);

		out->paths[i] = kl_xasprintf("%s/%s", out->dir, kl_binary_names[i]);
		urls[i] = kl_url_join(base_url(o), rel);
		sumurls[i] = kl_xasprintf("%s.sha256", urls[i]);
		free(rel);
		if (!kl_dl_cached_ok(out->dir, kl_binary_names[i]))
			idx[n++] = i;
	}
	if (n == 0) {
		kl_debug("artifacts: %s: all binaries cached in %s", out->version, out->dir);
		rc = 0;
		goto out;
	}

	/* The checksums first: an unknown version stops here, before anything is created. */
	for (size_t k = 0; k < n; k++) {
		dls[k].url = sumurls[idx[k]];
		dls[k].name = kl_binary_names[idx[k]];
		dls[k].mem = &sums[idx[k]];
	}
	if (kl_download(dls, n, NULL, NULL, err) != 0) {
		for (size_t k = 0; k < n; k++) {
			if (dls[k].not_found) {
				char *known = kl_known_versions(o->home, arch(o));
				kl_err_set(err, KL_R_K8S_VERSION,
					   "Kubernetes %s is not known at '%s': '%s' does not exist (known here: %s)",
					   out->version, base_url(o), dls[k].url, known);
				free(known);
				break;
			}
		}
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		if (kl_sha256_parse(sums[idx[k]].buf, shas[idx[k]]) != 0) {
			kl_err_set(err, KL_R_INET_DOWNLOAD, "'%s' does not hold a sha256 digest", sumurls[idx[k]]);
			goto out;
		}
	}

	if (kl_mkdir_p(out->dir, 0755, err) != 0)
		goto out;
	memset(dls, 0, sizeof(dls));
	for (size_t k = 0; k < n; k++) {
		dls[k].url = urls[idx[k]];
		dls[k].name = kl_binary_names[idx[k]];
		dls[k].dest = out->paths[idx[k]];
		dls[k].sha256 = shas[idx[k]];
	}
	if (kl_download(dls, n, o->progress, o->progress_arg, err) != 0)
		goto out;
	for (size_t k = 0; k < n; k++)
		if (kl_dl_commit(out->dir, kl_binary_names[idx[k]], shas[idx[k]], err) != 0)
			goto out;
	out->downloaded = (int)n;
	rc = 0;
out:
	for (size_t i = 0; i < KL_BINARY_COUNT; i++) {
		free(urls[i]);
		free(sumurls[i]);
		kl_strbuf_release(&sums[i]);
	}
	if (rc != 0)
		kl_binaries_release(out);
	return rc;
}

void
kl_binaries_release(struct kl_binaries *b)
{
	free(b->version);
	free(b->dir);
	for (size_t i = 0; i < KL_BINARY_COUNT; i++)
		free(b->paths[i]);
	memset(b, 0, sizeof(*b));
}
