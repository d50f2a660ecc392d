/* Artifacts without a network: versions, the cache listing and deletion, image bundles,
 * downloads from file:// URLs. The HTTP paths are in tests/t/t0620-artifacts.sh. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/fs.h"
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
