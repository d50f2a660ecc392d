/* lifecycle.c: start, stop and delete of a cluster, as steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/image.h"
#include "kubelaunch/json.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/kubeconfig.h"
#include "kubelaunch/log.h"
#include "kubelaunch/out.h"
#include "kubelaunch/xalloc.h"

#define STEP(o, name, icon, ...) kl_out_step((o)->out, ++(o)->step, (o)->total, name, icon, __VA_ARGS__)

static int
prepare_image(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err)
{
	const char *url = kl_profile_str(&c->profile, "ISOURL", kl_image_default_url());
	char *path = NULL;

	STEP(o, "Checking Image", "💿", "Checking the guest image %s", url);
	if (kl_image_resolve(c->home, url, &path, err) != 0)
		return -1;
	json_object_set_new(c->profile.cfg, "ISO", json_string(path));
	free(path);
	kl_cluster_spec(c);
	return 0;
}

static int
boot_machine(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err)
{
	struct kl_machine *m = c->machine;
	enum kl_machine_state st;
	const char *kind = (m->driver->caps & KL_CAP_VM) ? "VM" : "machine";

	if (kl_driver_state(m, &st, err) != 0)
		return -1;
	switch (st) {
	case KL_STATE_NONEXISTENT:
		if (m->driver->caps & KL_CAP_VM)
			STEP(o, "Creating VM", "🔥", "Creating %s VM (CPUs=%d, Memory=%lldMiB, Disk=%lldMiB) ...",
			     m->driver->name, m->spec.cpus, m->spec.memory_mib, m->spec.disk_mib);
		else
			STEP(o, "Creating Machine", "🔥", "Preparing the %s machine \"%s\" ...", m->driver->name, m->name);
		if (kl_driver_create(m, err) != 0 || kl_driver_start(m, err) != 0)
			return -1;
		break;
	case KL_STATE_RUNNING:
	case KL_STATE_STARTING:
		STEP(o, "Updating Running", "🏃", "Updating the running %s %s \"%s\" ...", m->driver->name, kind,
		     m->name);
		break;
	case KL_STATE_PAUSED:
		STEP(o, "Resuming", "⏯", "Resuming the paused %s %s \"%s\" ...", m->driver->name, kind, m->name);
		if (kl_driver_unpause(m, err) != 0)
			return -1;
		break;
	default:
		STEP(o, "Restarting VM", "🔄", "Restarting the existing %s %s \"%s\" ...", m->driver->name, kind,
		     m->name);
		if (st == KL_STATE_ERROR && kl_driver_kill(m, err) != 0)
			return -1;
		if (kl_driver_start(m, err) != 0)
			return -1;
	}
	if (json_is_string(json_object_get(m->state, "Accel")) &&
	    strcmp(kl_json_str(m->state, "Accel"), "tcg") == 0)
		kl_out_warn(o->out, "KVM is not usable here (%s): the VM runs under software emulation, "
			    "which is much slower", kl_json_str(m->state, "AccelWhy"));
	return 0;
}

int
kl_cluster_start(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err)
{
	struct kl_machine *m = c->machine;
	struct kl_ssh_endpoint ep;
	struct kl_runner *r = NULL;
	int rc = -1;

	if (o->total == 0)
		o->total = ((m->driver->caps & KL_CAP_VM) ? 4 : 3) + (o->no_kubernetes ? 0 : 3) -
			   ((m->driver->caps & KL_CAP_HOST) ? 1 : 0);
	if (o->step == 0)
		o->step = 1;
	if ((m->driver->caps & KL_CAP_VM) && prepare_image(c, o, err) != 0)
		goto out;
	if (!o->no_kubernetes && kl_kubernetes_fetch(c, o, err) != 0)
		goto out;
	if (o->download_only) {
		STEP(o, "Done", "✅", "Download complete!");
		rc = 0;
		goto out;
	}
	if (kl_machine_check(m, err) != 0) {
		if (!o->force)
			goto out;
		kl_out_warn(o->out, "%s (going on: --force)", err->msg);
	}
	/* One Kubernetes fits on a host: refuse at once one that is not this profile's. */
	if ((m->driver->caps & KL_CAP_HOST) && !o->no_kubernetes &&
	    kl_host_check(c->home, m->name, json_is_true(json_object_get(c->state, "KubeadmDone")), err) != 0)
		goto out;
	/* Save the profile before the machine: a failed start leaves something to delete. */
	if (kl_profile_save(c->home, &c->profile, err) != 0)
		goto out;
	if (boot_machine(c, o, err) != 0)
		goto out;
	if (!(m->driver->caps & KL_CAP_HOST)) {
		memset(&ep, 0, sizeof(ep));
		if (kl_driver_ssh_endpoint(m, &ep, err) != 0)
			goto out;
		STEP(o, "Waiting for SSH", "📡", "Waiting for SSH on %s:%d ...", ep.addr.host, ep.addr.port);
	}
	if ((r = kl_cluster_connect(c, o->wait_timeout_ms, err)) == NULL)
		goto out;
	/* From here a machine that is not a VM runs services of ours: delete stops them even
	 * when the start fails before kubeadm is done. */
	if (!(m->driver->caps & KL_CAP_VM) && !o->no_kubernetes) {
		json_object_set_new(c->state, "ServicesStarted", json_true());
		if (kl_cluster_save_state(c, err) != 0 ||
		    ((m->driver->caps & KL_CAP_HOST) && kl_host_claim(c->home, m->name, err) != 0))
			goto out;
	}
	if (o->no_kubernetes) {
		STEP(o, "Done", "🏄", "Done! The machine \"%s\" is running without Kubernetes", m->name);
	} else {
		if (kl_kubernetes_start(c, o, r, err) != 0)
			goto out;
		STEP(o, "Done", "🏄", "Done! kubectl is now configured to use \"%s\" cluster and \"default\" "
		     "namespace by default", m->name);
	}
	rc = 0;
out:
	kl_runner_free(r);
	return rc;
}

/* Machines that are not VMs keep running: stop (or remove) what Kubernetes runs there. */
static int
stop_kubernetes(struct kl_cluster *c, int reset, struct kl_err *err)
{
	struct kl_runner *r;
	enum kl_machine_state st;
	int rc;

	if ((!json_is_true(json_object_get(c->state, "KubeadmDone")) &&
	     !json_is_true(json_object_get(c->state, "ServicesStarted"))) ||
	    kl_driver_state(c->machine, &st, err) != 0 || st != KL_STATE_RUNNING)
		return 0;
	/* This host's Kubernetes belongs to another profile now: not ours to stop. */
	if ((c->machine->driver->caps & KL_CAP_HOST) && kl_host_owner(c->home, c->profile.name) < 0)
		return 0;
	if ((r = kl_cluster_connect(c, 30000, err)) == NULL)
		return -1;
	rc = kl_kubernetes_stop(c, r, reset, err);
	kl_runner_free(r);
	return rc;
}

int
kl_cluster_stop(struct kl_cluster *c, struct kl_err *err)
{
	if (c->machine->driver->caps & KL_CAP_VM)
		return kl_driver_stop(c->machine, 120 * 1000, err);
	return stop_kubernetes(c, 0, err);
}

/* What delete needs before it acts: the kubeconfig edit can be made, and the
 * directories it removes can be. */
static int
delete_check(const char *home, const char *name, char **kubeconfig, struct kl_err *err)
{
	static const char *const parents[] = { "machines", "profiles" };

	if (kl_kubeconfig_path(kubeconfig, err) != 0 ||
	    (kl_path_exists(*kubeconfig) && kl_kubeconfig_remove_check(*kubeconfig, name, err) != 0))
		return kl_err_wrap(err, "cannot delete '%s' (nothing was changed)", name);
	for (size_t i = 0; i < KL_ARRAY_SIZE(parents); i++) {
		char *dir = kl_xasprintf("%s/%s", home, parents[i]);
		int ok = !kl_is_dir(dir) || access(dir, W_OK | X_OK) == 0;

		if (!ok)
			kl_err_errno(err, KL_R_HOST_HOME, "cannot delete '%s' (nothing was changed): cannot write '%s'",
				     name, dir);
		free(dir);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Our kubeconfig entries, then the machine and profile directories. */
static int
delete_files(const char *home, const char *name, const char *kubeconfig, struct kl_err *err)
{
	char *mdir = kl_machine_dir(home, name), *pdir = kl_profile_dir(home, name);
	int rc = -1;

	if (kl_path_exists(kubeconfig) && kl_kubeconfig_remove(kubeconfig, name, err) != 0)
		goto out;
	if (kl_remove_tree(mdir, err) != 0)
		goto out;
	rc = kl_remove_tree(pdir, err);
out:
	free(mdir);
	free(pdir);
	return rc;
}

int
kl_cluster_delete(struct kl_cluster *c, struct kl_err *err)
{
	char *kubeconfig = NULL;
	int rc = -1;

	if (delete_check(c->home, c->profile.name, &kubeconfig, err) != 0)
		goto out;
	if (c->machine && !(c->machine->driver->caps & KL_CAP_VM) && stop_kubernetes(c, 1, err) != 0)
		goto out;
	if (c->machine && c->machine->driver->remove && kl_driver_remove(c->machine, err) != 0)
		goto out;
	rc = delete_files(c->home, c->profile.name, kubeconfig, err);
out:
	free(kubeconfig);
	return rc;
}

/* The drivers a damaged profile's files still name (config.json, state.json). */
static void
damaged_drivers(const char *home, const char *name, const char *found[2])
{
	char *paths[2] = { kl_home_path(home, KL_HOME_PROFILES, name, KL_HOME_CONFIG_JSON, NULL),
			   kl_home_path(home, KL_HOME_MACHINES, name, "state.json", NULL) };

	for (int i = 0; i < 2; i++) {
		json_t *j = NULL;
		const struct kl_driver_ops *d = NULL;

		if (kl_json_load_file(paths[i], 0, &j, NULL) == 0)
			d = kl_driver_find(kl_json_str(j, "Driver") ? kl_json_str(j, "Driver") : "");
		found[i] = d ? d->name : NULL;
		json_decref(j);
		free(paths[i]);
	}
}

int
kl_cluster_delete_damaged(const char *home, const char *name, const struct kl_err *why, struct kl_err *err)
{
	char *mdir = kl_machine_dir(home, name), *kubeconfig = NULL;
	struct kl_machine *qemu = kl_machine_new(home, name, kl_driver_find("qemu"));
	const char *drivers[2];
	enum kl_machine_state st = KL_STATE_NONEXISTENT;
	int rc = -1;

	damaged_drivers(home, name, drivers);
	/* The none driver's machine is this host, its paths fixed: its record is enough. */
	if (drivers[1] && strcmp(drivers[1], "none") == 0 && (!drivers[0] || strcmp(drivers[0], "none") == 0)) {
		struct kl_cluster c = { .home = home, .profile = { kl_xstrdup(name), json_object() } };

		c.machine = kl_machine_new(home, name, kl_driver_find("none"));
		kl_cluster_spec(&c);
		rc = kl_machine_load_state(c.machine, err) == 0 ? kl_cluster_delete(&c, err) : -1;
		kl_cluster_release(&c);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		if (drivers[i] && strcmp(drivers[i], "qemu") != 0 && kl_is_dir(mdir)) {
			kl_err_set(err, KL_R_CONFIG_CORRUPT,
				   "cannot delete '%s' safely: %s; its %s machine may still run and cannot be "
				   "stopped without that file: fix or move the file, then delete again",
				   name, why->msg, drivers[i]);
			goto out;
		}
	if (kl_host_owner(home, name) > 0) {
		kl_err_set(err, KL_R_CONFIG_CORRUPT,
			   "cannot delete '%s' safely: %s; the Kubernetes on this host is recorded as its own "
			   "and cannot be stopped without that file: fix or move the file, then delete again",
			   name, why->msg);
		goto out;
	}
	if (delete_check(home, name, &kubeconfig, err) != 0)
		goto out;
	/* A QEMU of this machine (its pid file, checked against the process) is stopped. */
	if (kl_driver_state(qemu, &st, NULL) == 0 && st != KL_STATE_NONEXISTENT && st != KL_STATE_STOPPED &&
	    kl_driver_kill(qemu, err) != 0)
		goto out;
	rc = delete_files(home, name, kubeconfig, err);
out:
	kl_machine_free(qemu);
	free(kubeconfig);
	free(mdir);
	return rc;
}
