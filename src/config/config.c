/* config.c: the user's defaults in $KUBELAUNCH_HOME/config/config.json; their types and
 * checks are the settings table's (src/cmd/settings.c). */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/config.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/xalloc.h"

char *
kl_config_path(const char *home)
{
	return kl_xasprintf("%s/config/config.json", home);
}

int
kl_config_load(const char *home, json_t **cfg, struct kl_err *err)
{
	char *path = kl_config_path(home);
	int rc = kl_json_load_file(path, 1, cfg, err);

	free(path);
	return rc;
}

int
kl_config_update(const char *home, const char *name, json_t *v, struct kl_err *err)
{
	char *path = NULL, *lockpath = NULL;
	json_t *cfg = NULL;
	int fd = -1, rc = -1;

	path = kl_config_path(home);
	lockpath = kl_xasprintf("%s.lock", path);
	fd = kl_lock(lockpath, 1, 30000, err);
	if (fd < 0)
		goto out;
	if (kl_json_load_file(path, 1, &cfg, err) != 0)
		goto out;
	if (v)
		json_object_set(cfg, name, v);
	else
		json_object_del(cfg, name);
	rc = kl_json_save_file(path, cfg, 0644, err);
out:
	kl_unlock(fd);
	json_decref(cfg);
	free(lockpath);
	free(path);
	return rc;
}
