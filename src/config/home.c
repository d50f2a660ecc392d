/* home.c: $KUBELAUNCH_HOME, profile names, profile directories and locks. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/xalloc.h"

char *
kl_home_resolve(struct kl_err *err)
{
	const char *h = getenv("KUBELAUNCH_HOME");

	if (h && *h)
		return kl_xstrdup(h);
	h = getenv("HOME");
	if (h == NULL || *h == '\0') {
		kl_err_set(err, KL_R_HOST_HOME, "cannot find the home directory: HOME is not set");
		return NULL;
	}
	return kl_xasprintf("%s/.kubelaunch", h);
}

int
kl_home_ensure(const char *home, struct kl_err *err)
{
	static const char *const subdirs[] = { "config", "profiles", "machines", "certs", "cache", "logs" };
	int rc = 0;

	for (size_t i = 0; i < KL_ARRAY_SIZE(subdirs) && rc == 0; i++) {
		char *d = kl_xasprintf("%s/%s", home, subdirs[i]);

		if (!kl_is_dir(d) && kl_mkdir_p(d, 0755, err) != 0)
			rc = -1;
		free(d);
	}
	if (rc == 0 && access(home, W_OK) != 0)
		rc = kl_err_errno(err, KL_R_HOST_HOME, "cannot write to '%s'", home);
	if (rc != 0)
		err->reason = err->reason == KL_R_RSRC_DISK ? KL_R_RSRC_DISK : KL_R_HOST_HOME;
	return rc;
}

int
kl_profile_name_check(const char *name, struct kl_err *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && !(c == '-' && i > 0 && i < len - 1))
			goto bad;
	}
	return 0;
bad:
	return kl_err_set(err, KL_R_PROFILE_NAME,
			  "invalid profile name '%.80s%s': not a DNS-1123 label", name, len > 80 ? "..." : "");
}

char *
kl_profile_dir(const char *home, const char *name)
{
	return kl_xasprintf("%s/profiles/%s", home, name);
}

char *
kl_machine_dir(const char *home, const char *name)
{
	return kl_xasprintf("%s/machines/%s", home, name);
}

int
kl_profile_exists(const char *home, const char *name)
{
	char *p = kl_xasprintf("%s/profiles/%s/config.json", home, name);
	int ok = kl_path_exists(p);

	free(p);
	return ok;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
kl_profile_names(const char *home, char ***names, size_t *count, struct kl_err *err)
{
	char *dir = kl_xasprintf("%s/profiles", home);
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	*names = kl_xcalloc(1, sizeof(**names));
	*count = 0;
	d = opendir(dir);
	if (d == NULL) {
		int missing = errno == ENOENT;
		if (!missing)
			kl_err_errno(err, KL_R_HOST_IO, "cannot list '%s'", dir);
		free(dir);
		return missing ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || kl_profile_name_check(de->d_name, NULL) != 0)
			continue;
		if (!kl_profile_exists(home, de->d_name))
			continue;
		*names = kl_xrealloc(*names, (n + 2) * sizeof(**names));
		(*names)[n++] = kl_xstrdup(de->d_name);
		(*names)[n] = NULL;
	}
	closedir(d);
	free(dir);
	qsort(*names, n, sizeof(**names), cmp_names);
	*count = n;
	return 0;
}

int
kl_profile_lock(const char *home, const char *name, int timeout_ms, struct kl_err *err)
{
	char *path = kl_xasprintf("%s/profiles/%s.lock", home, name);
	int fd = kl_lock(path, 1, timeout_ms, err), saved = errno;

	free(path);
	errno = saved; /* EWOULDBLOCK: held by another */
	return fd;
}
