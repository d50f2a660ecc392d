/*
 * fuzz_config.c: the user's defaults, $KUBELAUNCH_HOME/config/config.json, as start and
 * `config view` read them: kl_config_load, then the settings table's decoding
 * (kl_settings_decode, the file as the only source) and kl_setting_format.
 * Input: the file's bytes.
 * Invariants: the file loads exactly when it is one JSON object without duplicate
 * keys, else CONFIG_CORRUPT; a decode that fails says so and is the file's fault
 * (CONFIG_CORRUPT, DRIVER_NOT_FOUND, RSRC_* ...), never a usage error (exit 14); a decoded
 * value formats as text that `config set` takes back to the same value.
 */
#include "kubelaunch/config.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/settings.h"

#include "fuzz.h"
#include "fuzz_home.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *home = kl_fuzz_home();
	char *path = kl_config_path(home);
	struct kl_settings_src src = { .config_path = path, .env = { .home = home } };
	struct kl_settings set;
	struct kl_err err = { 0 };
	json_t *cfg = NULL, *direct, *v;
	json_error_t jerr;
	const char *name;

	kl_fuzz_write(path, data, size);
	direct = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (kl_config_load(home, &cfg, &err) != 0) {
		KL_FUZZ_CHECK(err.reason == KL_R_CONFIG_CORRUPT && err.msg[0]);
		KL_FUZZ_CHECK(!json_is_object(direct));
		goto out;
	}
	KL_FUZZ_CHECK(json_is_object(direct) && json_equal(direct, cfg));

	/* config view: every key, known or not, whatever its JSON type. */
	json_object_foreach(cfg, name, v) {
		struct kl_strbuf sb = KL_STRBUF_INIT;

		kl_setting_format(kl_setting_find(name), v, &sb);
		kl_strbuf_release(&sb);
	}

	src.config = cfg;
	if (kl_settings_decode(&set, &src, &err) != 0) {
		KL_FUZZ_CHECK(err.msg[0] != '\0');
		/* The file's fault is not a usage error (exit 14) of the command, nor a bug. */
		KL_FUZZ_CHECK(kl_reason_exit(err.reason) != kl_reason_exit(KL_R_USAGE) && err.reason != KL_R_PROGRAM);
		goto out;
	}
	for (const struct kl_setting *s = kl_settings_table; s->name; s++) {
		json_t *got = json_object_get(set.values, s->name);

		if (got && (s->flags & KL_SETF_CONFIG) && json_object_get(cfg, s->name))
			kl_fuzz_round_trip(s, got, &src.env);
	}
	kl_settings_release(&set);
out:
	json_decref(direct);
	json_decref(cfg);
	free(path);
	return 0;
}
