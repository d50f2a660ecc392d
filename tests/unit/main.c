/* main.c: run every registered unit test; "ok N - name", then "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static struct kl_unit_test *head, **tail = &head;
int kl_unit_failed_checks;
static char tmpdir[64];

void
kl_unit_register(struct kl_unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void
kl_unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	kl_unit_failed_checks++;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *
kl_unit_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/kl-unit.XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			abort();
	}
	return tmpdir;
}

void
kl_unit_golden(const char *name, const char *actual)
{
	const char *src = getenv("KL_SRC");
	char *path = kl_xasprintf("%s/tests/golden/%s", src ? src : ".", name);
	struct kl_strbuf want = KL_STRBUF_INIT;
	const char *regen = getenv("KL_TEST_REGENERATE");

	if (regen && strcmp(regen, "1") == 0) {
		char *dir = kl_xstrdup(path);
		*strrchr(dir, '/') = '\0';
		if (kl_mkdir_p(dir, 0755, NULL) != 0 ||
		    kl_write_file_atomic(path, actual, strlen(actual), 0644, NULL) != 0)
			kl_unit_fail(__FILE__, __LINE__, "cannot write golden file '%s'", path);
		free(dir);
	} else if (kl_read_file(path, &want, NULL) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "no golden file '%s' (KL_TEST_REGENERATE=1 writes it)", path);
	} else if (strcmp(want.buf, actual) != 0) {
		kl_unit_fail(__FILE__, __LINE__, "'%s' differs from the golden file; got:\n%s", path, actual);
	}
	kl_strbuf_release(&want);
	free(path);
}

int
main(int argc, char **argv)
{
	int n = 0, passed = 0, failed = 0;

	for (struct kl_unit_test *t = head; t; t = t->next) {
		int before = kl_unit_failed_checks;

		if (argc > 1 && strstr(t->name, argv[1]) == NULL)
			continue;
		t->fn();
		n++;
		if (kl_unit_failed_checks == before) {
			passed++;
			printf("ok %d - unit/%s\n", n, t->name);
		} else {
			failed++;
			printf("not ok %d - unit/%s\n", n, t->name);
		}
	}
	if (tmpdir[0])
		kl_remove_tree(tmpdir, NULL);
	printf("# unit: %d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
