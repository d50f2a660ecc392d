/* xalloc.h: allocation that aborts on failure (a CLI gains nothing from OOM paths). */
#ifndef KL_XALLOC_H
#define KL_XALLOC_H

#include <stddef.h>

void *kl_xmalloc(size_t n);
void *kl_xcalloc(size_t n, size_t size);
void *kl_xrealloc(void *p, size_t n);
char *kl_xstrdup(const char *s);
char *kl_xstrndup(const char *s, size_t n);
char *kl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipe then free a secret. */
void kl_free_secret(void *p, size_t n);

#define KL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
