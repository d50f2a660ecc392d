/*
 * node_files.c: what the node gets from the host: binaries, certificates, kubeadm.yaml
 * and the image bundle. A VM driver that can share host directories (KL_CAP_SHARE: 9p)
 * boots with the binaries' and the bundle's directories shared read-only, and the node
 * reads them in place; otherwise they are copied over SSH (identical files skipped).
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/certs.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/kubeadm.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/out.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"
#include "k8s.h"

static char *
dir_of(const char *path)
{
	return kl_xstrndup(path, (size_t)(strrchr(path, '/') - path));
}

void
kl_k8s_share_inputs(struct kl_machine *m, const struct kl_start_opts *o)
{
	char *bin = dir_of(o->binaries[0]);
	char *bundle = o->image_bundle ? realpath(o->image_bundle, NULL) : NULL;

	kl_machine_share(m, "kl-binaries", bin);
	if (bundle)
		kl_machine_share(m, "kl-images", bundle);
	free(bundle);
	free(bin);
}

/* Where the machine reads host directory `dir` without a copy: its share of it, mounted
 * read-only under KL_NODE_SHARE_DIR. NULL when the machine did not boot with it or the
 * mount fails: the caller copies instead. */
static char *
guest_view(struct k8s *k, const char *dir)
{
	static const char mount_script[] =
		"mountpoint -q \"$2\" && exit 0; mkdir -p \"$2\"; modprobe 9pnet_virtio 2>/dev/null; "
		"mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 \"$1\" \"$2\"";
	char *abs = realpath(dir, NULL), *mnt = NULL;
	const char *tag = abs ? kl_machine_shared(k->c->machine, abs) : NULL;
	struct kl_err e;

	if (tag) {
		mnt = kl_xasprintf("%s/%s", KL_NODE_SHARE_DIR, tag);
		if (kl_k8s_run(k, 30000, KL_R_GUEST, NULL, &e, "sh", "-c", mount_script, "sh", tag, mnt, NULL) != 0) {
			kl_debug("cannot mount the share %s (%s): copying over SSH instead", tag, e.msg);
			free(mnt);
			mnt = NULL;
		}
	}
	free(abs);
	return mnt;
}

/* The binaries from `view` (guest_view of their host directory) into the node's
 * binaries directory, in one command, their times kept. One whose size and time are
 * the host's is left alone: the host's copy is verified against its checksum when it
 * is cached and never changes after (reading it whole over 9p to compare takes
 * seconds under emulation). */
static int
install_from_view(struct k8s *k, const char *view, struct kl_err *err)
{
	static const char script[] = "src=$1 dst=$2; shift 2; for n; do "
				     "[ \"$(stat -c %s.%Y \"$src/$n\")\" = \"$(stat -c %s.%Y \"$dst/$n\" 2>/dev/null)\" ] || "
				     "install -D -p -m 0755 \"$src/$n\" \"$dst/$n\" || exit; done";

	return kl_k8s_run(k, 300000, KL_R_GUEST, NULL, err, "sh", "-c", script, "sh", view, k->bin_dir,
			  kl_binary_names[0], kl_binary_names[1], kl_binary_names[2], NULL);
}

/* Binaries, certificates, kubeadm.yaml and its patches to the machine (identical files
 * are skipped). */
int
kl_k8s_copy_files(struct k8s *k, struct kl_err *err)
{
	struct kl_strbuf yaml = KL_STRBUF_INIT;
	struct kl_cert_file *files = NULL;
	char *host_bin = NULL, *view = NULL;
	size_t n = 0;
	int rc = -1;

	if (kl_k8s_run(k, 30000, KL_R_GUEST, NULL, err, "mkdir", "-p", k->bin_dir, KL_KUBEADM_CERT_DIR,
		     "/etc/cni/net.d", "/var/log/kubelaunch", NULL) != 0)
		goto out;
	host_bin = dir_of(k->o->binaries[0]);
	view = guest_view(k, host_bin);
	for (int i = 0; i < KL_BINARY_COUNT && !view; i++) {
		char *dst = kl_xasprintf("%s/%s", k->bin_dir, kl_binary_names[i]);
		int r = kl_runner_copy_file(k->r, k->o->binaries[i], dst, 0755, 1, NULL, err);

		free(dst);
		if (r != 0)
			goto out;
	}
	if (view && install_from_view(k, view, err) != 0)
		goto out;
	kl_certs_kubeadm_files(&k->certs, &files, &n);
	for (size_t i = 0; i < n; i++) {
		char *dst = kl_xasprintf("%s/%s", KL_KUBEADM_CERT_DIR, files[i].name);
		int r = kl_runner_copy_file(k->r, files[i].src, dst, files[i].mode, 1, NULL, err);

		free(dst);
		if (r != 0)
			goto out;
	}
	if (kl_k8s_render_kubeadm(k, &yaml, err) != 0 || kl_k8s_copy_data(k, yaml.buf, KL_NODE_KUBEADM_YAML, 0600, err) != 0)
		goto out;
	for (const char *const *t = kl_kubeadm_patch_targets; *t; t++) {
		char *dst = kl_xasprintf(KL_NODE_KUBEADM_PATCHES "/%s+strategic.yaml", *t);
		int r;

		kl_strbuf_reset(&yaml);
		r = kl_kubeadm_patch(*t, &yaml, err) == 0 ? kl_k8s_copy_data(k, yaml.buf, dst, 0600, err) : -1;
		free(dst);
		if (r != 0)
			goto out;
	}
	rc = 0;
out:
	free(view);
	free(host_bin);
	kl_cert_files_free(files, n);
	kl_strbuf_release(&yaml);
	return rc;
}

/* The bundle's archives into containerd's k8s.io namespace, unless all its images are
 * there already (images.list in the bundle names them). */
int
kl_k8s_import_images(struct k8s *k, struct kl_err *err)
{
	struct kl_bundle_archive *a = NULL;
	struct kl_strbuf list = KL_STRBUF_INIT;
	/* As many at once as the machine has cores: containerd hashes and unpacks each
	 * archive mostly on one. */
	static const char *const import_argv[] = {
		"sh", "-c", "printf '%s\\0' \"$@\" | xargs -0 -n 1 -P \"$(nproc)\" ctr -n k8s.io images import",
		"sh", NULL,
	};
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_run_result res;
	char *listpath, *view = NULL;
	size_t n = 0;
	int rc = -1, missing = 1, host;

	kl_run_result_init(&res);
	if (k->o->image_bundle == NULL)
		return 0;
	listpath = kl_xasprintf("%s/images.list", k->o->image_bundle);
	if (kl_image_bundle_scan(k->o->image_bundle, 0, &a, &n, err) != 0)
		goto out;
	if (kl_read_file(listpath, &list, NULL) == 0 &&
	    kl_k8s_run(k, 60000, KL_R_RUNTIME, &res, err, "ctr", "-n", "k8s.io", "images", "ls", "-q", NULL) == 0) {
		missing = 0;
		for (char *line = strtok(list.buf, "\n"); line; line = strtok(NULL, "\n"))
			if (*line && !strstr(res.out.buf, line))
				missing = 1;
	}
	if (!missing) {
		SUB(k->o, "All %zu images of %s are in containerd already", n, k->o->image_bundle);
		rc = 0;
		goto out;
	}
	SUB(k->o, "Importing %zu image archives from %s ...", n, k->o->image_bundle);
	host = (k->c->machine->driver->caps & KL_CAP_HOST) != 0;
	view = host ? NULL : guest_view(k, k->o->image_bundle);
	for (const char *const *p = import_argv; *p; p++)
		kl_strvec_push(&argv, *p);
	for (size_t i = 0; i < n; i++) {
		char *path = kl_xasprintf("%s/%s", host ? k->o->image_bundle : view ? view : KL_NODE_IMAGE_DIR, a[i].name);

		kl_strvec_push(&argv, path);
		if (!host && !view &&
		    (kl_k8s_run(k, 10000, KL_R_GUEST, NULL, err, "mkdir", "-p", KL_NODE_IMAGE_DIR, NULL) != 0 ||
		     kl_runner_copy_file(k->r, a[i].path, path, 0644, 1, NULL, err) != 0)) {
			free(path);
			goto out;
		}
		free(path);
	}
	if (kl_k8s_runv(k, 1200000, KL_R_RUNTIME_IMAGE, NULL, err, kl_strvec_argv(&argv)) != 0)
		goto out;
	rc = 0;
out:
	kl_strvec_clear(&argv);
	free(view);
	kl_run_result_release(&res);
	kl_image_bundle_free(a, n);
	kl_strbuf_release(&list);
	free(listpath);
	return rc;
}
