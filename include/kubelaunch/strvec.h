/* strvec.h: a NULL-terminated, growable array of strings (an argv under construction). */
#ifndef KL_STRVEC_H
#define KL_STRVEC_H

#include <stddef.h>

struct kl_strvec {
	char **v; /* always NULL-terminated once anything was pushed */
	size_t n;
};

#define KL_STRVEC_INIT { NULL, 0 }

void kl_strvec_push(struct kl_strvec *sv, const char *s);
void kl_strvec_pushf(struct kl_strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kl_strvec_clear(struct kl_strvec *sv);
/* The array as argv (an empty vector gives a static { NULL }). */
const char *const *kl_strvec_argv(const struct kl_strvec *sv);
/* Free a NULL-terminated array of strings and the strings (NULL is fine). */
void kl_strv_free(char **v);

#endif
