/*
 * settings.h: the one table of settings. Each row is a start flag (--NAME), a
 * `config set` key (NAME) and, for the ones a profile keeps, a field of the profile's
 * config.json; one type, one default, one range and one validator serve all three, and
 * kl_settings_decode() turns them into one typed struct.
 *
 * Adding a setting: a member of struct kl_settings and one row in src/cmd/settings.c,
 *   { "addons", KL_SET_LIST, KL_SETF_FLAG | KL_SETF_CONFIG, .offset = KL_SET_AT(addons), .arg = "A,B",
 *     .help = "...", .example = "dashboard", .validate = check_addons },
 * then read it from the struct in start (never from ctx->args or config.json).
 */
#ifndef KL_SETTINGS_H
#define KL_SETTINGS_H

#include <stddef.h>

#include <jansson.h>

#include "kubelaunch/args.h"
#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

enum kl_set_type {
	KL_SET_STRING,   /* one non-empty line: char * */
	KL_SET_ENUM,     /* one of `allowed`: char * */
	KL_SET_INT,      /* a whole number in [min, max]: int */
	KL_SET_SIZE,     /* 4096, 4g, 4GiB, stored as MiB in [min, max]: long long */
	KL_SET_DURATION, /* 90s, 6m, 1h30m, stored as ms in [min, max]: long long */
	KL_SET_BOOL,     /* true or false: int */
	KL_SET_VERSION,  /* stable, latest or vX.Y.Z: char * */
	KL_SET_URL,      /* file:///, http://, https://: char * */
	KL_SET_PROFILE,  /* a DNS-1123 label: char * */
	KL_SET_PATH,     /* a path, stored absolute: char * */
	KL_SET_LIST,     /* comma separated, or repeated: char ** (NULL-terminated) */
};

enum {
	KL_SETF_FLAG = 1 << 0,   /* a flag of start */
	KL_SETF_CONFIG = 1 << 1, /* a key of `config set` (a default for start) */
	KL_SETF_SAVED = 1 << 2,  /* kept in the profile as `field`: a restart keeps it */
	KL_SETF_SHAPE = 1 << 3,  /* the machine's shape: fixed once the profile exists */
};

/* What a validator may look at besides the value. */
struct kl_set_env {
	const char *home; /* $KUBELAUNCH_HOME, or NULL */
};

struct kl_setting {
	const char *name;   /* the flag without "--", and the config key */
	enum kl_set_type type;
	unsigned flags;     /* KL_SETF_* */
	size_t offset;      /* of its member in struct kl_settings (KL_SET_AT) */
	const char *field;  /* its key in the profile's config.json (KL_SETF_SAVED) */
	const char *arg;    /* the value's placeholder in help */
	const char *help;
	const char *def;    /* the default as a user would type it, or NULL */
	const char *shown;  /* the default shown in help when not `def` (computed ones) */
	const char *example;/* a valid value other than the default (help and the tests) */
	const char *const *allowed; /* KL_SET_ENUM */
	long long min, max; /* KL_SET_INT, SIZE, DURATION; max 0: no upper bound */
	char short_name;
	/* A default computed at run time (NULL: `def`); a new reference. */
	json_t *(*compute)(void);
	/* A check the type cannot express; may normalise *v. 0, or -1 with `why` filled
	 * ("the host has 2 CPUs") and *reason set when not USAGE_VALUE (RSRC_*). */
	int (*validate)(json_t **v, const struct kl_set_env *env, enum kl_reason *reason, char *why, size_t n);
};

/* Everything start reads, typed. Strings and lists are owned (kl_settings_release). */
struct kl_settings {
	char *driver;
	int cpus;
	long long memory_mib, disk_mib;
	char *iso_url, *kubernetes_version, *container_runtime;
	int apiserver_port;
	char *libvirt_uri, *ssh_ip_address, *ssh_user, *ssh_key;
	int ssh_port;
	char *binary_mirror, *image_bundle, *image_repository;
	int preload;
	char **extra_config;
	char *feature_gates;
	char **apiserver_ips, **apiserver_names;
	long long cert_expiration_ms;
	int embed_certs, keep_context;
	char *dns_upstream;
	char **wait;
	long long wait_timeout_ms;
	char *network, *cni;
	int no_kubernetes;
	char *profile;
	/* Every decoded value by setting name, as stored (sizes in MiB, durations in ms). */
	json_t *values;
};

#define KL_SET_AT(member) offsetof(struct kl_settings, member)

/* The table, ending with a row whose name is NULL. */
extern const struct kl_setting kl_settings_table[];

const struct kl_setting *kl_setting_find(const char *name);
/* The error for a key that does not exist, with a "did you mean" (CONFIG_UNKNOWN_KEY). */
int kl_setting_unknown(const char *name, struct kl_err *err);

/* A value as a user types it (a flag, `config set`) into its stored JSON (new
 * reference). `label` names where it came from in the error, quoted: "'--cpus'". */
int kl_setting_parse(const struct kl_setting *s, const char *text, const char *label,
		     const struct kl_set_env *env, json_t **out, struct kl_err *err);
/* A value read from a file: its stored JSON type, or a string as typed; the same checks. */
int kl_setting_check(const struct kl_setting *s, json_t *v, const char *label, const struct kl_set_env *env,
		     json_t **out, struct kl_err *err);
/* A stored value as a user would type it ("4GiB", "6m", "a,b"). */
void kl_setting_format(const struct kl_setting *s, json_t *v, struct kl_strbuf *sb);

/* The option rows of the settings that are flags, then `extra`, into dst (n rows,
 * the last left as the end marker). For a command's option table. */
void kl_settings_opts(struct kl_opt *dst, size_t n, const struct kl_opt *extra);

struct kl_settings_src {
	const struct kl_args *flags; /* start's flags, or NULL */
	json_t *profile;             /* an existing profile's config.json, or NULL */
	const char *profile_name;
	json_t *config;              /* the user's defaults (config.json), or NULL */
	const char *config_path;
	struct kl_set_env env;
	/* A flag an existing profile overrides (its shape): called with the setting. */
	void (*kept)(void *data, const struct kl_setting *s);
	void *data;
};

/* Each setting from the first that has it: a flag, the existing profile (saved ones),
 * config.json (config keys), the default; each value checked by its row, and an error
 * names the source that gave it. */
int kl_settings_decode(struct kl_settings *out, const struct kl_settings_src *src, struct kl_err *err);
void kl_settings_release(struct kl_settings *s);
/* Set the saved settings' fields in a profile's config.json. */
void kl_settings_save(const struct kl_settings *s, json_t *profile);

/* This host's memory in MiB (0 when it cannot be read): the limit of --memory, and what
 * the none driver's cluster has. */
long long kl_host_memory_mib(void);

#endif
