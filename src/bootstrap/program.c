/*
 * program.c: programs that install addons (istioctl), fetched the way the Kubernetes
 * binaries are (download.c: libcurl, hashed as they arrive, OpenSSL's SHA-256), from
 * their project's release archives or a mirror laid out the same way, and cached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/log.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"
#include "download.h"

#define TAR_TIMEOUT_MS (2 * 60 * 1000)

static const struct kl_program_kind kinds[] = {
	{ "istioctl", KL_ISTIO_RELEASE_URL, "{version}/istioctl-{version}-linux-{arch}.tar.gz" },
};

const struct kl_program_kind *
kl_program_kind(const char *name)
{
	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* A version or an architecture that can go into a URL and a path as it is. */
static int
word_ok(const char *s)
{
	if (s == NULL || !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) ||
	    strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || strchr(".-+_", *s)))
			return 0;
	return 1;
}

static const char *
arch(const struct kl_program_opts *o)
{
	return o->arch ? o->arch : "amd64";
}

int
kl_program_urls(const struct kl_program_opts *o, char **archive_url, char **sha256_url, struct kl_err *err)
{
	const struct kl_program_kind *k = kl_program_kind(o->name);
	struct kl_strbuf rel = KL_STRBUF_INIT;

	*archive_url = *sha256_url = NULL;
	if (k == NULL)
		return kl_err_set(err, KL_R_USAGE_VALUE, "kubelaunch does not know how to fetch a program '%s'",
				  o->name ? o->name : "");
	if (!word_ok(o->version) || !word_ok(arch(o)))
		return kl_err_set(err, KL_R_USAGE_VALUE, "invalid %s version '%s': use a release such as %s", k->name,
				  o->version ? o->version : "", KL_ISTIOCTL_VERSION);
	for (const char *p = k->archive; *p;) {
		if (strncmp(p, "{version}", 9) == 0) {
			kl_strbuf_addstr(&rel, o->version);
			p += 9;
		} else if (strncmp(p, "{arch}", 6) == 0) {
			kl_strbuf_addstr(&rel, arch(o));
			p += 6;
		} else {
			kl_strbuf_add(&rel, p++, 1);
		}
	}
	*archive_url = kl_url_join(o->mirror && *o->mirror ? o->mirror : k->site, rel.buf);
	*sha256_url = kl_xasprintf("%s.sha256", *archive_url);
	kl_strbuf_release(&rel);
	return 0;
}

/* What download.c says, for a program: a site that cannot be reached or that fails
 * is INET_ADDON_PROGRAM (its advice names the mirror setting). */
static int
fetch_reason(struct kl_err *err, const struct kl_program_opts *o, const char *site)
{
	if (err->reason == KL_R_INET_UNREACHABLE || err->reason == KL_R_INET_DOWNLOAD || err->reason == KL_R_INET)
		err->reason = KL_R_INET_ADDON_PROGRAM;
	return kl_err_wrap(err, "cannot download %s %s from '%s'", o->name, o->version, site);
}

/* The archive in dir unpacked into dir/NAME (through a private directory), with the
 * system tar run through the process runner: kubelaunch writes no tar code of its
 * own (STYLE.md), and GNU tar refuses absolute and ".." member names. */
static int
unpack(const char *archive, const char *dir, const char *name, struct kl_err *err)
{
	char *tmp = kl_xasprintf("%s/.unpack.%d", dir, (int)getpid()), *inner = kl_xasprintf("%s/%s", tmp, name);
	char *dest = kl_xasprintf("%s/%s", dir, name);
	const char *argv[] = { "tar", "-xzf", archive, "-C", tmp, "--no-same-owner", "--", name, NULL };
	struct kl_run_opts opts = { .timeout_ms = TAR_TIMEOUT_MS };
	struct kl_runner *r = NULL;
	struct kl_err ignored;
	int rc = -1;

	kl_remove_tree(tmp, &ignored);
	if (kl_mkdir_p(tmp, 0700, err) != 0)
		goto out;
	r = kl_runner_local_new();
	if (kl_runner_check(r, argv, &opts, NULL, KL_R_INET_DOWNLOAD, err) != 0) {
		kl_err_wrap(err, "'%s' is not a .tar.gz holding '%s'", archive, name);
		goto out;
	}
	if (!kl_path_exists(inner)) {
		kl_err_set(err, KL_R_INET_DOWNLOAD, "'%s' holds no '%s' at its top", archive, name);
		goto out;
	}
	if (rename(inner, dest) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot rename '%s' to '%s'", inner, dest);
		goto out;
	}
	rc = 0;
out:
	kl_runner_free(r);
	kl_remove_tree(tmp, &ignored);
	free(tmp);
	free(inner);
	free(dest);
	return rc;
}

int
kl_program_fetch(const struct kl_program_opts *o, char **path, int *downloaded, struct kl_err *err)
{
	struct kl_strbuf sum = KL_STRBUF_INIT;
	char *url = NULL, *sum_url = NULL, *dir = NULL, *platform = NULL, *archive = NULL;
	const char *site;
	char want[KL_SHA256_HEX], got[KL_SHA256_HEX];
	struct kl_dl dl = { 0 };
	int rc = -1;

	*path = NULL;
	if (downloaded)
		*downloaded = 0;
	if (kl_program_urls(o, &url, &sum_url, err) != 0)
		goto out;
	site = o->mirror && *o->mirror ? o->mirror : kl_program_kind(o->name)->site;
	platform = kl_xasprintf("linux-%s", arch(o));
	dir = kl_home_path(o->home, KL_HOME_PROGRAMS, o->name, o->version, platform, NULL);
	*path = kl_xasprintf("%s/%s", dir, o->name);
	if (kl_dl_cached_ok(dir, o->name)) {
		kl_debug("program: %s %s cached in %s", o->name, o->version, dir);
		rc = 0;
		goto out;
	}
	/* The checksum first: an unknown version stops here, before anything is created. */
	dl.url = sum_url;
	dl.name = "sha256";
	dl.mem = &sum;
	if (kl_download(&dl, 1, NULL, NULL, err) != 0) {
		if (dl.not_found)
			kl_err_set(err, KL_R_INET_NOT_FOUND, "%s %s is not at '%s': '%s' does not exist", o->name, o->version,
				   site, sum_url);
		else
			fetch_reason(err, o, site);
		goto out;
	}
	if (kl_sha256_parse(sum.buf, want) != 0) {
		kl_err_set(err, KL_R_INET_ADDON_PROGRAM, "'%s' does not hold a sha256 digest", sum_url);
		goto out;
	}
	if (kl_mkdir_p(dir, 0755, err) != 0)
		goto out;
	archive = kl_xasprintf("%s/%s", dir, strrchr(url, '/') + 1);
	memset(&dl, 0, sizeof(dl));
	dl.url = url;
	dl.name = o->name;
	dl.dest = archive;
	dl.sha256 = want;
	if (kl_download(&dl, 1, NULL, NULL, err) != 0) {
		if (err->reason != KL_R_INET_CHECKSUM && err->reason != KL_R_RSRC_DISK && err->reason != KL_R_HOST_IO)
			fetch_reason(err, o, site);
		goto out;
	}
	if (unpack(archive, dir, o->name, err) != 0 || kl_sha256_file(*path, got, err) != 0 ||
	    kl_dl_commit(dir, o->name, got, err) != 0)
		goto out;
	kl_debug("program: %s %s from %s (archive sha256 %s) into %s", o->name, o->version, url, want, dir);
	if (downloaded)
		*downloaded = 1;
	rc = 0;
out:
	if (archive)
		unlink(archive); /* the program is what is kept */
	if (rc != 0) {
		free(*path);
		*path = NULL;
	}
	kl_strbuf_release(&sum);
	free(url);
	free(sum_url);
	free(dir);
	free(platform);
	free(archive);
	return rc;
}
