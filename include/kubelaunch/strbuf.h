/* strbuf.h: growable strings (git's rules: buf is never NULL, always terminated). */
#ifndef KL_STRBUF_H
#define KL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct kl_strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char kl_strbuf_slopbuf[];
#define KL_STRBUF_INIT { 0, 0, kl_strbuf_slopbuf }

void kl_strbuf_init(struct kl_strbuf *sb, size_t hint);
void kl_strbuf_release(struct kl_strbuf *sb);
char *kl_strbuf_detach(struct kl_strbuf *sb, size_t *len);
void kl_strbuf_grow(struct kl_strbuf *sb, size_t extra);
void kl_strbuf_reset(struct kl_strbuf *sb);
void kl_strbuf_setlen(struct kl_strbuf *sb, size_t len);
void kl_strbuf_add(struct kl_strbuf *sb, const void *data, size_t len);
void kl_strbuf_addstr(struct kl_strbuf *sb, const char *s);
void kl_strbuf_addch(struct kl_strbuf *sb, int c);
void kl_strbuf_addf(struct kl_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kl_strbuf_vaddf(struct kl_strbuf *sb, const char *fmt, va_list ap);
void kl_strbuf_rtrim(struct kl_strbuf *sb);
/* Append s escaped for XML text and attribute values (&, <, >, ', "). */
void kl_strbuf_add_xml_escaped(struct kl_strbuf *sb, const char *s);
/* Append s as it may be shown: valid UTF-8 without control characters (newline and
 * tab kept); anything else as \xNN. For a terminal and for JSON alike. */
void kl_strbuf_add_printable(struct kl_strbuf *sb, const char *s);
/* Append s quoted for a POSIX shell: 'it'\''s'. */
void kl_strbuf_add_shquoted(struct kl_strbuf *sb, const char *s);

#endif
