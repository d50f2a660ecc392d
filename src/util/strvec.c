/* strvec.c: growable NULL-terminated string arrays. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"

static void
push_owned(struct kl_strvec *sv, char *s)
{
	sv->v = kl_xrealloc(sv->v, (sv->n + 2) * sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
kl_strvec_push(struct kl_strvec *sv, const char *s)
{
	push_owned(sv, kl_xstrdup(s));
}

void
kl_strvec_pushf(struct kl_strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	push_owned(sv, s);
}

void
kl_strvec_clear(struct kl_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

const char *const *
kl_strvec_argv(const struct kl_strvec *sv)
{
	static const char *const empty[] = { NULL };

	return sv->v ? (const char *const *)sv->v : empty;
}

void
kl_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
