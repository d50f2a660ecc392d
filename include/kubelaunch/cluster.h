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

struct kl_cluster {
	const char *home;
	struct kl_profile profile;
	struct kl_machine *machine;
};

struct kl_out;

struct kl_start_opts {
	struct kl_out *out;   /* step lines and events */
	int step, total;      /* steps printed so far, and in all */
	int wait_timeout_ms;  /* for SSH and the components */
	int no_kubernetes;
};

/* Bring the cluster up: check the image, save the profile, create or restart the
 * machine, wait for SSH, then (unless no_kubernetes) Kubernetes. */
int kl_cluster_start(struct kl_cluster *c, struct kl_start_opts *o, struct kl_err *err);
/* Stop the machine (its data stays). */
int kl_cluster_stop(struct kl_cluster *c, struct kl_err *err);
/* Remove the machine and the profile. */
int kl_cluster_delete(struct kl_cluster *c, struct kl_err *err);

/* An existing profile and its machine record; a missing profile is GUEST_NOT_FOUND (85). */
int kl_cluster_open(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err);
/* A new profile from settings (not yet saved) and a machine for `driver`. */
void kl_cluster_init(const char *home, const char *name, json_t *settings, const struct kl_driver_ops *d,
		     struct kl_cluster *c);
/* kl_cluster_open, and the machine must be running: else GUEST_NOT_RUNNING (86). */
int kl_cluster_open_running(const char *home, const char *name, struct kl_cluster *c, struct kl_err *err);
void kl_cluster_release(struct kl_cluster *c);

/* The profile's settings that matter to the machine, copied into the machine's spec. */
void kl_cluster_spec(struct kl_cluster *c);

/* A runner on the machine: local for the host itself, else SSH, retrying for up to
 * timeout_ms while SSH comes up; a VM that stops on the way is GUEST_BOOT with the
 * last lines of its serial log. */
struct kl_runner *kl_cluster_connect(struct kl_cluster *c, int timeout_ms, struct kl_err *err);

#endif
