/*
 * fuzz.h: what the fuzz targets share.
 *
 * Each tests/fuzz/fuzz_<name>.c is one libFuzzer target: it defines
 * LLVMFuzzerTestOneInput and checks, besides "no crash, no leak, no undefined
 * behaviour", the invariants its code promises (a value that parses formats back to
 * itself, a merged kubeconfig parses again ...). `make fuzz` builds them with clang's
 * -fsanitize=fuzzer,address,undefined; replay.c links the same file with the normal
 * compiler so that `make test` replays tests/fuzz/corpus/<name> and
 * tests/fuzz/regressions/<name> without clang (tests/t/t0050-fuzz-replay.sh).
 */
#ifndef KL_FUZZ_H
#define KL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then abort (a crash to libFuzzer and to the replay). */
#define KL_FUZZ_CHECK(cond)                                                              \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* The input as a C string: a NUL-terminated copy (an embedded NUL ends it early). */
static inline char *
kl_fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Split the input on NUL bytes into at most `max` NUL-terminated strings, all in one
 * allocation (*buf, the caller frees it); returns the count. */
static inline int
kl_fuzz_split(const uint8_t *data, size_t size, char **out, int max, char **buf)
{
	char *s = kl_fuzz_cstr(data, size);
	int n = 0;

	for (size_t i = 0; n < max && i <= size;) {
		out[n++] = s + i;
		i += strlen(s + i) + 1;
	}
	*buf = s;
	return n;
}

#endif
