/*
 * preload.c: where a start can begin from the preloaded image store (preload.h) and
 * where it cannot. This host (none driver): our own containerd's root starts as a copy
 * of the store. A new VM (drivers with KL_CAP_DISK_BASE): its data disk starts as an
 * overlay over the store's ext4 image, when the guest image's containerd is the host's.
 * Anything else imports the archives, as before, and says why.
 */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/out.h"
#include "kubelaunch/preload.h"
#include "kubelaunch/xalloc.h"
#include "k8s.h"

#define CONTAINERD_DB "/io.containerd.metadata.v1.bolt/meta.db"

/* The guest image's containerd package version, from the package list the image build
 * writes beside it (NAME.packages for NAME.iso); NULL when there is none. */
static char *
guest_containerd(const char *iso)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	size_t len = iso ? strlen(iso) : 0;
	char *path, *line, *v = NULL;

	if (len < 4 || strcmp(iso + len - 4, ".iso") != 0)
		return NULL;
	path = kl_xasprintf("%.*s.packages", (int)(len - 4), iso);
	if (kl_read_file(path, &sb, NULL) == 0)
		for (line = strtok(sb.buf, "\n"); line; line = strtok(NULL, "\n"))
			if (strncmp(line, "containerd ", 11) == 0) {
				v = kl_xstrdup(line + 11);
				break;
			}
	kl_strbuf_release(&sb);
	free(path);
	return v;
}

/* A new VM's data disk from the store's image; -1 with err saying why it cannot. */
static int
vm_disk(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err)
{
	struct kl_machine *m = c->machine;
	struct kl_preload p;
	char *guest = guest_containerd(m->spec.iso_path), *host = kl_preload_containerd_version(), *disk = NULL;
	int built = 0, rc = -1;

	if (guest == NULL) {
		kl_err_set(err, KL_R_RUNTIME, "the guest image names no containerd version");
		goto out;
	}
	/* The package version (1.6.20~ds1-1+deb12u3) begins with containerd's own (1.6.20~ds1). */
	if (host == NULL || strncmp(guest, host, strlen(host)) != 0 || guest[strlen(host)] != '-') {
		kl_err_set(err, KL_R_RUNTIME, "the guest's containerd %s is not this host's (%s)", guest,
			   host ? host : "not installed");
		goto out;
	}
	if (kl_preload_get(c->home, o->image_bundle, &p, &built, err) != 0)
		goto out;
	rc = kl_preload_disk(&p, m->spec.disk_mib, &disk, err);
	if (rc == 0) {
		SUB(o, "%s the preloaded images (%d archives) as the data disk's base", built ? "Built" : "Using",
		    p.images);
		free(m->spec.disk_base);
		m->spec.disk_base = disk;
	}
	kl_preload_release(&p);
out:
	free(guest);
	free(host);
	return rc;
}

void
kl_k8s_preload(struct kl_cluster *c, struct kl_start_opts *o)
{
	struct kl_machine *m = c->machine;
	enum kl_machine_state st;
	struct kl_preload p;
	struct kl_err e = { 0 };
	int built = 0;

	if (m->driver->caps & KL_CAP_HOST) {
		if (!o->download_only && kl_path_exists(KL_NODE_DIR "/containerd" CONTAINERD_DB))
			return; /* the images are there, or are imported next */
		if (kl_preload_get(c->home, o->image_bundle, &p, &built, &e) == 0) {
			SUB(o, "%s the preloaded images (%d archives)", built ? "Built" : "Using", p.images);
			o->preload_root = kl_xstrdup(p.root);
			kl_preload_release(&p);
			return;
		}
	} else if (!(m->driver->caps & KL_CAP_DISK_BASE)) {
		kl_err_set(&e, KL_R_UNSUPPORTED, "the %s driver cannot start a disk from it", m->driver->name);
	} else if (o->download_only) {
		if (vm_disk(c, o, &e) == 0)
			return;
	} else if (kl_driver_state(m, &st, &e) == 0) {
		/* An existing disk keeps what it has; the import adds what is missing. */
		if (st != KL_STATE_NONEXISTENT || vm_disk(c, o, &e) == 0)
			return;
	}
	kl_out_warn(o->out, "cannot use the preloaded images (%s): importing the archives instead", e.msg);
}

int
kl_k8s_preload_install(struct k8s *k, const char *root, struct kl_err *err)
{
	struct kl_preload p = { .root = k->o->preload_root };
	char *db = kl_xasprintf("%s" CONTAINERD_DB, root);
	int rc = 0;

	if (k->o->preload_root && !kl_path_exists(db)) {
		long long t0 = kl_now_ms();

		rc = kl_preload_install(&p, root, err);
		kl_info("preload: %s from %s in %lld ms", root, p.root, kl_now_ms() - t0);
	}
	free(db);
	return rc;
}
