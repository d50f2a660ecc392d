/* vm.c: what the VM drivers share: identity, disk, resources, accelerator, PIDs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/log.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/xalloc.h"
#include "vm.h"

void
kl_vm_mac(const char *name, char mac[18])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(name, strlen(name), md, &len, EVP_sha256(), NULL);
	snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", md[0], md[1], md[2]);
}

int
kl_vm_check(const struct kl_machine *m, struct kl_err *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct sysinfo si;
	struct statvfs vfs;
	const char *iso = m->spec.iso_path;

	if (m->spec.cpus > cores)
		return kl_err_set(err, KL_R_RSRC_CORES, "cannot give '%s' %d CPUs: the host has %ld",
				  m->name, m->spec.cpus, cores);
	if (sysinfo(&si) == 0) {
		long long host_mib = (long long)si.totalram * si.mem_unit / (1024 * 1024);
		if (m->spec.memory_mib > host_mib)
			return kl_err_set(err, KL_R_RSRC_MEMORY,
					  "cannot give '%s' %lld MiB of memory: the host has %lld MiB",
					  m->name, m->spec.memory_mib, host_mib);
	}
	if (m->spec.disk_mib < 2048)
		return kl_err_set(err, KL_R_RSRC_DISK, "the disk of '%s' is too small: %lld MiB, at least 2048 MiB",
				  m->name, m->spec.disk_mib);
	if (statvfs(m->dir, &vfs) == 0 || (kl_is_dir(m->dir) == 0 && statvfs(".", &vfs) == 0)) {
		long long free_mib = (long long)vfs.f_bavail * (long long)vfs.f_frsize / (1024 * 1024);
		if (free_mib < 1024)
			return kl_err_set(err, KL_R_RSRC_DISK, "only %lld MiB free for the disk of '%s'", free_mib,
					  m->name);
	}
	if (iso == NULL)
		return kl_err_set(err, KL_R_GUEST_IMAGE, "no guest image for '%s'", m->name);
	if (access(iso, R_OK) != 0)
		return kl_err_errno(err, KL_R_GUEST_IMAGE, "cannot read the guest image '%s'", iso);
	return 0;
}

int
kl_machine_check(const struct kl_machine *m, struct kl_err *err)
{
	return (m->driver->caps & KL_CAP_VM) ? kl_vm_check(m, err) : 0;
}

char *
kl_vm_disk(const struct kl_machine *m, const char **format)
{
	int qcow2 = json_is_string(json_object_get(m->state, "DiskBase"));

	if (format)
		*format = qcow2 ? "qcow2" : "raw";
	return kl_machine_path(m, qcow2 ? "disk.qcow2" : "disk.raw");
}

/* disk.qcow2: a copy-on-write overlay of the machine's size over the read-only base. */
static int
overlay_disk(struct kl_machine *m, const char *path, struct kl_err *err)
{
	char size[32];
	const char *const argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", m->spec.disk_base,
				     path, size, NULL };
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_opts opts = { .timeout_ms = 60000 };
	int rc;

	snprintf(size, sizeof(size), "%lldM", m->spec.disk_mib);
	rc = kl_runner_check(r, argv, &opts, NULL, KL_R_HOST_IO, err);
	kl_runner_free(r);
	if (rc != 0)
		unlink(path);
	return rc;
}

int
kl_vm_prepare(struct kl_machine *m, struct kl_err *err)
{
	char *key = kl_machine_path(m, "id_ed25519");
	char *disk = NULL;
	char mac[18];
	int fd = -1, rc = -1;

	if (kl_mkdir_p(m->dir, 0700, err) != 0)
		goto out;
	if (!kl_path_exists(key) && kl_ssh_keygen(key, err) != 0)
		goto out;
	if (m->spec.disk_base && (m->driver->caps & KL_CAP_DISK_BASE) && !kl_path_exists(disk = kl_vm_disk(m, NULL))) {
		/* Only a new machine starts from the base. */
		free(disk);
		json_object_set_new(m->state, "DiskBase", json_string(m->spec.disk_base));
		disk = kl_vm_disk(m, NULL);
		if (overlay_disk(m, disk, err) != 0) {
			json_object_del(m->state, "DiskBase");
			goto out;
		}
	}
	free(disk);
	disk = kl_vm_disk(m, NULL);
	if (!kl_path_exists(disk)) {
		fd = open(disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)m->spec.disk_mib * 1024 * 1024) != 0) {
			kl_err_errno(err, errno == ENOSPC ? KL_R_RSRC_DISK : KL_R_HOST_IO,
				     "cannot create the disk '%s'", disk);
			if (fd >= 0)
				unlink(disk);
			goto out;
		}
	}
	kl_vm_mac(m->name, mac);
	json_object_set_new(m->state, "MAC", json_string(mac));
	json_object_set_new(m->state, "DiskMiB", json_integer(m->spec.disk_mib));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(key);
	free(disk);
	return rc;
}

const char *
kl_vm_accel(struct kl_machine *m)
{
	char why[256] = "";
	int kvm = kl_kvm_usable(why, sizeof(why));

	json_object_set_new(m->state, "Accel", json_string(kvm ? "kvm" : "tcg"));
	json_object_set_new(m->state, "AccelWhy", json_string(why));
	return kvm ? "kvm" : "tcg";
}

void
kl_vm_ssh_files(const struct kl_machine *m, struct kl_ssh_endpoint *ep)
{
	snprintf(ep->user, sizeof(ep->user), "%s", KL_GUEST_USER);
	snprintf(ep->key_path, sizeof(ep->key_path), "%s/id_ed25519", m->dir);
	snprintf(ep->known_hosts, sizeof(ep->known_hosts), "%s/known_hosts", m->dir);
}
