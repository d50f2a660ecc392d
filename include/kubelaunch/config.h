/* config.h: the user's defaults ($KUBELAUNCH_HOME/config/config.json), as stored. */
#ifndef KL_CONFIG_H
#define KL_CONFIG_H

#include <jansson.h>

#include "kubelaunch/err.h"

char *kl_config_path(const char *home);
/* The whole file (an empty object when missing). */
int kl_config_load(const char *home, json_t **cfg, struct kl_err *err);
/* Set (a value the settings table checked) or unset (NULL) one key under the config lock. */
int kl_config_update(const char *home, const char *key, json_t *value, struct kl_err *err);

#endif
