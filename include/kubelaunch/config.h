/* config.h: typed user defaults ($KUBELAUNCH_HOME/config/config.json). */
#ifndef KL_CONFIG_H
#define KL_CONFIG_H

#include <jansson.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

enum kl_key_type {
	KL_KEY_STRING,
	KL_KEY_ENUM,    /* one of `allowed` */
	KL_KEY_INT,     /* between min and max */
	KL_KEY_SIZE,    /* stored as MiB */
	KL_KEY_DURATION,/* stored as milliseconds */
	KL_KEY_BOOL,
	KL_KEY_VERSION, /* stable, latest or vX.Y.Z */
	KL_KEY_URL,     /* file://, http://, https:// */
	KL_KEY_PROFILE, /* a DNS-1123 label */
	KL_KEY_PATH,    /* an absolute path */
};

struct kl_config_key {
	const char *name;
	enum kl_key_type type;
	const char *help;
	const char *const *allowed; /* KL_KEY_ENUM */
	long long min, max;         /* KL_KEY_INT, KL_KEY_SIZE */
};

extern const struct kl_config_key kl_config_keys[];
const struct kl_config_key *kl_config_key_find(const char *name);
/* The error for a key that does not exist, with a "did you mean". */
int kl_config_unknown_key(const char *name, struct kl_err *err);
/* Validate and normalise `value` for `key` into a JSON value (new reference). */
int kl_config_value_parse(const struct kl_config_key *key, const char *value, json_t **out,
			  struct kl_err *err);
/* Render a stored value as a user would type it. */
void kl_config_value_format(const struct kl_config_key *key, json_t *value, struct kl_strbuf *sb);

char *kl_config_path(const char *home);
/* The whole file (an empty object when missing). */
int kl_config_load(const char *home, json_t **cfg, struct kl_err *err);
/* Set or unset (value NULL) one key under the config lock. */
int kl_config_update(const char *home, const char *key, const char *value, struct kl_err *err);

#endif
