/* fuzz_home.h: a private $KUBELAUNCH_HOME for the targets that read files from one. */
#ifndef KL_FUZZ_HOME_H
#define KL_FUZZ_HOME_H

#include "kubelaunch/fs.h"

#include "fuzz.h"

static char kl_fuzz_home_dir[64];

static void
kl_fuzz_home_remove(void)
{
	kl_remove_tree(kl_fuzz_home_dir, NULL);
}

/* Made once per process, removed at exit. */
static const char *
kl_fuzz_home(void)
{
	if (kl_fuzz_home_dir[0] == '\0') {
		snprintf(kl_fuzz_home_dir, sizeof(kl_fuzz_home_dir), "/tmp/kl-fuzz-home.XXXXXX");
		if (mkdtemp(kl_fuzz_home_dir) == NULL)
			abort();
		atexit(kl_fuzz_home_remove);
	}
	return kl_fuzz_home_dir;
}

/* Write `path` (its directory made as needed) with exactly these bytes; no fsync,
 * which would make a run a hundred times slower. */
static void
kl_fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	char *dir = strdup(path);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	if (kl_mkdir_p(dir, 0700, NULL) != 0 || (f = fopen(path, "wb")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	free(dir);
}

#endif
