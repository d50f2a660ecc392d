/*
 * driver.h: machines behind one small table of operations.
 *
 * A driver is a `struct kl_driver_ops`; an operation it lacks is a NULL slot that
 * kl_driver_* answers centrally with PROGRAM_UNSUPPORTED, so callers never test for
 * NULL. The registry orders drivers by priority and asks each for its health, so
 * `start` without --driver picks the best healthy one and says why.
 */
#ifndef KL_DRIVER_H
#define KL_DRIVER_H

#include <stddef.h>

#include <jansson.h>

#include "kubelaunch/err.h"

enum kl_machine_state {
	KL_STATE_NONEXISTENT,
	KL_STATE_STOPPED,
	KL_STATE_STARTING,
	KL_STATE_RUNNING,
	KL_STATE_PAUSED,
	KL_STATE_ERROR,
};
const char *kl_machine_state_name(enum kl_machine_state st);

/* A host directory the guest reads without a copy (drivers with KL_CAP_SHARE: QEMU's
 * 9p), mounted in the guest by its tag. */
struct kl_share {
	char *tag;
	char *host;
};
#define KL_SHARES_MAX 4

/* What a profile asks of its machine. */
struct kl_machine_spec {
	int cpus;
	long long memory_mib;
	long long disk_mib;
	char *iso_path;       /* a verified local image, for VM drivers */
	char *libvirt_uri;    /* kvm2 */
	char *ssh_ip;         /* ssh driver */
	int ssh_port;
	char *ssh_user;
	char *ssh_key;
	int apiserver_port;   /* the port the API server listens on in the guest */
	int isolated;         /* qemu: no traffic from the guest leaves the host */
	struct kl_share shares[KL_SHARES_MAX]; /* given to the machine when it boots */
	int nshares;
	/* Drivers with KL_CAP_DISK_BASE: a read-only raw image a new data disk starts from
	 * (a copy-on-write qcow2 overlay over it: the preload), or NULL for a blank disk. */
	char *disk_base;
};

/* One machine: its spec, its directory and what the driver recorded (state.json:
 * PIDs, forwarded ports, MAC, IP ...). */
struct kl_machine {
	char *name;   /* the profile */
	char *dir;    /* $KUBELAUNCH_HOME/machines/<name> */
	const struct kl_driver_ops *driver;
	struct kl_machine_spec spec;
	json_t *state;
};

struct kl_endpoint {
	char host[256];
	int port;
};

struct kl_ssh_endpoint {
	struct kl_endpoint addr;
	char user[64];
	char key_path[4096];
	char known_hosts[4096];
};

struct kl_driver_health {
	int installed;
	int healthy;
	char why[256]; /* what is wrong, when not healthy */
	char fix[256]; /* what to do about it */
};

enum {
	KL_CAP_VM = 1 << 0,          /* boots the guest image */
	KL_CAP_HOST = 1 << 1,        /* the host itself (none) */
	KL_CAP_AUTO = 1 << 2,        /* may be chosen when --driver is not given */
	KL_CAP_SHARE = 1 << 3,       /* boots with spec.shares, read-only, and records them */
	KL_CAP_DISK_BASE = 1 << 4,   /* a new data disk can start from spec.disk_base */
};

struct kl_driver_ops {
	const char *name;
	const char *alias;  /* another accepted name, or NULL */
	int priority;       /* higher is preferred */
	unsigned caps;
	void (*health)(struct kl_driver_health *h);
	int (*create)(struct kl_machine *m, struct kl_err *err);
	int (*start)(struct kl_machine *m, struct kl_err *err);
	int (*stop)(struct kl_machine *m, int timeout_ms, struct kl_err *err);
	int (*kill)(struct kl_machine *m, struct kl_err *err);
	int (*remove)(struct kl_machine *m, struct kl_err *err);
	int (*state)(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err);
	int (*ip)(struct kl_machine *m, char *buf, size_t len, struct kl_err *err);
	int (*ssh_endpoint)(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err);
	/* Where the host reaches the guest's port `guest_port` (forwards, or the IP). */
	int (*endpoint)(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err);
	int (*pause)(struct kl_machine *m, struct kl_err *err);
	int (*unpause)(struct kl_machine *m, struct kl_err *err);
};

/* The registry, by priority (best first), NULL-terminated. */
extern const struct kl_driver_ops *const kl_drivers[];
const struct kl_driver_ops *kl_driver_find(const char *name);
/* The best healthy driver that may be chosen automatically; `why` explains the choice. */
const struct kl_driver_ops *kl_driver_choose(char *why, size_t len, struct kl_err *err);
/* A named driver that must be usable here: not found (55), unsupported OS (56),
 * unhealthy (54) errors carry the health's why and fix. */
int kl_driver_check(const struct kl_driver_ops *d, struct kl_err *err);

/* Ask for host directory `host` to be shared as `tag` at the machine's next boot. */
void kl_machine_share(struct kl_machine *m, const char *tag, const char *host);
/* For drivers with KL_CAP_SHARE, at boot: spec.shares are what this boot shares
 * (state.json's "Shares", which kl_machine_shared reads). */
void kl_machine_record_shares(struct kl_machine *m);
/* The tag under which the running machine shares `host`, or NULL (not shared at its
 * last boot, or a driver without KL_CAP_SHARE). */
const char *kl_machine_shared(const struct kl_machine *m, const char *host);

int kl_driver_create(struct kl_machine *m, struct kl_err *err);
int kl_driver_start(struct kl_machine *m, struct kl_err *err);
int kl_driver_stop(struct kl_machine *m, int timeout_ms, struct kl_err *err);
int kl_driver_kill(struct kl_machine *m, struct kl_err *err);
int kl_driver_remove(struct kl_machine *m, struct kl_err *err);
int kl_driver_state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err);
int kl_driver_ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err);
int kl_driver_ssh_endpoint(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err);
int kl_driver_endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err);
int kl_driver_pause(struct kl_machine *m, struct kl_err *err);
int kl_driver_unpause(struct kl_machine *m, struct kl_err *err);

/* KVM really works: /dev/kvm opens and the CPU has vmx or svm (libvirt's probe is not
 * trusted). `why` says what is missing. */
int kl_kvm_usable(char *why, size_t len);

/* For VM drivers: CPUs, memory and disk against the host, and the image readable;
 * checked before anything is created. Other drivers: nothing to check. */
int kl_machine_check(const struct kl_machine *m, struct kl_err *err);

/* Machine records: machines/<name>/state.json. */
struct kl_machine *kl_machine_new(const char *home, const char *name, const struct kl_driver_ops *d);
int kl_machine_load_state(struct kl_machine *m, struct kl_err *err);
int kl_machine_save_state(struct kl_machine *m, struct kl_err *err);
/* $dir/<file>: a new string. */
char *kl_machine_path(const struct kl_machine *m, const char *file);
void kl_machine_free(struct kl_machine *m);

/* A free TCP port on 127.0.0.1, chosen by the kernel. */
int kl_free_port(struct kl_err *err);
/* Whether `port` on 127.0.0.1 can be bound right now. */
int kl_port_free(int port);
/* The last `lines` lines of a file (for serial logs in errors). */
void kl_file_tail(const char *path, int lines, char *buf, size_t len);

#endif
