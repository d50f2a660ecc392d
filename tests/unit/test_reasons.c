/* The reason table: IDs unique and well-formed, exit codes in their families. */
#include <ctype.h>

#include "kubelaunch/err.h"
#include "unit.h"

/* REFERENCE.md's families: the ID's prefix decides the decade. */
static const struct {
	const char *prefix;
	int lo, hi;
} families[] = {
	{ "GENERIC", 1, 1 },        { "INTERRUPTED", 2, 2 }, { "PROGRAM", 10, 19 },
	{ "USAGE", 14, 14 },        { "PROFILE", 14, 14 },   { "CONFIG", 14, 18 },
	{ "RSRC", 20, 29 },         { "HOST", 30, 39 },      { "INET", 40, 49 },
	{ "DRIVER", 50, 59 },       { "PROVIDER", 60, 69 },  { "NET", 70, 79 },
	{ "GUEST", 80, 89 },        { "RUNTIME", 90, 99 },   { "K8S", 100, 109 },
	{ "SVC", 110, 119 },
};

KL_TEST(reason_exit_codes_in_family)
{
	for (int r = 0; r < KL_R__COUNT; r++) {
		const char *id = kl_reason_id(r);
		int code = kl_reason_exit(r), found = 0;

		for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
			size_t n = strlen(families[f].prefix);
			if (strncmp(id, families[f].prefix, n) != 0 || (id[n] != '_' && id[n] != '\0'))
				continue;
			found = 1;
			if (code < families[f].lo || code > families[f].hi)
				kl_unit_fail(__FILE__, __LINE__, "%s exits %d, outside %d-%d", id, code,
					     families[f].lo, families[f].hi);
		}
		if (!found)
			kl_unit_fail(__FILE__, __LINE__, "%s has no family", id);
		/* 3..7 belong to status's bitmask. */
		CHECK(code < 3 || code > 7);
	}
}

KL_TEST(reason_ids_unique_and_advised)
{
	for (int a = 0; a < KL_R__COUNT; a++) {
		const char *id = kl_reason_id(a);

		for (const char *p = id; *p; p++)
			CHECK(isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
		CHECK(strlen(kl_reason_advice(a)) > 10);
		CHECK(strchr(kl_reason_advice(a), '\n') == NULL);
		for (int b = a + 1; b < KL_R__COUNT; b++)
			if (strcmp(id, kl_reason_id(b)) == 0)
				kl_unit_fail(__FILE__, __LINE__, "duplicate reason ID %s", id);
	}
}

KL_TEST(err_set_and_wrap)
{
	struct kl_err err;

	CHECK_INT(kl_err_set(&err, KL_R_GUEST_SSH, "cannot reach '%s'", "dev"), -1);
	CHECK_INT(kl_err_wrap(&err, "cannot start '%s'", "dev"), -1);
	CHECK_STR(err.msg, "cannot start 'dev': cannot reach 'dev'");
	CHECK_INT(kl_reason_exit(err.reason), 83);
	CHECK_INT(kl_err_set(NULL, KL_R_GENERIC, "x"), -1);
}
