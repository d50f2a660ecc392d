/* profile.c: load and save a profile's config.json. */
#include <errno.h>
#include <stdlib.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/json.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/profile.h"
#include "kubelaunch/xalloc.h"

int
kl_profile_load(const char *home, const char *name, struct kl_profile *p, struct kl_err *err)
{
	char *path = kl_home_path(home, KL_HOME_PROFILES, name, KL_HOME_CONFIG_JSON, NULL);
	int rc;

	p->name = kl_xstrdup(name);
	p->cfg = NULL;
	rc = kl_json_load_file(path, 0, &p->cfg, err);
	if (rc != 0 && errno == ENOENT && err->reason != KL_R_CONFIG_CORRUPT)
		kl_err_set(err, KL_R_GUEST_NOT_FOUND, "profile '%s' not found", name);
	free(path);
	return rc;
}

int
kl_profile_save(const char *home, const struct kl_profile *p, struct kl_err *err)
{
	char *dir = kl_profile_dir(home, p->name);
	char *path = kl_xasprintf("%s/" KL_HOME_CONFIG_JSON, dir);
	int rc = -1;

	if (kl_mkdir_p(dir, 0755, err) == 0) {
		json_object_set_new(p->cfg, "Name", json_string(p->name));
		rc = kl_json_save_file(path, p->cfg, 0644, err);
	}
	free(path);
	free(dir);
	return rc;
}

void
kl_profile_release(struct kl_profile *p)
{
	free(p->name);
	json_decref(p->cfg);
	p->name = NULL;
	p->cfg = NULL;
}

const char *
kl_profile_str(const struct kl_profile *p, const char *key, const char *def)
{
	const char *v = kl_json_str(p->cfg, key);

	return v ? v : def;
}

long long
kl_profile_int(const struct kl_profile *p, const char *key, long long def)
{
	return kl_json_int(p->cfg, key, def);
}
