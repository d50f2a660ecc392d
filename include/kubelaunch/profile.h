/* profile.h: a profile's settings ($KUBELAUNCH_HOME/profiles/<name>/config.json). */
#ifndef KL_PROFILE_H
#define KL_PROFILE_H

#include <jansson.h>

#include "kubelaunch/err.h"

struct kl_profile {
	char *name;
	json_t *cfg; /* the whole file: Driver, ContainerRuntime, KubernetesVersion, IP, ... */
};

/* Load profiles/<name>/config.json; a missing profile is GUEST_NOT_FOUND, a corrupt
 * file CONFIG_CORRUPT naming the file. */
int kl_profile_load(const char *home, const char *name, struct kl_profile *p, struct kl_err *err);
/* Save atomically (the caller holds the profile lock). */
int kl_profile_save(const char *home, const struct kl_profile *p, struct kl_err *err);
void kl_profile_release(struct kl_profile *p);

const char *kl_profile_str(const struct kl_profile *p, const char *key, const char *def);
long long kl_profile_int(const struct kl_profile *p, const char *key, long long def);

#endif
