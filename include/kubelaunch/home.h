/* home.h: $KUBELAUNCH_HOME, profiles and their locks. */
#ifndef KL_HOME_H
#define KL_HOME_H

#include <stddef.h>

#include "kubelaunch/err.h"

#define KL_DEFAULT_PROFILE "kubelaunch"

/* $KUBELAUNCH_HOME, else $HOME/.kubelaunch. A new string. */
char *kl_home_resolve(struct kl_err *err);
/* Create the layout (config, profiles, machines, certs, cache, logs) and check that
 * it can be written; an unwritable home is HOST_HOME_NOT_WRITABLE. A home it has to
 * create gets the KL_HOME_MARKER file. */
int kl_home_ensure(const char *home, struct kl_err *err);

/* The file kl_home_ensure writes into a home it creates: what makes a home ours. */
#define KL_HOME_MARKER ".kubelaunch-home"
/* Whether purge may remove `home`: it holds the marker, or it is the default
 * $HOME/.kubelaunch; anything else (KUBELAUNCH_HOME=$HOME, say) is HOST_HOME_FOREIGN. */
int kl_home_purge_check(const char *home, struct kl_err *err);
/* Remove what kubelaunch made in `home` (its known subdirectories and the marker),
 * then the directory itself when nothing else is left; *kept is 1 when other files
 * kept it. Checks kl_home_purge_check first. */
int kl_home_purge(const char *home, int *kept, struct kl_err *err);

/* A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. */
int kl_profile_name_check(const char *name, struct kl_err *err);
/* $home/profiles/<name> and $home/machines/<name>: new strings. */
char *kl_profile_dir(const char *home, const char *name);
char *kl_machine_dir(const char *home, const char *name);
int kl_profile_exists(const char *home, const char *name);
/* The profiles that have a config.json, sorted by name; a NULL-terminated array. */
int kl_profile_names(const char *home, char ***names, size_t *count, struct kl_err *err);
/* The profile's lock (profiles/<name>.lock). */
int kl_profile_lock(const char *home, const char *name, int timeout_ms, struct kl_err *err);

#endif
