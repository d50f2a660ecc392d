/* fuzz_home.h: for the targets that read a $KUBELAUNCH_HOME's files and decode the
 * settings they hold: a private home, writing its files, and the settings' round trip. */
#ifndef KL_FUZZ_HOME_H
#define KL_FUZZ_HOME_H

#include "kubelaunch/fs.h"
#include "kubelaunch/settings.h"

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

/* A decoded value formats as text (config view, --help) that parses back to itself. */
static void
kl_fuzz_round_trip(const struct kl_setting *s, json_t *got, const struct kl_set_env *env)
{
	struct kl_strbuf text = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	json_t *back = NULL;

	kl_setting_format(s, got, &text);
	if (kl_setting_parse(s, text.buf, "fuzz", env, &back, &err) != 0) {
		fprintf(stderr, "'%s': formatted as '%s', refused: %s\n", s->name, text.buf, err.msg);
		KL_FUZZ_CHECK(!"a decoded value formats as text that parses back");
	}
	KL_FUZZ_CHECK(json_equal(back, got));
	json_decref(back);
	kl_strbuf_release(&text);
}

#endif
