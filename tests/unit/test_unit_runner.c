/*
 * The runner's own skip rules, driven by tests/t/t0001-test-lib.sh: with
 * KL_UNIT_SELFTEST=1, runner_skip_without_ci_reason skips with no reason for CI
 * (a failure when CI=true) and runner_skip_with_ci_reason with one (a skip anywhere).
 */
#include <stdlib.h>

#include "unit.h"

static int
selftest(void)
{
	const char *v = getenv("KL_UNIT_SELFTEST");

	if (v && strcmp(v, "1") == 0)
		return 1;
	kl_unit_skip("a check of the runner: tests/t/t0001-test-lib.sh drives it", "KL_UNIT_SELFTEST is not set");
	return 0;
}

KL_TEST(runner_skip_without_ci_reason)
{
	if (selftest())
		kl_unit_skip(NULL, "a prerequisite is missing");
}

KL_TEST(runner_skip_with_ci_reason)
{
	if (selftest())
		kl_unit_skip("it runs elsewhere", "a prerequisite is missing");
}
