/* strbuf.c: growable strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"

char kl_strbuf_slopbuf[1];

void
kl_strbuf_init(struct kl_strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = kl_strbuf_slopbuf;
	if (hint)
		kl_strbuf_grow(sb, hint);
}

void
kl_strbuf_release(struct kl_strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	kl_strbuf_init(sb, 0);
}

char *
kl_strbuf_detach(struct kl_strbuf *sb, size_t *len)
{
	char *p;

	kl_strbuf_grow(sb, 0);
	p = sb->buf;
	if (len)
		*len = sb->len;
	kl_strbuf_init(sb, 0);
	return p;
}

void
kl_strbuf_grow(struct kl_strbuf *sb, size_t extra)
{
	int fresh = sb->alloc == 0;
	size_t want = sb->len + extra + 1;

	if (want <= sb->alloc)
		return;
	if (fresh)
		sb->buf = NULL;
	if (want < sb->alloc * 2)
		want = sb->alloc * 2;
	if (want < 64)
		want = 64;
	sb->buf = kl_xrealloc(sb->buf, want);
	sb->alloc = want;
	if (fresh)
		sb->buf[0] = '\0';
}

void
kl_strbuf_reset(struct kl_strbuf *sb)
{
	kl_strbuf_setlen(sb, 0);
}

void
kl_strbuf_setlen(struct kl_strbuf *sb, size_t len)
{
	if (sb->alloc == 0)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void
kl_strbuf_add(struct kl_strbuf *sb, const void *data, size_t len)
{
	kl_strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	kl_strbuf_setlen(sb, sb->len + len);
}

void
kl_strbuf_addstr(struct kl_strbuf *sb, const char *s)
{
	kl_strbuf_add(sb, s, strlen(s));
}

void
kl_strbuf_addch(struct kl_strbuf *sb, int c)
{
	kl_strbuf_grow(sb, 1);
	sb->buf[sb->len] = (char)c;
	kl_strbuf_setlen(sb, sb->len + 1);
}

void
kl_strbuf_vaddf(struct kl_strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	kl_strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->alloc - sb->len) {
		kl_strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	kl_strbuf_setlen(sb, sb->len + (size_t)n);
}

void
kl_strbuf_addf(struct kl_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kl_strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
kl_strbuf_rtrim(struct kl_strbuf *sb)
{
	size_t n = sb->len;

	while (n > 0 && (sb->buf[n - 1] == '\n' || sb->buf[n - 1] == ' ' ||
			 sb->buf[n - 1] == '\t' || sb->buf[n - 1] == '\r'))
		n--;
	kl_strbuf_setlen(sb, n);
}

void
kl_strbuf_add_shquoted(struct kl_strbuf *sb, const char *s)
{
	kl_strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			kl_strbuf_addstr(sb, "'\\''");
		else
			kl_strbuf_addch(sb, *s);
	}
	kl_strbuf_addch(sb, '\'');
}

void
kl_strbuf_add_xml_escaped(struct kl_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': kl_strbuf_addstr(sb, "&amp;"); break;
		case '<': kl_strbuf_addstr(sb, "&lt;"); break;
		case '>': kl_strbuf_addstr(sb, "&gt;"); break;
		case '\'': kl_strbuf_addstr(sb, "&apos;"); break;
		case '"': kl_strbuf_addstr(sb, "&quot;"); break;
		default: kl_strbuf_addch(sb, *s);
		}
	}
}

/* The length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void
kl_strbuf_add_printable(struct kl_strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		/* C0 and C1 controls (ESC, CSI) would drive the terminal; bytes that are not
		 * UTF-8 would make the JSON invalid. Both are shown as \xNN. */
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f) && *p != '\n' && *p != '\t') ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			for (size_t i = 0; i < (n ? n : 1); i++)
				kl_strbuf_addf(sb, "\\x%02x", p[i]);
			p += n ? n : 1;
			continue;
		}
		kl_strbuf_add(sb, p, n);
		p += n;
	}
}
