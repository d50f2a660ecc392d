/* err.h: errors are returned, not printed. */
#ifndef KL_ERR_H
#define KL_ERR_H

#include "kubelaunch/reasons.h"

struct kl_err {
	enum kl_reason reason;
	char msg[1024];
};

/* Fill err (when non-NULL) and return -1, so call sites read `return kl_err_set(...)`. */
int kl_err_set(struct kl_err *err, enum kl_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "cannot start 'x': <old message>". Returns -1. */
int kl_err_wrap(struct kl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like kl_err_set with strerror(errno) appended after ": ". */
int kl_err_errno(struct kl_err *err, enum kl_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void kl_err_clear(struct kl_err *err);

const char *kl_reason_id(enum kl_reason r);
int kl_reason_exit(enum kl_reason r);
const char *kl_reason_advice(enum kl_reason r);

#endif
