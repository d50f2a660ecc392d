/*
 * cluster.h: a profile and its machine together: what the machine-level commands
 * (start, stop, delete, status, ip, ssh, pause) share.
 */
#ifndef KL_CLUSTER_H
#define KL_CLUSTER_H

#include "kubelaunch/driver.h"
#include "kubelaunch/err.h"
#include "kubelaunch/profile.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strbuf.h"

struct kl_cluster {
	const char *home;
	struct kl_profile profile;
	struct kl_machine *machine; /* machine->state: the driver's record (state.json) */
	/* This layer's record of Kubernetes on the machine, machines/NAME/cluster.json
	 * (KubeadmDone, NodeIP, ServicesStarted): written by kl_cluster_save_state only,
	 * as state.json is by the driver only. */
	json_t *state;
};

/* Write c->state (atomically) into the machine's directory. */
int kl_cluster_save_state(struct kl_cluster *c, struct kl_err *err);

struct kl_out;

/* --wait: what a start waits for. The API server is always waited for before
 * anything is applied; the rest only when asked (all by default). */
enum {
	KL_WAIT_APISERVER = 1 << 0,
	KL_WAIT_KUBELET = 1 << 1,
	KL_WAIT_NODE_READY = 1 << 2,
	KL_WAIT_DEFAULT_SA = 1 << 3,
	KL_WAIT_SYSTEM_PODS = 1 << 4,
	KL_WAIT_DNS = 1 << 5,
	KL_WAIT_ALL = (1 << 6) - 1,
	KL_WAIT_NONE = 1 << 30, /* nothing after the API server */
};
/* --wait's comma list (apiserver, system_pods, default_sa, node_ready, kubelet, dns,
 * all, none) as KL_WAIT_* bits; anything else is USAGE_VALUE naming the allowed values. */
int kl_wait_parse(const char *const *items, unsigned *mask, struct kl_err *err);
/* "apiserver, kubelet, ..." for a mask (0: all): a new string. */
char *kl_wait_names(unsigned mask);

struct kl_start_opts {
	struct kl_out *out;   /* step lines and events */
	int step, total;      /* steps printed so far, and in all */
	int wait_timeout_ms;  /* for SSH and the components */
	int no_kubernetes;
	int download_only;    /* fetch and verify what a start needs, then stop */
	const char *binary_mirror;   /* --binary-mirror, or NULL */
	const char *image_bundle;    /* --image-bundle DIR, or NULL */
	int preload;                 /* the bundle as a preloaded store (preload.h) where it can be */
	const char *image_repository;
	const char *const *extra_config; /* component.key=value, NULL-terminated */
	const char *feature_gates;
	const char *const *apiserver_ips;
	const char *const *apiserver_names;
	long long cert_expiration_ms;
	int embed_certs, keep_context;
	unsigned wait;               /* --wait: KL_WAIT_* after the API server; 0 is KL_WAIT_ALL */
	const char *cni;             /* NULL, "auto", "bridge": the bridge conflist; else a
				      * manifest on the host, applied with kubectl after init */
	int force;                   /* --force: checks that would fail are warnings */
	/* How to keep a process running on a host without systemd: start `argv` under a
	 * supervisor that writes `pidfile` and appends to `log` (the command layer's
	 * `kubelaunch supervise`; this layer knows neither that command nor its flags). */
	int (*supervise)(const char *const *argv, const char *pidfile, const char *log, struct kl_err *err);
	/* The addons (cmd/addons.c), called once the kubeconfig is written and before the
	 * waits (DNS is an addon); NULL: none. */
	int (*addons)(void *arg, struct kl_cluster *c, struct kl_err *err);
	void *addons_arg;
	/* Filled by the start: */
	char *kubernetes_version;    /* resolved vX.Y.Z */
	char *binaries[3];           /* kubeadm, kubelet, kubectl on the host */
	char *preload_root;          /* the preloaded containerd root for this host's containerd */
};

/* Kubernetes on a running machine (src/cluster/kubernetes.c): prepare the node, run
 * kubeadm (init, or the phases a restart needs), CNI, RBAC, kubeconfig, waits. */
int kl_kubernetes_fetch(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err);
int kl_kubernetes_start(struct kl_cluster *c, struct kl_start_opts *o, struct kl_runner *r,
			struct kl_err *err);
struct kl_kube;
/* Wait for the targets in `mask` (KL_WAIT_*), all polled together, for at most
 * timeout_ms in all: what the API answers through `kube` from the host, kubelet and
 * DNS through `r` on the machine. A target not reached is K8S_WAIT_TIMEOUT naming the
 * first missing in their fixed order and why (the first unready system pod and its
 * problem, say). */
int kl_cluster_wait(struct kl_runner *r, struct kl_kube *kube, const char *bin_dir, const char *node,
		    const char *machine, int timeout_ms, unsigned mask, struct kl_err *err);
/* Stop kubelet and the containers (the none driver's "stop"); remove what Kubernetes
 * put on the machine (kubeadm reset) when `reset`. */
int kl_kubernetes_stop(struct kl_cluster *c, struct kl_runner *r, int reset, struct kl_err *err);
void kl_start_opts_release(struct kl_start_opts *o);
/* start --dry-run: the kubeadm.yaml a start would render (o->kubernetes_version set),
 * touching no machine: this host's facts are read for the none driver; other machines
 * are taken to run systemd, and an address not known before boot is a guess
 * (*ip_guessed set). */
int kl_kubernetes_plan(struct kl_cluster *c, struct kl_start_opts *o, struct kl_strbuf *yaml, int *ip_guessed,
		       struct kl_err *err);

/* Bring the cluster up: check the image, save the profile, create or restart the
 * machine, wait for SSH, then (unless no_kubernetes) Kubernetes. */
int kl_cluster_start(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err);
/* Stop the machine (its data stays). */
int kl_cluster_stop(struct kl_cluster *c, struct kl_err *err);
/* Remove the machine, our kubeconfig entries and the profile. Everything that can
 * fail is checked first (the kubeconfig parses and can be written, the directories
 * can be removed): a failed delete leaves the profile whole. */
int kl_cluster_delete(struct kl_cluster *c, struct kl_err *err);
/* Delete a profile that cannot be opened (`why`: its config.json or state.json is
 * corrupt, names an unknown driver, or only the machine directory is left). A QEMU
 * found by the machine's pid file is stopped; a none machine whose state.json reads
 * is deleted as usual (the host's paths are fixed); a machine of another driver
 * cannot be stopped without the files: that is CONFIG_CORRUPT naming the file, and
 * nothing is touched. Our kubeconfig entries go. */
int kl_cluster_delete_damaged(const char *home, const char *name, const struct kl_err *why, struct kl_err *err);

/* This host's Kubernetes (the none driver, src/cluster/host.c). kl_host_check: a host
 * that runs a kubelet, control plane or admin.conf which is not `profile` of `home`
 * (as KL_NODE_DIR/owner.json records; `legacy_ours`: the profile's machine says it
 * ran kubeadm before owners were recorded) is HOST_CLUSTER_FOREIGN saying what runs,
 * whose it is and how to remove it. kl_host_claim records the owner; delete and stop
 * leave alone a host recorded as someone else's. */
int kl_host_check(const char *home, const char *profile, int legacy_ours, struct kl_err *err);
int kl_host_claim(const char *home, const char *profile, struct kl_err *err);
/* 1: the host's Kubernetes is recorded as `profile` of `home`'s; -1: as someone else's;
 * 0: no record. */
int kl_host_owner(const char *home, const char *profile);

/* What `status` reports. Each part is Running, Stopped, Nonexistent, Error ... and
 * the kubeconfig Configured or Misconfigured; "" where it does not apply
 * (--no-kubernetes). exit_bits: 1 host, 2 kubelet/apiserver, 4 kubeconfig not OK. */
struct kl_status {
	const char *host, *kubelet, *apiserver, *kubeconfig;
	int exit_bits;
};
int kl_cluster_status(struct kl_cluster *c, struct kl_status *st, struct kl_err *err);

/* An existing profile and its machine record; a missing profile is GUEST_NOT_FOUND (85). */
int kl_cluster_open(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err);
/* A new profile from settings (not yet saved) and a machine for `driver`; a machine
 * record that exists but cannot be read is an error (CONFIG_CORRUPT naming the file),
 * never a fresh start next to a machine that may still run. */
int kl_cluster_init(const char *home, const char *name, json_t *settings, const struct kl_driver_ops *d,
		    struct kl_cluster *c, struct kl_err *err);
/* kl_cluster_open, and the machine must be running: else GUEST_NOT_RUNNING (86). */
int kl_cluster_open_running(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err);
void kl_cluster_release(struct kl_cluster *c);

/* The profile's settings that matter to the machine, copied into the machine's spec. */
void kl_cluster_spec(struct kl_cluster *c);

/* A runner on the machine: local for the host itself, else SSH, retrying for up to
 * timeout_ms while SSH comes up; a VM that stops on the way is GUEST_BOOT with the
 * last lines of its serial log. */
struct kl_runner *kl_cluster_connect(struct kl_cluster *c, int timeout_ms, struct kl_err *err);

/* Where the host reaches the profile's API server now (the driver's endpoint, else
 * the APIServer the last start recorded) and the files of the profile's identity:
 * $KUBELAUNCH_HOME/certs/ca.crt and profiles/P/certs/client.{crt,key}. New strings;
 * K8S_APISERVER when the profile has no API server yet. */
struct kl_cluster_api {
	char *server, *ca_path, *cert_path, *key_path;
};
int kl_cluster_api(struct kl_cluster *c, struct kl_cluster_api *api, struct kl_err *err);
void kl_cluster_api_release(struct kl_cluster_api *api);

/* An API client (kube.h) for the profile's API server from the host: the server the
 * profile recorded (APIServer), $KUBELAUNCH_HOME/certs/ca.crt, and the profile's
 * client.crt/.key. Its deadline is now + timeout_ms. NULL and K8S_APISERVER when the
 * profile has no API server yet (never started). */
struct kl_kube *kl_cluster_kube(struct kl_cluster *c, int timeout_ms, struct kl_err *err);

#endif
