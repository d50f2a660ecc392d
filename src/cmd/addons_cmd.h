/* addons_cmd.h: what start.c and image.c use of addons.c. Private to src/cmd. */
#ifndef KL_CMD_ADDONS_CMD_H
#define KL_CMD_ADDONS_CMD_H

#include <jansson.h>

#include "kubelaunch/addons.h"
#include "kubelaunch/cluster.h"

/* The addons `names` (n of them), each once: else SVC_ADDON_USAGE / SVC_ADDON_UNKNOWN.
 * *out is a new array of pointers into `set`. */
int kl_cmd_addons_resolve(const struct kl_addon_set *set, const char *const *names, size_t n,
			  const struct kl_addon ***out, struct kl_err *err);
/* ${cluster.*} for a cluster: {"hostIP": where the node reaches this host}. */
json_t *kl_cmd_addons_facts(struct kl_cluster *c);

/* A note of where the host reaches the addon's host ports (ingress, registry), adding
 * qemu's forwards. */
void kl_cmd_addons_announce(struct kl_out *out, struct kl_cluster *c, const struct kl_addon *a);

/* start's hook (kl_start_opts.addons): record --addons and --dns-upstream in the
 * profile, apply every enabled addon (dns first), wait for the ones named. */
struct kl_cmd_addons_start {
	const char *const *names; /* --addons */
	size_t nnames;
	const char *dns_upstream; /* "host", "none" or NULL (keep the profile's) */
	int timeout_ms;
	struct kl_out *out;
};
int kl_cmd_addons_start(void *arg, struct kl_cluster *c, struct kl_err *err);

#endif
