/*
 * preload.h: an image bundle as a ready containerd store, built once on the host.
 *
 * Importing archives means hashing and unpacking every layer on the machine: under
 * software emulation that is minutes. The preload does it once, natively, with the
 * host's own containerd (which must be the guest's version), into a store cached under
 * $KUBELAUNCH_HOME/cache/preload/<key>/, keyed by the archives (names, sizes, mtimes,
 * images.list) and the containerd version. The none driver's containerd root starts as
 * a copy of it (hard links; the databases copied); a VM's data disk starts as a
 * copy-on-write overlay over a read-only ext4 image of it, so nothing is copied or
 * unpacked in the guest.
 */
#ifndef KL_PRELOAD_H
#define KL_PRELOAD_H

#include "kubelaunch/err.h"

struct kl_preload {
	char *dir;     /* $home/cache/preload/<key> */
	char *root;    /* dir/tree/var/lib/containerd: the store, images unpacked */
	char *version; /* the containerd version it was built with */
	int images;    /* how many archives it holds */
};

/* The host's containerd version ("1.6.20~ds1"), or NULL when containerd is missing. */
char *kl_preload_containerd_version(void);

/* The store for the archives in `bundle`, built now if it is not cached. Needs root and
 * containerd on the host; any failure is an error the caller reports before falling back
 * to the import. *built tells whether it was built by this call. */
int kl_preload_get(const char *home, const char *bundle, struct kl_preload *p, int *built, struct kl_err *err);

/* An ext4 image of disk_mib MiB labelled kubelaunch-data (what the guest mounts as its
 * data disk) holding the store at /var/lib/containerd; built once per size, read-only.
 * *path is a new string. */
int kl_preload_disk(const struct kl_preload *p, long long disk_mib, char **path, struct kl_err *err);

/* Make containerd root `dst` (missing, or without a metadata database) a copy of the
 * store: hard links for the immutable content and snapshots, real copies of the
 * databases containerd writes to. */
int kl_preload_install(const struct kl_preload *p, const char *dst, struct kl_err *err);

void kl_preload_release(struct kl_preload *p);

/* For `cache list`: each complete store, its archives, and the space it takes on disk
 * (the store and its disk images, blocks allocated: the images are sparse). */
struct kl_preload_entry {
	char *key;
	char *path;
	int archives;
	int disks;        /* data-*.raw images made of it */
	long long bytes;
};
int kl_preload_list(const char *home, struct kl_preload_entry **out, size_t *n, struct kl_err *err);
void kl_preload_entries_free(struct kl_preload_entry *e, size_t n);

#endif
