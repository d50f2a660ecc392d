/* Artifacts without a network: versions, the cache listing and deletion, image bundles,
 * downloads from file:// URLs. The HTTP paths are in tests/t/t0620-artifacts.sh. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static void
put(const char *dir, const char *name, const char *data)
{
	char *p = kl_xasprintf("%s/%s", dir, name);

	kl_mkdir_p(dir, 0755, NULL);
	kl_write_file_atomic(p, data, strlen(data), 0644, NULL);
	free(p);
}

KL_TEST(artifacts_version_resolve_without_network)
{
	struct kl_artifacts_opts o = { kl_unit_tmpdir(), NULL, NULL, NULL, NULL };
	struct kl_err err;
	char *v = NULL;

	CHECK_INT(kl_k8s_version_resolve(&o, "1.34.2", &v, &err), 0);
	CHECK_STR(v, "v1.34.2");
	free(v);
	CHECK_INT(kl_k8s_version_resolve(&o, "v1.34", &v, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_VERSION);
	CHECK(strstr(err.msg, KL_K8S_DEFAULT_VERSION) != NULL);
	CHECK_INT(kl_k8s_version_resolve(&o, "../../etc", &v, &err), -1);
	CHECK(v == NULL);
}

KL_TEST(artifacts_file_mirror_cache_list_delete)
{
	char *home = kl_xasprintf("%s/art-home", kl_unit_tmpdir());
	char *mirror = kl_xasprintf("%s/art-mirror", kl_unit_tmpdir());
	char *bin = kl_xasprintf("%s/v1.36.1/bin/linux/amd64", mirror), *url = kl_xasprintf("file://%s", mirror);
	struct kl_artifacts_opts o = { home, url, NULL, NULL, NULL };
	struct kl_cache_file *files = NULL;
	struct kl_binaries b;
	struct kl_err err;
	long long freed = 0;
	size_t n = 0;
	char *known;

	put(bin, "kubeadm", "adm");
	put(bin, "kubeadm.sha256", "86f65e28a754e1a71b2df9403615a6c436c32c42a75a10d02813961b86f1e428  kubeadm\n");
	put(bin, "kubelet", "let");
	put(bin, "kubelet.sha256", "5654D4106D7025C2578858F4FC5AD235C25096B85C3B8D2FB8A064AE3546BB1D\n");
	put(bin, "kubectl", "ctl");
	put(bin, "kubectl.sha256", "8d64666b3a57b53101d5ec122525a781485120c5ee7be962ba492bef42096341");
	CHECK_INT(kl_binaries_fetch(&o, "v1.36.1", &b, &err), 0);
	CHECK_INT(b.downloaded, 3);
	kl_binaries_release(&b);
	CHECK_INT(kl_binaries_cached(&o, "v1.36.1"), 1);
	CHECK_INT(kl_binaries_fetch(&o, "1.36.1", &b, &err), -1); /* a version is vX.Y.Z */
	CHECK_INT(kl_binaries_fetch(&o, "v1.36.1", &b, &err), 0);
	CHECK_INT(b.downloaded, 0);
	kl_binaries_release(&b);
	kl_cache_list(home, &files, &n, &err);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(files[0].name, "linux/amd64/kubeadm");
		CHECK_INT(files[0].size, 3);
	}
	kl_cache_files_free(files, n);
	known = kl_known_versions(home, "amd64");
	CHECK(strstr(known, "v1.36.1 (cached)") != NULL);
	free(known);
	CHECK_INT(kl_cache_delete(home, "v1.36.1", &freed, &err), 0);
	CHECK_INT(freed, 9);

	/* A bad digest file, and a corrupt binary: errors, no partial file. */
	put(bin, "kubectl.sha256", "zz\n");
	CHECK_INT(kl_binaries_fetch(&o, "v1.36.1", &b, &err), -1);
	CHECK_INT(err.reason, KL_R_INET_DOWNLOAD);
	put(bin, "kubectl.sha256", "8d64666b3a57b53101d5ec122525a781485120c5ee7be962ba492bef42096341");
	put(bin, "kubectl", "ctX");
	CHECK_INT(kl_binaries_fetch(&o, "v1.36.1", &b, &err), -1);
	CHECK_INT(err.reason, KL_R_INET_CHECKSUM);
	CHECK(strstr(err.msg, "kubectl") != NULL);
	kl_cache_list(home, &files, &n, &err);
	for (size_t i = 0; i < n; i++)
		if (strstr(files[i].name, ".part.") || strstr(files[i].name, "kubectl"))
			kl_unit_fail(__FILE__, __LINE__, "left behind: %s", files[i].path);
	kl_cache_files_free(files, n);

	/* A version the mirror does not have: nothing created. */
	CHECK_INT(kl_k8s_version_check(&o, "v1.36.1", &err), 0);
	CHECK_INT(kl_k8s_version_check(&o, "v1.99.0", &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_VERSION);
	CHECK_INT(kl_k8s_version_check(&o, "nope", &err), -1);
	CHECK_INT(kl_binaries_fetch(&o, "v1.99.0", &b, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_VERSION);
	{
		char *d = kl_xasprintf("%s/cache/binaries/v1.99.0", home);
		CHECK(!kl_path_exists(d));
		free(d);
	}

	CHECK_INT(kl_cache_delete(home, NULL, &freed, &err), 0);
	CHECK_INT(kl_cache_delete(home, "v1.2.3", &freed, &err), -1);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	known = kl_known_versions(home, "amd64");
	CHECK_STR(known, KL_K8S_DEFAULT_VERSION " (default)");
	free(known);
	free(home);
	free(mirror);
	free(bin);
	free(url);
}

KL_TEST(artifacts_image_bundle_scan)
{
	char *dir = kl_xasprintf("%s/bundle", kl_unit_tmpdir()), *empty = kl_xasprintf("%s/bundle-empty", kl_unit_tmpdir());
	struct kl_bundle_archive *a = NULL;
	struct kl_err err;
	size_t n = 0;

	put(dir, "b.tar", "bbbb");
	put(dir, "a.tar", "abc");
	put(dir, "notes.txt", "x");
	CHECK_INT(kl_image_bundle_scan(dir, 1, &a, &n, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(a[0].name, "a.tar");
		CHECK_INT(a[0].size, 3);
		CHECK_STR(a[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		CHECK_STR(a[1].name, "b.tar");
	}
	kl_image_bundle_free(a, n);
	kl_mkdir_p(empty, 0755, NULL);
	CHECK_INT(kl_image_bundle_scan(empty, 0, &a, &n, &err), -1);
	CHECK_INT(err.reason, KL_R_RUNTIME_IMAGE);
	CHECK(strstr(err.msg, empty) != NULL);
	CHECK_INT(kl_image_bundle_scan("/nonexistent/bundle", 0, &a, &n, &err), -1);
	put(empty, "zero.tar", "");
	CHECK_INT(kl_image_bundle_scan(empty, 0, &a, &n, &err), -1);
	CHECK(strstr(err.msg, "empty") != NULL);
	free(dir);
	free(empty);
}

/* A program from a mirror with Istio's layout (file://; the HTTP path and an
 * unreachable site are in t0760 and below): the .sha256 first, the archive verified,
 * unpacked with the system tar, cached; a wrong digest leaves nothing; a version the
 * mirror lacks is INET_NOT_FOUND; a site that refuses is INET_ADDON_PROGRAM. */
KL_TEST(artifacts_program_from_mirror)
{
	char *home = kl_xasprintf("%s/prog-home", kl_unit_tmpdir()), *site = kl_xasprintf("%s/prog-site", kl_unit_tmpdir());
	char *src = kl_xasprintf("%s/prog-src", kl_unit_tmpdir()), *ver = kl_xasprintf("%s/9.9.9", site);
	char *tgz = kl_xasprintf("%s/istioctl-9.9.9-linux-amd64.tar.gz", ver), *url = kl_xasprintf("file://%s", site);
	const char *tar[] = { "tar", "-czf", tgz, "-C", src, "istioctl", NULL };
	struct kl_program_opts o = { .home = home, .name = "istioctl", .version = "9.9.9", .mirror = url };
	struct kl_runner *r = kl_runner_local_new();
	char sha[KL_SHA256_HEX], *line, *path = NULL, *a = NULL, *b = NULL;
	struct kl_err err;
	int downloaded = -1;

	put(src, "istioctl", "#!/bin/sh\necho istioctl 9.9.9\n");
	kl_mkdir_p(ver, 0755, NULL);
	CHECK_INT(kl_runner_check(r, tar, NULL, NULL, KL_R_HOST, &err), 0);
	CHECK_INT(kl_sha256_file(tgz, sha, &err), 0);
	line = kl_xasprintf("%s  istioctl-9.9.9-linux-amd64.tar.gz\n", sha);
	put(ver, "istioctl-9.9.9-linux-amd64.tar.gz.sha256", line);

	CHECK_INT(kl_program_urls(&o, &a, &b, &err), 0);
	CHECK(strstr(a, "/prog-site/9.9.9/istioctl-9.9.9-linux-amd64.tar.gz") != NULL);
	free(a);
	free(b);
	o.mirror = NULL;
	CHECK_INT(kl_program_urls(&o, &a, &b, &err), 0);
	CHECK_STR(a, "https://github.com/istio/istio/releases/download/9.9.9/istioctl-9.9.9-linux-amd64.tar.gz");
	CHECK_STR(b, "https://github.com/istio/istio/releases/download/9.9.9/istioctl-9.9.9-linux-amd64.tar.gz.sha256");
	free(a);
	free(b);
	o.mirror = url;
	o.version = "../9";
	CHECK_INT(kl_program_fetch(&o, &path, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	o.version = "9.9.9";

	CHECK_INT(kl_program_fetch(&o, &path, &downloaded, &err), 0);
	CHECK_INT(downloaded, 1);
	CHECK(path && strstr(path, "/cache/programs/istioctl/9.9.9/linux-amd64/istioctl") != NULL);
	CHECK(path && access(path, X_OK) == 0);
	{
		char *gone = kl_xasprintf("%s/cache/programs/istioctl/9.9.9/linux-amd64/istioctl-9.9.9-linux-amd64.tar.gz",
					  home);
		CHECK(!kl_path_exists(gone)); /* the archive is not kept */
		free(gone);
	}
	free(path);
	CHECK_INT(kl_program_fetch(&o, &path, &downloaded, &err), 0);
	CHECK_INT(downloaded, 0);
	free(path);
	{
		struct kl_cache_file *files = NULL;
		size_t n = 0;

		CHECK_INT(kl_program_cache_list(home, &files, &n), 0);
		CHECK_INT(n, 1);
		if (n == 1) {
			CHECK_STR(files[0].version, "9.9.9");
			CHECK_STR(files[0].name, "linux-amd64/istioctl");
			CHECK_INT(files[0].size, 30); /* the script above */
		}
		kl_cache_files_free(files, n);
	}

	/* A published digest that does not match: nothing is left in the cache. */
	o.version = "9.9.8";
	{
		char *v8 = kl_xasprintf("%s/9.9.8", site), *t8 = kl_xasprintf("%s/istioctl-9.9.8-linux-amd64.tar.gz", v8);
		const char *tar8[] = { "tar", "-czf", t8, "-C", src, "istioctl", NULL };
		char *dir8 = kl_xasprintf("%s/cache/programs/istioctl/9.9.8/linux-amd64/istioctl", home);

		kl_mkdir_p(v8, 0755, NULL);
		CHECK_INT(kl_runner_check(r, tar8, NULL, NULL, KL_R_HOST, &err), 0);
		put(v8, "istioctl-9.9.8-linux-amd64.tar.gz.sha256",
		    "0000000000000000000000000000000000000000000000000000000000000000  x\n");
		CHECK_INT(kl_program_fetch(&o, &path, NULL, &err), -1);
		CHECK_INT(err.reason, KL_R_INET_CHECKSUM);
		CHECK(path == NULL && !kl_path_exists(dir8));
		free(v8);
		free(t8);
		free(dir8);
	}
	/* A version the mirror does not have. */
	o.version = "1.0.0";
	CHECK_INT(kl_program_fetch(&o, &path, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_INET_NOT_FOUND);
	CHECK(strstr(err.msg, "istioctl 1.0.0 is not at 'file://") != NULL);
	/* A site that refuses connections (a closed port on loopback): one line, the reason
	 * that names the mirror setting. */
	o.mirror = "http://127.0.0.1:1/release";
	CHECK_INT(kl_program_fetch(&o, &path, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_INET_ADDON_PROGRAM);
	CHECK(strncmp(err.msg, "cannot download istioctl 1.0.0 from 'http://127.0.0.1:1/release': cannot reach ", 79) == 0);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(strstr(kl_reason_advice(KL_R_INET_ADDON_PROGRAM), "addons configure NAME mirror=URL") != NULL);
	o.name = "helm";
	CHECK_INT(kl_program_fetch(&o, &path, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	kl_runner_free(r);
	free(line);
	free(home);
	free(site);
	free(src);
	free(ver);
	free(tgz);
	free(url);
}
