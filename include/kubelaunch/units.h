/* units.h: sizes, durations and versions as users type them. */
#ifndef KL_UNITS_H
#define KL_UNITS_H

#include <stddef.h>

#include "kubelaunch/err.h"

/* "4096" (MiB), "4g", "4G", "4GB", "4GiB", "512m", "512MiB", "2048mb", "1t".
 * Result in MiB. */
int kl_parse_size_mib(const char *s, long long *mib, struct kl_err *err);
/* Render MiB as the shortest exact form: 4096 -> "4GiB", 1536 -> "1536MiB". */
void kl_format_size_mib(long long mib, char *buf, size_t len);
/* "90s", "6m", "1h30m", "250ms", "0"; result in milliseconds. */
int kl_parse_duration_ms(const char *s, long long *ms, struct kl_err *err);
/* Strictly a whole decimal number in [min, max]. */
int kl_parse_int(const char *s, long long min, long long max, long long *out);

/* Kubernetes version "v1.34.2" or "1.34.2" -> major, minor, patch. */
struct kl_version {
	int major, minor, patch;
};
int kl_version_parse(const char *s, struct kl_version *v);
int kl_version_cmp(const struct kl_version *a, const struct kl_version *b);

/* Edit distance, for "did you mean". */
size_t kl_levenshtein(const char *a, const char *b);

/* "did you mean": feed candidates, read .best (NULL when nothing is close). */
struct kl_suggest {
	const char *word;
	const char *best;
	size_t bestd;
};
void kl_suggest_init(struct kl_suggest *s, const char *word);
void kl_suggest_try(struct kl_suggest *s, const char *candidate);

#endif
