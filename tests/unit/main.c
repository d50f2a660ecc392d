/* main.c: run every registered unit test; "ok N - name", then "N passed, N failed, N skipped". */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static struct kl_unit_test *head, **tail = &head;
int kl_unit_failed_checks;
static char tmpdir[64];
/* The running test's skip: its reason, and why it may skip in CI (or NULL). */
static char skip_why[256];
static const char *skip_ci_reason;

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

void
kl_unit_skip(const char *ci_reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_why, sizeof(skip_why), fmt, ap);
	va_end(ap);
	skip_ci_reason = ci_reason;
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
	const char *ci = getenv("CI");
	int n = 0, passed = 0, failed = 0, skipped = 0, in_ci = ci && strcmp(ci, "true") == 0;

	for (struct kl_unit_test *t = head; t; t = t->next) {
		int before = kl_unit_failed_checks;

		if (argc > 1 && strstr(t->name, argv[1]) == NULL)
			continue;
		skip_why[0] = '\0';
		skip_ci_reason = NULL;
		t->fn();
		n++;
		if (kl_unit_failed_checks != before) {
			failed++;
			printf("not ok %d - unit/%s\n", n, t->name);
		} else if (skip_why[0] && in_ci && skip_ci_reason == NULL) {
			failed++;
			printf("not ok %d - unit/%s # skipped in CI, which must run it: %s\n", n, t->name,
			       skip_why);
		} else if (skip_why[0]) {
			skipped++;
			printf("ok %d - unit/%s # skip %s%s%s\n", n, t->name, skip_why,
			       skip_ci_reason ? "; " : "", skip_ci_reason ? skip_ci_reason : "");
		} else {
			passed++;
			printf("ok %d - unit/%s\n", n, t->name);
		}
	}
	if (tmpdir[0])
		kl_remove_tree(tmpdir, NULL);
	printf("# unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
