/* unit.h: a small table-driven test runner for pure code. */
#ifndef KL_UNIT_H
#define KL_UNIT_H

#include <stdio.h>
#include <string.h>

struct kl_unit_test {
	const char *name;
	void (*fn)(void);
	struct kl_unit_test *next;
};

void kl_unit_register(struct kl_unit_test *t);
void kl_unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern int kl_unit_failed_checks;
/*
 * Skip the running test (return right after): it is counted and printed as skipped,
 * "ok N - unit/NAME # skip WHY". In CI (CI=true) a skip is a failure unless
 * `ci_reason` says why the test cannot run there (it runs in another test that
 * starts its peer, it is a benchmark, ...); NULL when it has no such reason.
 */
void kl_unit_skip(const char *ci_reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KL_TEST(name)                                                                  \
	static void test_##name(void);                                                     \
	static struct kl_unit_test reg_##name = { #name, test_##name, NULL };              \
	__attribute__((constructor)) static void register_##name(void)                   \
	{                                                                                  \
		kl_unit_register(&reg_##name);                                             \
	}                                                                                  \
	static void test_##name(void)

#define CHECK(cond)                                                                    \
	do {                                                                               \
		if (!(cond))                                                               \
			kl_unit_fail(__FILE__, __LINE__, "check failed: %s", #cond);       \
	} while (0)
#define CHECK_INT(got, want)                                                           \
	do {                                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);                   \
		if (g_ != w_)                                                              \
			kl_unit_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", #got, g_, w_); \
	} while (0)
#define CHECK_STR(got, want)                                                           \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0))           \
			kl_unit_fail(__FILE__, __LINE__, "%s: got '%s', want '%s'", #got,     \
				     g_ ? g_ : "(null)", w_ ? w_ : "(null)");                  \
	} while (0)

/* A temporary directory for the current test (removed at exit). */
const char *kl_unit_tmpdir(void);

#endif

/* Compare `actual` with tests/golden/<name>; KL_TEST_REGENERATE=1 rewrites the file. */
void kl_unit_golden(const char *name, const char *actual);
