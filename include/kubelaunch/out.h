/* out.h: what the user sees: step lines, notes, warnings, JSON events. */
#ifndef KL_OUT_H
#define KL_OUT_H

#include <stdio.h>

#include "kubelaunch/err.h"

struct kl_out {
	FILE *fp;    /* stdout */
	FILE *errfp; /* stderr */
	int json;    /* one JSON object per line (-o json) */
	int emoji;   /* icons: a terminal and no --no-emoji */
	const char *command; /* the command running: fills "<command>" in advice */
};

/* Leaves out->command as it was (zero-initialise the struct first). */
void kl_out_init(struct kl_out *out, FILE *fp, FILE *errfp, int json, int no_emoji);
/* A numbered step: "😄  Creating qemu machine ..." / "* Creating ..." / an io.kubelaunch.step. */
void kl_out_step(struct kl_out *out, int current, int total, const char *name, const char *icon,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A plain note (io.kubelaunch.info). */
void kl_out_info(struct kl_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning on stderr (io.kubelaunch.warning). */
void kl_out_warn(struct kl_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The final error: "error: MSG" and "advice: ..." on stderr, or an io.kubelaunch.error.
 * Every message shown is printable UTF-8 (kl_strbuf_add_printable). */
void kl_out_error(struct kl_out *out, const struct kl_err *err);

#endif
