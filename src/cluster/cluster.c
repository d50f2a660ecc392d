/* cluster.c: a profile with its machine; connecting to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/clock.h"
#include "kubelaunch/cluster.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"

/* cluster.json next to the driver's state.json. A machine recorded before the two were
 * separate keeps what the driver's record held of ours (read only). */
static int
load_state(struct kl_cluster *c, struct kl_err *err)
{
	static const char *const ours[] = { "KubeadmDone", "NodeIP", "ServicesStarted" };
	char *path = kl_machine_path(c->machine, "cluster.json");
	int missing = !kl_path_exists(path), rc;

	json_decref(c->state);
	c->state = NULL;
	rc = kl_json_load_file(path, 1, &c->state, err);
	for (size_t i = 0; rc == 0 && missing && i < KL_ARRAY_SIZE(ours); i++)
		if (json_object_get(c->machine->state, ours[i]))
			json_object_set(c->state, ours[i], json_object_get(c->machine->state, ours[i]));
	free(path);
	return rc;
}

int
kl_cluster_save_state(struct kl_cluster *c, struct kl_err *err)
{
	char *path = kl_machine_path(c->machine, "cluster.json");
	int rc = kl_json_save_file(path, c->state, 0644, err);

	free(path);
	return rc;
}

int
kl_cluster_open(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err)
{
	const struct kl_driver_ops *d;
	const char *dname;

	memset(c, 0, sizeof(*c));
	c->home = home;
	if (kl_profile_load(home, name, &c->profile, err) != 0)
		return -1;
	dname = kl_profile_str(&c->profile, "Driver", "");
	d = kl_driver_find(dname);
	if (d == NULL)
		return kl_err_set(err, KL_R_CONFIG_CORRUPT, "profile '%s' names an unknown driver '%s'", name, dname);
	c->machine = kl_machine_new(home, name, d);
	kl_cluster_spec(c);
	if (kl_machine_load_state(c->machine, err) != 0)
		return -1;
	return load_state(c, err);
}

int
kl_cluster_open_running(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err)
{
	enum kl_machine_state st;

	if (kl_cluster_open(home, name, c, err) != 0 || kl_driver_state(c->machine, &st, err) != 0)
		return -1;
	if (st != KL_STATE_RUNNING)
		return kl_err_set(err, KL_R_GUEST_NOT_RUNNING, "\"%s\" is not running (%s)", name,
				  kl_machine_state_name(st));
	return 0;
}

int
kl_cluster_init(const char *home, const char *name, json_t *settings, const struct kl_driver_ops *d,
		struct kl_cluster *c, struct kl_err *err)
{
	memset(c, 0, sizeof(*c));
	c->home = home;
	c->profile.name = kl_xstrdup(name);
	c->profile.cfg = json_incref(settings);
	json_object_set_new(settings, "Driver", json_string(d->name));
	c->machine = kl_machine_new(home, name, d);
	kl_cluster_spec(c);
	/* A machine that exists keeps what its driver recorded (ports, PIDs, phases done).
	 * One whose record cannot be read may still run: starting afresh could boot a
	 * second QEMU on the same disk. */
	if (kl_machine_load_state(c->machine, err) != 0) {
		if (err->reason != KL_R_CONFIG_CORRUPT)
			kl_err_wrap(err, "cannot read the record of machine '%s'", name);
		err->reason = KL_R_CONFIG_CORRUPT;
		return -1;
	}
	return load_state(c, err);
}

void
kl_cluster_release(struct kl_cluster *c)
{
	kl_profile_release(&c->profile);
	json_decref(c->state);
	c->state = NULL;
	kl_machine_free(c->machine);
	c->machine = NULL;
}

static char *
dup_or_null(const char *s)
{
	return s ? kl_xstrdup(s) : NULL;
}

void
kl_cluster_spec(struct kl_cluster *c)
{
	struct kl_machine_spec *s = &c->machine->spec;
	const struct kl_profile *p = &c->profile;

	/* The defaults are the settings table's (src/cmd/settings.c): start records every
	 * one of these in the profile; 0 here is "not recorded". */
	s->cpus = (int)kl_profile_int(p, "CPUs", 0);
	s->memory_mib = kl_profile_int(p, "MemoryMiB", 0);
	s->disk_mib = kl_profile_int(p, "DiskSizeMiB", 0);
	s->apiserver_port = (int)kl_profile_int(p, "APIServerPort", 0);
	s->ssh_port = (int)kl_profile_int(p, "SSHPort", 0);
	s->isolated = strcmp(kl_profile_str(p, "Network", ""), "isolated") == 0;
	free(s->iso_path);
	s->iso_path = dup_or_null(kl_profile_str(p, "ISO", NULL));
	free(s->libvirt_uri);
	s->libvirt_uri = dup_or_null(kl_profile_str(p, "LibvirtURI", NULL));
	free(s->ssh_ip);
	s->ssh_ip = dup_or_null(kl_profile_str(p, "SSHIPAddress", NULL));
	free(s->ssh_user);
	s->ssh_user = dup_or_null(kl_profile_str(p, "SSHUser", NULL));
	free(s->ssh_key);
	s->ssh_key = dup_or_null(kl_profile_str(p, "SSHKey", NULL));
}


struct kl_runner *
kl_cluster_connect(struct kl_cluster *c, int timeout_ms, struct kl_err *err)
{
	struct kl_machine *m = c->machine;
	long long deadline = kl_now_ms() + timeout_ms;
	struct kl_ssh_endpoint ep;
	struct kl_runner *r;

	if (m->driver->caps & KL_CAP_HOST)
		return kl_runner_local_new();
	memset(&ep, 0, sizeof(ep));
	if (kl_driver_ssh_endpoint(m, &ep, err) != 0)
		return NULL;
	/* Short rounds, so that a machine that dies while booting is noticed. */
	for (;;) {
		long long left = deadline - kl_now_ms();
		struct kl_ssh_target t = {
			.host = ep.addr.host, .port = ep.addr.port, .user = ep.user, .key_path = ep.key_path,
			.known_hosts = ep.known_hosts, .connect_timeout_ms = 5000,
			.retry_ms = (int)(left < 5000 ? (left > 0 ? left : 0) : 5000),
		};
		enum kl_machine_state st = KL_STATE_RUNNING;

		r = kl_runner_ssh_new(&t, err);
		if (r != NULL || err->reason == KL_R_GUEST_HOSTKEY)
			return r;
		if ((m->driver->caps & KL_CAP_VM) && kl_driver_state(m, &st, NULL) == 0 && (st == KL_STATE_STOPPED || st == KL_STATE_NONEXISTENT ||
							   st == KL_STATE_ERROR)) {
			char *serial = kl_machine_path(m, "serial.log"), tail[700];

			kl_file_tail(serial, 5, tail, sizeof(tail));
			free(serial);
			kl_err_set(err, KL_R_GUEST_BOOT, "'%s' stopped while booting (%s); the last lines of its "
				   "serial log:\n%s", m->name, kl_machine_state_name(st), tail[0] ? tail : "(empty)");
			return NULL;
		}
		if (kl_interrupted()) {
			kl_interrupt_err(err, "waiting for ssh");
			return NULL;
		}
		if (kl_now_ms() >= deadline) {
			kl_err_set(err, KL_R_GUEST_SSH, "no SSH answer from '%s' at %s:%d after %d s", m->name,
				   ep.addr.host, ep.addr.port, timeout_ms / 1000);
			return NULL;
		}
		kl_debug("ssh to %s:%d not ready: %s", ep.addr.host, ep.addr.port, err->msg);
	}
}

int
kl_cluster_api(struct kl_cluster *c, struct kl_cluster_api *api, struct kl_err *err)
{
	struct kl_machine *m = c->machine;
	struct kl_endpoint ep = { .port = 0 };
	struct kl_certs certs;

	*api = (struct kl_cluster_api){ 0 };
	/* Where the host reaches the API server now (a VM's forward may have moved);
	 * else what the last start recorded. */
	if (kl_driver_endpoint(m, m->spec.apiserver_port, &ep, NULL) == 0 && ep.port > 0)
		api->server = kl_xasprintf("https://%s:%d", ep.host, ep.port);
	else if (kl_profile_str(&c->profile, "APIServer", NULL))
		api->server = kl_xstrdup(kl_profile_str(&c->profile, "APIServer", NULL));
	if (api->server == NULL)
		return kl_err_set(err, KL_R_K8S_APISERVER, "profile '%s' has no API server yet: start it first", m->name);
	kl_certs_paths(c->home, m->name, &certs);
	api->ca_path = kl_xstrdup(certs.ca_crt);
	api->cert_path = kl_xstrdup(certs.client_crt);
	api->key_path = kl_xstrdup(certs.client_key);
	kl_certs_release(&certs);
	return 0;
}

void
kl_cluster_api_release(struct kl_cluster_api *api)
{
	free(api->server);
	free(api->ca_path);
	free(api->cert_path);
	free(api->key_path);
	*api = (struct kl_cluster_api){ 0 };
}

struct kl_kube *
kl_cluster_kube(struct kl_cluster *c, int timeout_ms, struct kl_err *err)
{
	char *label = kl_xasprintf("profile '%s'", c->machine->name);
	struct kl_cluster_api api;
	struct kl_kube *k = NULL;

	if (kl_cluster_api(c, &api, err) == 0) {
		struct kl_kube_config cfg = { .name = label, .server = api.server, .ca_path = api.ca_path,
					      .cert_path = api.cert_path, .key_path = api.key_path };

		k = kl_kube_new(&cfg, err);
		if (k)
			kl_kube_set_deadline(k, kl_now_ms() + timeout_ms);
		kl_cluster_api_release(&api);
	}
	free(label);
	return k;
}
