/* err.c: the reason table and the error helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kubelaunch/err.h"

static const struct {
	const char *id;
	int code;
	const char *advice;
} reasons[] = {
#define KL_REASON_ROW(sym, id, code, advice) { id, code, advice },
	KL_REASON_MAP(KL_REASON_ROW)
#undef KL_REASON_ROW
};

const char *
kl_reason_id(enum kl_reason r)
{
	return r < KL_R__COUNT ? reasons[r].id : "UNKNOWN";
}

int
kl_reason_exit(enum kl_reason r)
{
	return r < KL_R__COUNT ? reasons[r].code : 1;
}

const char *
kl_reason_advice(enum kl_reason r)
{
	return r < KL_R__COUNT ? reasons[r].advice : "";
}

int
kl_err_set(struct kl_err *err, enum kl_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
kl_err_errno(struct kl_err *err, enum kl_reason reason, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (err == NULL)
		return -1;
	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int
kl_err_wrap(struct kl_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	va_list ap;
	size_t n;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
	return -1;
}

void
kl_err_clear(struct kl_err *err)
{
	if (err == NULL)
		return;
	err->reason = KL_R_GENERIC;
	err->msg[0] = '\0';
}
