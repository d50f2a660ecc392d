/* client.c: one client connection. Its requests are parsed (http-parser), filtered
 * (kubectl proxy's Host and path rules), and sent to an upstream connection with the
 * Host rewritten and hop-by-hop headers dropped; a body goes on as it arrives (chunk by
 * chunk for a chunked one). One request at a time: bytes of a pipelined next request
 * wait in `leftover` until the answer is written. After an allowed upgrade the
 * connection is a raw pipe both ways. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* ---- headers as parsed: name, value pairs ---- */

void
kl_px_headers_reset(struct kl_px_headers *h)
{
	kl_strvec_clear(&h->kv);
	kl_strbuf_reset(&h->field);
	kl_strbuf_reset(&h->value);
	h->in_value = 0;
}

void
kl_px_headers_release(struct kl_px_headers *h)
{
	kl_strvec_clear(&h->kv);
	kl_strbuf_release(&h->field);
	kl_strbuf_release(&h->value);
}

static void
headers_commit(struct kl_px_headers *h)
{
	kl_strvec_push(&h->kv, h->field.buf);
	kl_strvec_push(&h->kv, h->value.buf);
	kl_strbuf_reset(&h->field);
	kl_strbuf_reset(&h->value);
	h->in_value = 0;
}

int
kl_px_headers_field(struct kl_px_headers *h, const char *at, size_t len)
{
	if (h->in_value)
		headers_commit(h);
	kl_strbuf_add(&h->field, at, len);
	return 0;
}

int
kl_px_headers_value(struct kl_px_headers *h, const char *at, size_t len)
{
	h->in_value = 1;
	kl_strbuf_add(&h->value, at, len);
	return 0;
}

void
kl_px_headers_end(struct kl_px_headers *h)
{
	if (h->in_value || h->field.len)
		headers_commit(h);
}

const char *
kl_px_headers_get(const struct kl_px_headers *h, const char *name)
{
	for (size_t i = 0; i + 1 < h->kv.n; i += 2)
		if (strcasecmp(h->kv.v[i], name) == 0)
			return h->kv.v[i + 1];
	return NULL;
}

/* Headers for one hop only (RFC 9110 7.6.1), and those the proxy sets itself. */
int
kl_px_hop_by_hop(const char *name)
{
	static const char *const names[] = { "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
					     "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Expect" };

	for (size_t i = 0; i < KL_ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* ---- the places for short requests ---- */

static void
start_upstream(struct kl_px_client *c)
{
	if (!c->upgrade && kl_px_h2_take(c->p, c)) /* upgrades need HTTP/1.1 */
		return;
	c->up = kl_px_up_get(c->p, c);
	kl_px_up_send(c->up, c->head.buf, c->head.len);
	if (c->req_body || c->upgrade) /* only a request without a body is sent again */
		kl_strbuf_release(&c->head);
}

/* A watch, a followed log: holds its connection for long, so takes no place. */
static int
long_running(const char *url)
{
	const char *q = strchr(url, '?');

	return q && ((strstr(q, "watch=") && !strstr(q, "watch=0") && !strstr(q, "watch=false")) ||
		     strstr(q, "follow=true") || strstr(q, "follow=1"));
}

/* Give the current request's place back (if it had one) and let the next one in. */
static void
release_place(struct kl_px_client *c)
{
	struct kl_px_loop *p = c->p;
	struct kl_px_client **pp;

	if (c->queued) {
		for (pp = &p->waitq; *pp; pp = &(*pp)->wait_next)
			if (*pp == c) {
				*pp = c->wait_next;
				break;
			}
		p->waitq_tail = NULL;
		for (struct kl_px_client *w = p->waitq; w; w = w->wait_next)
			p->waitq_tail = w;
		c->queued = 0;
	}
	if (c->counted) {
		c->counted = 0;
		p->nbusy--;
	}
	while (p->waitq && p->nbusy < p->busy_max && !p->all_closed) {
		struct kl_px_client *w = p->waitq;

		p->waitq = w->wait_next;
		if (!p->waitq)
			p->waitq_tail = NULL;
		w->wait_next = NULL;
		w->queued = 0;
		w->counted = 1;
		p->nbusy++;
		kl_px_client_restart(w);
	}
}

static void
take_place(struct kl_px_client *c)
{
	struct kl_px_loop *p = c->p;

	if (c->req_body || c->upgrade || long_running(c->url.buf)) {
		start_upstream(c);
		return;
	}
	if (p->nbusy < p->busy_max) {
		c->counted = 1;
		p->nbusy++;
		start_upstream(c);
		return;
	}
	c->queued = 1;
	if (p->waitq_tail)
		p->waitq_tail->wait_next = c;
	else
		p->waitq = c;
	p->waitq_tail = c;
}

/* ---- the connection ---- */

static void
client_closed(uv_handle_t *h)
{
	struct kl_px_client *c = h->data;
	struct kl_px_loop *p = c->p;

	if (c->prev)
		c->prev->next = c->next;
	else
		p->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	kl_px_headers_release(&c->rh);
	kl_px_headers_release(&c->sh);
	kl_strbuf_release(&c->url);
	kl_strbuf_release(&c->head);
	kl_strbuf_release(&c->leftover);
	kl_strbuf_release(&c->out);
	kl_strbuf_release(&c->h2body);
	free(c);
}

/* The client lets go of what it holds upstream: its place in the loop's queue, its
 * HTTP/2 stream, its HTTP/1.1 connection. */
static void
detach(struct kl_px_client *c)
{
	struct kl_px_up *u = c->up;

	release_place(c);
	kl_px_h2_cancel(c);
	if (u) {
		c->up = NULL;
		u->c = NULL;
		kl_px_up_close(u);
	}
}

void
kl_px_client_close(struct kl_px_client *c)
{
	if (c->closed)
		return;
	c->closed = c->closing = 1;
	detach(c);
	uv_close((uv_handle_t *)&c->tcp, client_closed);
}

static void
shutdown_done(uv_shutdown_t *req, int status)
{
	struct kl_px_client *c = req->data;

	(void)status;
	free(req);
	kl_px_client_close(c);
}

/* Write what is queued, then close (a FIN after the last byte). */
void
kl_px_client_finish(struct kl_px_client *c)
{
	uv_shutdown_t *req;

	if (c->closing)
		return;
	kl_px_client_flush(c);
	detach(c);
	c->closing = 1;
	req = kl_xcalloc(1, sizeof(*req));
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->tcp, shutdown_done) != 0) {
		free(req);
		kl_px_client_close(c);
	}
}

static void
written(uv_write_t *req, int status)
{
	struct kl_px_client *c = req->handle->data;

	if (status < 0 || c->closing)
		return;
	/* The client caught up: let the upstream send more. */
	if (c->up && c->up->paused && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < KL_PX_LOW)
		kl_px_up_resume(c->up);
	kl_px_h2_drained(c);
}

void
kl_px_client_flush(struct kl_px_client *c)
{
	if (!c->closing)
		kl_px_write((uv_stream_t *)&c->tcp, &c->out, written);
	else
		kl_strbuf_reset(&c->out);
}

void
kl_px_client_error(struct kl_px_client *c, int status, const char *reason, const char *fmt, ...)
{
	struct kl_strbuf body = KL_STRBUF_INIT;
	va_list ap;

	if (c->closing)
		return;
	if (c->resp_started) { /* too late for a status: cut the response */
		kl_px_client_close(c);
		return;
	}
	va_start(ap, fmt);
	kl_strbuf_vaddf(&body, fmt, ap);
	va_end(ap);
	kl_info("proxy: %d for %s: %s", status, c->url.buf, body.buf);
	kl_strbuf_addch(&body, '\n');
	kl_strbuf_addf(&c->out,
		       "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n",
		       status, reason, body.len);
	kl_strbuf_add(&c->out, body.buf, body.len);
	kl_strbuf_release(&body);
	c->resp_started = 1;
	kl_px_client_finish(c);
}

int
kl_px_client_reading(struct kl_px_client *c, int on)
{
	if (c->closing || c->reading == on)
		return 0;
	c->reading = on;
	return on ? uv_read_start((uv_stream_t *)&c->tcp, kl_px_alloc, on_read)
		  : uv_read_stop((uv_stream_t *)&c->tcp);
}

void
kl_px_client_resume(struct kl_px_client *c)
{
	c->paused = 0;
	kl_px_client_reading(c, 1);
}

/* ---- the request ---- */

static int
on_message_begin(http_parser *hp)
{
	struct kl_px_client *c = hp->data;

	kl_strbuf_reset(&c->url);
	kl_strbuf_reset(&c->head);
	kl_px_headers_reset(&c->rh);
	c->in_request = 1;
	c->req_done = c->req_body = c->req_chunked = c->upgrade = c->retried = 0;
	c->resp_started = 0;
	return 0;
}

static int
on_url(http_parser *hp, const char *at, size_t len)
{
	struct kl_px_client *c = hp->data;

	kl_strbuf_add(&c->url, at, len);
	return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t len)
{
	return kl_px_headers_field(&((struct kl_px_client *)hp->data)->rh, at, len);
}

static int
on_header_value(http_parser *hp, const char *at, size_t len)
{
	return kl_px_headers_value(&((struct kl_px_client *)hp->data)->rh, at, len);
}

/* The request head as the API server gets it. */
static void
build_head(struct kl_px_client *c)
{
	struct kl_strbuf *h = &c->head;
	const struct kl_strvec *kv = &c->rh.kv;

	kl_strbuf_addf(h, "%s %s HTTP/1.1\r\nHost: %s\r\n", http_method_str(c->req.method), c->url.buf,
		       c->p->sh->host_port);
	for (size_t i = 0; i + 1 < kv->n; i += 2)
		if (!kl_px_hop_by_hop(kv->v[i]))
			kl_strbuf_addf(h, "%s: %s\r\n", kv->v[i], kv->v[i + 1]);
	if (c->req_chunked)
		kl_strbuf_addstr(h, "Transfer-Encoding: chunked\r\n");
	if (c->upgrade)
		kl_strbuf_addf(h, "Connection: Upgrade\r\nUpgrade: %s\r\n", kl_px_headers_get(&c->rh, "Upgrade"));
	kl_strbuf_addstr(h, "\r\n");
}

static int
on_headers_complete(http_parser *hp)
{
	struct kl_px_client *c = hp->data;
	const char *host, *expect;

	kl_px_headers_end(&c->rh);
	host = kl_px_headers_get(&c->rh, "Host");
	if (!kl_proxy_filter_host(c->p->sh->filter, host)) {
		kl_px_client_error(c, 403, "Forbidden",
				   "Forbidden: the Host header '%s' is not one this proxy accepts (--accept-hosts; "
				   "a guard against DNS rebinding)",
				   host ? host : "");
		return -1;
	}
	if (hp->method == HTTP_CONNECT || !kl_proxy_filter_path(c->p->sh->filter, c->url.buf)) {
		kl_px_client_error(c, 403, "Forbidden",
				   "Forbidden: %s %s is refused by this proxy (--reject-paths, --accept-paths)",
				   http_method_str(hp->method), c->url.buf);
		return -1;
	}
	c->client_close = !http_should_keep_alive(hp) || hp->http_major < 1 ||
			  (hp->http_major == 1 && hp->http_minor == 0);
	c->req_chunked = (hp->flags & F_CHUNKED) != 0;
	c->req_body = c->req_chunked || ((hp->flags & F_CONTENTLENGTH) && hp->content_length > 0);
	c->upgrade = hp->upgrade && kl_px_headers_get(&c->rh, "Upgrade") != NULL;
	/* The proxy answers the expectation itself (and does not pass it on). */
	if ((expect = kl_px_headers_get(&c->rh, "Expect")) && strcasecmp(expect, "100-continue") == 0 &&
	    !c->client_close)
		kl_strbuf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	build_head(c);
	kl_px_response_init(c);
	take_place(c);
	return 0;
}

/* Body bytes for an HTTP/1.1 upstream, in the framing of its head. */
static void
send_body(struct kl_px_client *c, const char *at, size_t len)
{
	char size[24];

	if (c->req_chunked) {
		snprintf(size, sizeof(size), "%zx\r\n", len);
		kl_px_up_send(c->up, size, strlen(size));
	}
	kl_px_up_send(c->up, at, len);
	if (c->req_chunked)
		kl_px_up_send(c->up, "\r\n", 2);
}

static int
on_body(http_parser *hp, const char *at, size_t len)
{
	struct kl_px_client *c = hp->data;

	if (c->h2up)
		kl_px_h2_body(c, at, len);
	else if (c->up)
		send_body(c, at, len);
	else
		return c->closing ? -1 : 0;
	return 0;
}

static int
on_message_complete(http_parser *hp)
{
	struct kl_px_client *c = hp->data;

	if (c->closing)
		return -1;
	if (c->req_chunked && c->up)
		kl_px_up_send(c->up, "0\r\n\r\n", 5);
	c->req_done = 1;
	if (c->h2up)
		kl_px_h2_body_end(c);
	if (c->upgrade) {
		c->piping = 1; /* the rest is the new protocol */
		return 0;
	}
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void
feed(struct kl_px_client *c, const char *data, size_t len)
{
	enum http_errno e;
	size_t n;

	if (c->req_paused) {
		kl_strbuf_add(&c->leftover, data, len);
		if (c->leftover.len > KL_PX_HIGH)
			kl_px_client_reading(c, 0);
		return;
	}
	n = http_parser_execute(&c->req, &settings, data, len);
	if (c->closing)
		return;
	e = HTTP_PARSER_ERRNO(&c->req);
	if (e == HPE_PAUSED) {
		c->req_paused = 1;
		kl_strbuf_add(&c->leftover, data + n, len - n);
	} else if (e != HPE_OK) {
		kl_px_client_error(c, 400, "Bad Request", "Bad Request: %s", http_errno_description(e));
	} else if (c->piping && n < len && c->up) {
		kl_px_up_send(c->up, data + n, len - n);
	}
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct kl_px_client *c = s->data;

	if (nread < 0) {
		kl_px_client_close(c);
		return;
	}
	if (nread == 0 || c->closing) /* EAGAIN (a length of 0 would mean the end), or finishing */
		return;
	if (c->piping && c->req_done) {
		if (c->up)
			kl_px_up_send(c->up, buf->base, (size_t)nread);
	} else {
		feed(c, buf->base, (size_t)nread);
	}
	if (c->closing)
		return;
	kl_px_client_flush(c);
	if (c->up) {
		kl_px_up_flush(c->up);
		if (kl_px_up_pending(c->up) > KL_PX_HIGH) {
			c->paused = 1;
			kl_px_client_reading(c, 0);
		}
	} else if (c->h2up) {
		kl_px_h2_flush(c->h2up);
		if (c->h2up && kl_px_h2_pending(c) > KL_PX_HIGH) {
			c->paused = 1;
			kl_px_client_reading(c, 0);
		}
	}
}

static void
upstream_flush(struct kl_px_client *c)
{
	if (c->up)
		kl_px_up_flush(c->up);
	else if (c->h2up)
		kl_px_h2_flush(c->h2up);
}

void
kl_px_client_restart(struct kl_px_client *c)
{
	start_upstream(c);
	upstream_flush(c);
}

void
kl_px_client_h1(struct kl_px_client *c, struct kl_px_up *u, const char *body, size_t len)
{
	if (u) {
		u->c = c;
		u->got = 0;
		c->up = u;
	} else {
		c->up = kl_px_up_get(c->p, c);
	}
	kl_px_up_send(c->up, c->head.buf, c->head.len);
	if (len)
		send_body(c, body, len);
	if (c->req_done && c->req_chunked)
		kl_px_up_send(c->up, "0\r\n\r\n", 5);
	if (c->req_body)
		kl_strbuf_release(&c->head);
	kl_px_up_flush(c->up);
}

void
kl_px_client_next(struct kl_px_client *c)
{
	struct kl_strbuf rest = KL_STRBUF_INIT;

	if (c->closing)
		return;
	release_place(c);
	if (c->client_close || c->resp_close) {
		kl_px_client_finish(c);
		return;
	}
	c->in_request = 0;
	kl_px_client_flush(c);
	if (c->req_paused) {
		c->req_paused = 0;
		http_parser_pause(&c->req, 0);
	}
	if (c->leftover.len) {
		rest = c->leftover;
		kl_strbuf_init(&c->leftover, 0);
		feed(c, rest.buf, rest.len);
		kl_strbuf_release(&rest);
		if (c->closing)
			return;
		kl_px_client_flush(c);
		upstream_flush(c);
	}
	if (!c->paused)
		kl_px_client_reading(c, 1);
}

void
kl_px_client_accept(struct kl_px_loop *p)
{
	struct kl_px_client *c = kl_xcalloc(1, sizeof(*c));

	c->p = p;
	c->tcp.data = c;
	kl_strbuf_init(&c->url, 0);
	kl_strbuf_init(&c->head, 0);
	kl_strbuf_init(&c->leftover, 0);
	kl_strbuf_init(&c->out, 0);
	kl_strbuf_init(&c->h2body, 0);
	kl_strbuf_init(&c->rh.field, 0);
	kl_strbuf_init(&c->rh.value, 0);
	kl_strbuf_init(&c->sh.field, 0);
	kl_strbuf_init(&c->sh.value, 0);
	http_parser_init(&c->req, HTTP_REQUEST);
	c->req.data = c;
	uv_tcp_init(&p->loop, &c->tcp);
	c->next = p->clients;
	if (p->clients)
		p->clients->prev = c;
	p->clients = c;
	if (uv_accept((uv_stream_t *)&p->listener, (uv_stream_t *)&c->tcp) != 0) {
		kl_px_client_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	kl_px_client_reading(c, 1);
}
