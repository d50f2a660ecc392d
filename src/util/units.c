/* units.c: sizes, durations, whole numbers, versions, edit distance. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

int
kl_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
kl_parse_size_mib(const char *s, long long *mib, struct kl_err *err)
{
	static const struct {
		const char *suffix;
		long long num, den; /* value * num / den MiB */
	} units[] = {
		{ "", 1, 1 },
		{ "b", 1, 1024 * 1024 },
		{ "k", 1, 1024 }, { "kb", 1, 1024 }, { "kib", 1, 1024 },
		{ "m", 1, 1 }, { "mb", 1, 1 }, { "mib", 1, 1 },
		{ "g", 1024, 1 }, { "gb", 1024, 1 }, { "gib", 1024, 1 },
		{ "t", 1024 * 1024, 1 }, { "tb", 1024 * 1024, 1 }, { "tib", 1024 * 1024, 1 },
	};
	char *end;
	long long v;
	size_t i;

	if (s == NULL || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		goto bad;
	for (i = 0; i < KL_ARRAY_SIZE(units); i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (v > (1LL << 40) / units[i].num)
			goto bad;
		if (units[i].den > 1 && v % units[i].den != 0)
			goto bad;
		*mib = v * units[i].num / units[i].den;
		return 0;
	}
bad:
	return kl_err_set(err, KL_R_USAGE_VALUE,
			  "invalid size '%s': use a number of MiB or a unit, such as 4096, 4g or 4GiB",
			  s ? s : "");
}

void
kl_format_size_mib(long long mib, char *buf, size_t len)
{
	if (mib != 0 && mib % (1024 * 1024) == 0)
		snprintf(buf, len, "%lldTiB", mib / (1024 * 1024));
	else if (mib != 0 && mib % 1024 == 0)
		snprintf(buf, len, "%lldGiB", mib / 1024);
	else
		snprintf(buf, len, "%lldMiB", mib);
}

int
kl_parse_duration_ms(const char *s, long long *ms, struct kl_err *err)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	const char *p = s;
	long long total = 0;

	if (s == NULL || *s == '\0')
		goto bad;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		char *end;
		long long v;
		size_t i, best = 0, bestlen = 0;

		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v > 1000000000LL)
			goto bad;
		for (i = 0; i < KL_ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);
			if (strncmp(end, units[i].unit, n) == 0 && n > bestlen &&
			    !(n == 1 && end[0] == 'm' && end[1] == 's')) {
				best = i;
				bestlen = n;
			}
		}
		if (bestlen == 0)
			goto bad;
		total += v * units[best].ms;
		p = end + bestlen;
	}
	*ms = total;
	return 0;
bad:
	return kl_err_set(err, KL_R_USAGE_VALUE,
			  "invalid duration '%s': use a number with a unit, such as 90s, 6m or 1h30m",
			  s ? s : "");
}

/* One number of a version: 1 to 9 decimal digits, no sign, no leading zero. */
static const char *
version_number(const char *s, int *out)
{
	int n = 0, digits = 0;

	while (isdigit((unsigned char)s[digits])) {
		if (digits == 9)
			return NULL;
		n = n * 10 + (s[digits++] - '0');
	}
	if (digits == 0 || (digits > 1 && s[0] == '0'))
		return NULL;
	*out = n;
	return s + digits;
}

/* Only the canonical form is a version (it goes into paths and URLs as typed):
 * "1.4.+2", "1. 4.2", "1.04.2" and numbers past an int are not. */
int
kl_version_parse(const char *s, struct kl_version *v)
{
	if (s == NULL)
		return -1;
	if (*s == 'v')
		s++;
	if ((s = version_number(s, &v->major)) == NULL || *s++ != '.' ||
	    (s = version_number(s, &v->minor)) == NULL || *s++ != '.' ||
	    (s = version_number(s, &v->patch)) == NULL || *s != '\0')
		return -1;
	return 0;
}

int
kl_version_cmp(const struct kl_version *a, const struct kl_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

size_t
kl_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, d;

	row = kl_xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

void
kl_suggest_init(struct kl_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->bestd = strlen(word) < 4 ? 2 : 3; /* the distance must stay below this */
}

void
kl_suggest_try(struct kl_suggest *s, const char *candidate)
{
	size_t n = strlen(s->word);
	/* A prefix of a name is a near miss, never a match (no prefix matching). */
	size_t d = n >= 2 && strncmp(candidate, s->word, n) == 0 ? 1 : kl_levenshtein(s->word, candidate);

	if (d < s->bestd) {
		s->bestd = d;
		s->best = candidate;
	}
}
