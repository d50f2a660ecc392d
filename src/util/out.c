/* out.c: step lines on a terminal, plain text otherwise, JSON events with -o json. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "kubelaunch/out.h"
#include "kubelaunch/strbuf.h"

void
kl_out_init(struct kl_out *out, FILE *fp, FILE *errfp, int json, int no_emoji)
{
	out->fp = fp;
	out->errfp = errfp;
	out->json = json;
	out->emoji = !json && !no_emoji && isatty(fileno(fp));
}

/* A random UUID (version 4) for the event id. */
static void
event_id(char buf[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* Print one CloudEvents-shaped line; steals `data`. */
static void
emit(FILE *fp, const char *type, json_t *data)
{
	char id[37];
	json_t *ev;

	event_id(id);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0", "id", id, "source",
		       "https://kubelaunch.io/", "type", type, "datacontenttype", "application/json",
		       "data", data);
	json_dumpf(ev, fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	fflush(fp);
	json_decref(ev);
}

/* What is shown of a message: printable, valid UTF-8 (user input and file names reach
 * messages; an escape sequence or a stray byte must not). */
static void
shown(struct kl_strbuf *dst, const char *fmt, va_list ap)
{
	struct kl_strbuf raw = KL_STRBUF_INIT;

	kl_strbuf_vaddf(&raw, fmt, ap);
	kl_strbuf_add_printable(dst, raw.buf);
	kl_strbuf_release(&raw);
}

void
kl_out_step(struct kl_out *out, int current, int total, const char *name, const char *icon,
	    const char *fmt, ...)
{
	struct kl_strbuf msg = KL_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	shown(&msg, fmt, ap);
	va_end(ap);
	if (out->json) {
		char cur[16], tot[16];

		snprintf(cur, sizeof(cur), "%d", current);
		snprintf(tot, sizeof(tot), "%d", total);
		emit(out->fp, "io.kubelaunch.step",
		     json_pack("{s:s, s:s, s:s, s:s}", "currentstep", cur, "totalsteps", tot, "name",
			       name, "message", msg.buf));
	} else if (out->emoji) {
		fprintf(out->fp, "%s  %s\n", icon ? icon : "*", msg.buf);
	} else {
		fprintf(out->fp, "* %s\n", msg.buf);
	}
	fflush(out->fp);
	kl_strbuf_release(&msg);
}

/* A note or a warning: one line with a prefix, or one event of `type`. */
static void
note(struct kl_out *out, FILE *fp, const char *type, const char *prefix, const char *fmt, va_list ap)
{
	struct kl_strbuf msg = KL_STRBUF_INIT;

	shown(&msg, fmt, ap);
	if (out->json)
		emit(out->fp, type, json_pack("{s:s}", "message", msg.buf));
	else
		fprintf(fp, "%s%s\n", prefix, msg.buf);
	kl_strbuf_release(&msg);
}

void
kl_out_info(struct kl_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(out, out->fp, "io.kubelaunch.info", out->emoji ? "💡  " : "  - ", fmt, ap);
	va_end(ap);
}

void
kl_out_warn(struct kl_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(out, out->errfp, "io.kubelaunch.warning", out->emoji ? "❗  " : "! ", fmt, ap);
	va_end(ap);
}

/* The reason's advice with "<command>" filled in. */
static void
advice(const struct kl_out *out, enum kl_reason r, struct kl_strbuf *sb)
{
	const char *a = kl_reason_advice(r), *at;

	while ((at = strstr(a, "<command>")) != NULL) {
		kl_strbuf_add(sb, a, (size_t)(at - a));
		kl_strbuf_addstr(sb, out->command ? out->command : "COMMAND");
		a = at + strlen("<command>");
	}
	kl_strbuf_addstr(sb, a);
}

void
kl_out_error(struct kl_out *out, const struct kl_err *err)
{
	struct kl_strbuf msg = KL_STRBUF_INIT, adv = KL_STRBUF_INIT;

	kl_strbuf_add_printable(&msg, err->msg);
	advice(out, err->reason, &adv);
	if (out->json) {
		char code[16];

		snprintf(code, sizeof(code), "%d", kl_reason_exit(err->reason));
		emit(out->fp, "io.kubelaunch.error",
		     json_pack("{s:s, s:s, s:s, s:s}", "name", kl_reason_id(err->reason), "exitcode",
			       code, "message", msg.buf, "advice", adv.buf));
	} else {
		fprintf(out->errfp, "error: %s [%s]\n", msg.buf, kl_reason_id(err->reason));
		fprintf(out->errfp, "advice: %s\n", adv.buf);
	}
	kl_strbuf_release(&msg);
	kl_strbuf_release(&adv);
}
