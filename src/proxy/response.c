/* response.c: the API server's answer to a client's request, parsed with http-parser
 * (over HTTP/1.1; h2.c calls the same head, body and finish) and written to the client
 * as it comes: the status and end-to-end headers first, then
 * the body chunk by chunk (a watch's events as the server flushes them). The client's
 * framing is the proxy's own: chunked for an HTTP/1.1 client when the server chunked,
 * the length when the server gave one, else the body until the connection closes.
 * A 101 turns both connections into a pipe. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/log.h"
#include "proxy-int.h"

static int
on_header_field(http_parser *hp, const char *at, size_t len)
{
	return kl_px_headers_field(&((struct kl_px_client *)hp->data)->sh, at, len);
}

static int
on_header_value(http_parser *hp, const char *at, size_t len)
{
	return kl_px_headers_value(&((struct kl_px_client *)hp->data)->sh, at, len);
}

static void
add_headers(struct kl_px_client *c)
{
	const struct kl_strvec *kv = &c->sh.kv;

	for (size_t i = 0; i + 1 < kv->n; i += 2)
		if (!kl_px_hop_by_hop(kv->v[i]))
			kl_strbuf_addf(&c->out, "%s: %s\r\n", kv->v[i], kv->v[i + 1]);
}

void
kl_px_response_head(struct kl_px_client *c, int status, enum kl_px_framing f, int upgraded)
{
	int no_body = c->req.method == HTTP_HEAD || status == 204 || status == 304;
	const char *upgrade;

	kl_strbuf_addf(&c->out, "HTTP/1.1 %d %s\r\n", status, http_status_str((enum http_status)status));
	add_headers(c);
	if (status >= 100 && status < 200 && status != 101) { /* interim: pass it, wait for the answer */
		kl_strbuf_addstr(&c->out, "\r\n");
		kl_px_headers_reset(&c->sh);
		c->resp_interim = 1;
		return;
	}
	c->resp_started = 1;
	if (status == 101 && c->upgrade && upgraded) {
		upgrade = kl_px_headers_get(&c->sh, "Upgrade");
		kl_strbuf_addf(&c->out, "Connection: Upgrade\r\nUpgrade: %s\r\n\r\n", upgrade ? upgrade : "");
		return;
	}
	if (c->upgrade) /* the upgrade was refused: nothing more on this connection */
		c->resp_close = 1;
	if (!no_body && f == KL_PX_BODY_CHUNKED) {
		if (c->client_close) /* an HTTP/1.0 client: the body until the connection closes */
			c->resp_close = 1;
		else
			c->resp_chunked = 1;
	} else if (!no_body && f == KL_PX_BODY_TO_EOF) {
		c->resp_close = 1;
	}
	if (c->resp_chunked)
		kl_strbuf_addstr(&c->out, "Transfer-Encoding: chunked\r\n");
	if (c->resp_close || c->client_close)
		kl_strbuf_addstr(&c->out, "Connection: close\r\n");
	kl_strbuf_addstr(&c->out, "\r\n");
}

static int
on_headers_complete(http_parser *hp)
{
	struct kl_px_client *c = hp->data;

	kl_px_headers_end(&c->sh);
	kl_px_response_head(c, (int)hp->status_code,
			    (hp->flags & F_CHUNKED)         ? KL_PX_BODY_CHUNKED
			    : (hp->flags & F_CONTENTLENGTH) ? KL_PX_BODY_LENGTH
							    : KL_PX_BODY_TO_EOF,
			    hp->upgrade);
	return c->req.method == HTTP_HEAD && c->resp_started ? 1 : 0;
}

void
kl_px_response_body(struct kl_px_client *c, const char *data, size_t len)
{
	if (c->resp_chunked)
		kl_strbuf_addf(&c->out, "%zx\r\n", len);
	kl_strbuf_add(&c->out, data, len);
	if (c->resp_chunked)
		kl_strbuf_addstr(&c->out, "\r\n");
}

void
kl_px_response_finish(struct kl_px_client *c)
{
	if (c->resp_chunked)
		kl_strbuf_addstr(&c->out, "0\r\n\r\n");
}

static int
on_body(http_parser *hp, const char *at, size_t len)
{
	kl_px_response_body(hp->data, at, len);
	return 0;
}

static int
on_message_complete(http_parser *hp)
{
	struct kl_px_client *c = hp->data;

	if (c->resp_interim) {
		c->resp_interim = 0;
		return 0;
	}
	if (hp->upgrade)
		return 0;
	kl_px_response_finish(c);
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void
kl_px_response_init(struct kl_px_client *c)
{
	http_parser_init(&c->resp, HTTP_RESPONSE);
	c->resp.data = c;
	kl_px_headers_reset(&c->sh);
	c->resp_started = c->resp_chunked = c->resp_close = c->resp_interim = c->tunnel = 0;
}

/* The answer is complete: the connection goes back to the pool, the client on. */
static void
complete(struct kl_px_client *c, int reusable)
{
	struct kl_px_up *u = c->up;

	if (u) {
		c->up = NULL;
		kl_px_up_release(u, reusable && http_should_keep_alive(&c->resp));
	}
	kl_px_client_next(c);
}

void
kl_px_response_data(struct kl_px_client *c, const char *data, size_t len)
{
	enum http_errno e;
	size_t n;

	if (c->tunnel) {
		kl_strbuf_add(&c->out, data, len);
		return;
	}
	n = http_parser_execute(&c->resp, &settings, data, len);
	e = HTTP_PARSER_ERRNO(&c->resp);
	if (c->resp.upgrade && e == HPE_OK) {
		c->tunnel = 1;
		kl_strbuf_add(&c->out, data + n, len - n);
	} else if (e == HPE_PAUSED) {
		complete(c, n == len);
	} else if (e != HPE_OK) {
		kl_px_client_error(c, 502, "Bad Gateway", "Bad Gateway: the API server's answer cannot be parsed: %s",
				   http_errno_description(e));
	}
}

void
kl_px_response_end(struct kl_px_client *c, const char *why, int retryable)
{
	if (c->closing)
		return;
	if (c->tunnel) {
		kl_px_client_finish(c);
		return;
	}
	if (!why && c->resp_started) {
		/* A body that ends with the connection ends here. */
		http_parser_execute(&c->resp, &settings, NULL, 0);
		if (HTTP_PARSER_ERRNO(&c->resp) == HPE_PAUSED) {
			complete(c, 0);
			return;
		}
	}
	if (!c->resp_started && retryable && !c->retried && c->head.len) {
		/* A kept connection the server had closed: once more on a new one. */
		kl_debug("proxy: a kept connection to the API server closed; sending %s again", c->url.buf);
		c->retried = 1;
		kl_px_response_init(c);
		kl_px_client_restart(c);
		return;
	}
	if (!c->resp_started && !c->in_request) { /* the connection was idle: nothing to answer */
		kl_px_client_close(c);
		return;
	}
	kl_px_client_error(c, 502, "Bad Gateway", "Bad Gateway: kubelaunch proxy: the API server at %s %s",
			   c->p->sh->server, why ? why : "closed the connection before answering");
}
