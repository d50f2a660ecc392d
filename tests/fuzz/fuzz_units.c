/*
 * fuzz_units.c: the parsers of what users type (src/util/units.c): sizes, durations,
 * whole numbers, versions, and the edit distance behind "did you mean".
 * Input: one or two strings separated by a NUL byte.
 * Invariants: a size in [0, 2^40] MiB that formats and parses back to itself; a
 * duration that is not negative; a whole number in its range that prints and parses
 * back; a version that is accepted only as written canonically ("v1.34.2" or
 * "1.34.2": no sign, space, leading zero or overflow), as it goes into URLs; the
 * edit distance is
 * symmetric, 0 only for equal words and at most the longer length.
 */
#include "kubelaunch/err.h"
#include "kubelaunch/units.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *s[2] = { "", "" }, text[64];
	struct kl_err err;
	struct kl_version v, w;
	long long n, m;

	kl_fuzz_split(data, size, s, 2, &buf);

	if (kl_parse_size_mib(s[0], &n, &err) == 0) {
		KL_FUZZ_CHECK(n >= 0 && n <= 1LL << 40);
		kl_format_size_mib(n, text, sizeof(text));
		KL_FUZZ_CHECK(kl_parse_size_mib(text, &m, &err) == 0 && m == n);
	}
	if (kl_parse_duration_ms(s[0], &n, &err) == 0)
		KL_FUZZ_CHECK(n >= 0);
	if (kl_parse_int(s[0], -1000, 1LL << 40, &n) == 0) {
		KL_FUZZ_CHECK(n >= -1000 && n <= 1LL << 40);
		snprintf(text, sizeof(text), "%lld", n);
		KL_FUZZ_CHECK(kl_parse_int(text, -1000, 1LL << 40, &m) == 0 && m == n);
	}
	if (kl_version_parse(s[0], &v) == 0) {
		KL_FUZZ_CHECK(kl_version_cmp(&v, &v) == 0);
		snprintf(text, sizeof(text), "v%d.%d.%d", v.major, v.minor, v.patch);
		KL_FUZZ_CHECK(strcmp(text + 1, s[0] + (s[0][0] == 'v')) == 0);
		KL_FUZZ_CHECK(kl_version_parse(text, &w) == 0 && kl_version_cmp(&v, &w) == 0);
	}
	/* The words "did you mean" compares are names and flags: keep them short. */
	if (strlen(s[0]) <= 64 && strlen(s[1]) <= 64) {
		size_t d = kl_levenshtein(s[0], s[1]), la = strlen(s[0]), lb = strlen(s[1]);
		struct kl_suggest sg;

		KL_FUZZ_CHECK(d == kl_levenshtein(s[1], s[0]));
		KL_FUZZ_CHECK((d == 0) == (strcmp(s[0], s[1]) == 0));
		KL_FUZZ_CHECK(d <= (la > lb ? la : lb));
		kl_suggest_init(&sg, s[0]);
		kl_suggest_try(&sg, s[1]);
		KL_FUZZ_CHECK(sg.best == NULL || sg.best == s[1]);
	}
	free(buf);
	return 0;
}
