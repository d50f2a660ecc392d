/* Sizes, durations, versions, whole numbers and "did you mean". */
#include "kubelaunch/units.h"
#include "unit.h"

KL_TEST(size_parse_table)
{
	static const struct {
		const char *in;
		long long mib; /* -1: rejected */
	} cases[] = {
		{ "4096", 4096 }, { "4g", 4096 },  { "4G", 4096 },   { "4GB", 4096 },
		{ "4GiB", 4096 }, { "4gib", 4096 }, { "512m", 512 },  { "512MiB", 512 },
		{ "2048mb", 2048 }, { "1t", 1048576 }, { "1048576k", 1024 }, { "0", 0 },
		{ "", -1 },       { "g", -1 },     { "4x", -1 },     { "-4g", -1 },
		{ "4 g", -1 },    { "4.5g", -1 },  { "100k", -1 },   { "99999999999999g", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_err err;
		long long mib = -1;
		int rc = kl_parse_size_mib(cases[i].in, &mib, &err);

		if (cases[i].mib < 0) {
			if (rc == 0)
				kl_unit_fail(__FILE__, __LINE__, "'%s' accepted as %lld", cases[i].in, mib);
			else
				CHECK_INT(err.reason, KL_R_USAGE_VALUE);
		} else if (rc != 0 || mib != cases[i].mib) {
			kl_unit_fail(__FILE__, __LINE__, "'%s': rc %d, %lld, want %lld", cases[i].in, rc, mib,
				     cases[i].mib);
		}
	}
}

KL_TEST(size_format)
{
	char buf[32];

	kl_format_size_mib(4096, buf, sizeof(buf));
	CHECK_STR(buf, "4GiB");
	kl_format_size_mib(1536, buf, sizeof(buf));
	CHECK_STR(buf, "1536MiB");
	kl_format_size_mib(1048576, buf, sizeof(buf));
	CHECK_STR(buf, "1TiB");
}

KL_TEST(duration_parse_table)
{
	static const struct {
		const char *in;
		long long ms;
	} cases[] = {
		{ "90s", 90000 }, { "6m", 360000 }, { "1h30m", 5400000 }, { "250ms", 250 },
		{ "0", 0 },       { "1m30s", 90000 }, { "", -1 }, { "5", -1 }, { "5x", -1 },
		{ "s", -1 },      { "-5s", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long ms = -1;
		int rc = kl_parse_duration_ms(cases[i].in, &ms, NULL);

		if (cases[i].ms < 0)
			CHECK(rc != 0);
		else if (rc != 0 || ms != cases[i].ms)
			kl_unit_fail(__FILE__, __LINE__, "'%s': rc %d, %lld", cases[i].in, rc, ms);
	}
}

KL_TEST(version_parse_and_compare)
{
	struct kl_version a, b;

	CHECK_INT(kl_version_parse("v1.34.2", &a), 0);
	CHECK_INT(a.major, 1);
	CHECK_INT(a.minor, 34);
	CHECK_INT(a.patch, 2);
	CHECK_INT(kl_version_parse("1.31.0", &b), 0);
	CHECK(kl_version_cmp(&a, &b) > 0);
	CHECK(kl_version_cmp(&b, &a) < 0);
	CHECK_INT(kl_version_cmp(&a, &a), 0);
	CHECK(kl_version_parse("v1.34", &a) != 0);
	CHECK(kl_version_parse("v1.34.2x", &a) != 0);
	/* Found by tests/fuzz/fuzz_units.c: sscanf's %d took signs, spaces and overflow. */
	CHECK(kl_version_parse("1.4.+2", &a) != 0);
	CHECK(kl_version_parse("1. 4.2", &a) != 0);
	CHECK(kl_version_parse("v1.-0.2", &a) != 0);
	CHECK(kl_version_parse("v1.04.2", &a) != 0);
	CHECK(kl_version_parse("v1.9999999999.2", &a) != 0);
	CHECK_INT(kl_version_parse("v0.0.0", &a), 0);
	CHECK_INT(kl_version_parse("v1.34.123456789", &a), 0);
	CHECK_INT(a.patch, 123456789);
	CHECK(kl_version_parse("stable", &a) != 0);
	CHECK(kl_version_parse("v-1.2.3", &a) != 0);
}

KL_TEST(parse_int_strict)
{
	long long n;

	CHECK_INT(kl_parse_int("42", 0, 100, &n), 0);
	CHECK_INT(n, 42);
	CHECK(kl_parse_int("101", 0, 100, &n) != 0);
	CHECK(kl_parse_int("4x", 0, 100, &n) != 0);
	CHECK(kl_parse_int(" 4", 0, 100, &n) != 0);
	CHECK(kl_parse_int("", 0, 100, &n) != 0);
}

KL_TEST(suggest_closest)
{
	static const char *const words[] = { "start", "status", "stop", "ssh", "config", NULL };
	struct kl_suggest s;

	kl_suggest_init(&s, "strat");
	for (const char *const *w = words; *w; w++)
		kl_suggest_try(&s, *w);
	CHECK_STR(s.best, "start");
	kl_suggest_init(&s, "xyzzy");
	for (const char *const *w = words; *w; w++)
		kl_suggest_try(&s, *w);
	CHECK_STR(s.best, NULL);
	CHECK_INT(kl_levenshtein("kitten", "sitting"), 3);
}
