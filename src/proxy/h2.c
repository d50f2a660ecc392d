/* h2.c: HTTP/2 to the API server (nghttp2 over the TLS connection of upstream.c, ALPN
 * h2), as kubectl's client-go speaks it: the short requests, watches and bodies of
 * every client of a loop are streams on one connection (another one when the server's
 * stream limit is reached). A connection whose server chose HTTP/1.1 instead serves
 * its first client that way and the loop stops offering h2. Upgrades never come here.
 *
 * Flow control both ways: a request body is handed to nghttp2 as the stream's window
 * allows (the client is not read while more than KL_PX_HIGH waits); an answer's bytes
 * are given back to the window only once the client's socket has taken them (below
 * KL_PX_HIGH queued), so a slow client stops its stream, not the connection. */
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/log.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

#define KL_PX_H2_STREAM_WINDOW (1 << 20)
#define KL_PX_H2_CONN_WINDOW (32 << 20)

static struct kl_px_client *
stream_client(nghttp2_session *s, int32_t id)
{
	return id ? nghttp2_session_get_stream_user_data(s, id) : NULL;
}

/* Flushed once nghttp2 returns (its callbacks only queue the answer). */
static void
mark_dirty(struct kl_px_client *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	c->dirty_next = c->p->dirty;
	c->p->dirty = c;
}

static void
give_back(struct kl_px_client *c)
{
	struct kl_px_up *u = c->h2up;

	if (!u || !u->h2 || !c->h2_owed)
		return;
	nghttp2_session_consume(u->h2, c->stream_id, c->h2_owed);
	c->h2_owed = 0;
}

static void
flush_dirty(struct kl_px_loop *p)
{
	struct kl_px_client *c;

	while ((c = p->dirty)) {
		p->dirty = c->dirty_next;
		c->dirty = 0;
		c->dirty_next = NULL;
		if (c->closing)
			continue;
		kl_px_client_flush(c);
		if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <= KL_PX_HIGH)
			give_back(c);
	}
}

/* c no longer belongs to its stream (its answer ended, or it goes away). */
static void
detach(struct kl_px_client *c)
{
	struct kl_px_up *u = c->h2up;

	if (!u)
		return;
	if (u->h2 && c->stream_id) {
		nghttp2_session_set_stream_user_data(u->h2, c->stream_id, NULL);
		if (c->h2_owed)
			nghttp2_session_consume_connection(u->h2, c->h2_owed);
	}
	c->h2_owed = 0;
	c->h2up = NULL;
	c->stream_id = 0;
	u->nstreams--;
	kl_strbuf_release(&c->h2body);
	c->h2body_off = 0;
	c->h2_deferred = 0;
}

/* ---- nghttp2's callbacks ---- */

static int
on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen, const uint8_t *value,
	  size_t valuelen, uint8_t flags, void *arg)
{
	struct kl_px_client *c = stream_client(s, f->hd.stream_id);

	(void)flags;
	(void)arg;
	if (!c || f->hd.type != NGHTTP2_HEADERS || c->resp_started) /* trailers: dropped */
		return 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
		long long st;

		/* nghttp2 ends each value with a NUL. A status that is no HTTP status is the
		 * upstream's fault: 502, as any other bad answer from it. */
		c->h2_status = kl_parse_int((const char *)value, 100, 599, &st) == 0 ? (int)st : 502;
		return 0;
	}
	if (namelen && name[0] == ':')
		return 0;
	kl_px_headers_field(&c->sh, (const char *)name, namelen);
	kl_px_headers_value(&c->sh, (const char *)value, valuelen);
	return 0;
}

static int
on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct kl_px_client *c = stream_client(s, f->hd.stream_id);

	(void)arg;
	if (!c || f->hd.type != NGHTTP2_HEADERS || c->resp_started)
		return 0;
	kl_px_headers_end(&c->sh);
	kl_px_response_head(c, c->h2_status,
			    kl_px_headers_get(&c->sh, "content-length") ? KL_PX_BODY_LENGTH : KL_PX_BODY_CHUNKED, 0);
	mark_dirty(c);
	return 0;
}

static int
on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *arg)
{
	struct kl_px_client *c = stream_client(s, id);

	(void)flags;
	(void)arg;
	if (!c || c->closing) { /* nobody reads it any more */
		nghttp2_session_consume(s, id, len);
		return 0;
	}
	kl_px_response_body(c, (const char *)data, len);
	c->h2_owed += len;
	mark_dirty(c);
	return 0;
}

static int
on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct kl_px_client *c = stream_client(s, id);
	char why[160];

	(void)arg;
	if (!c)
		return 0;
	detach(c);
	if (c->closing)
		return 0;
	if (code == NGHTTP2_NO_ERROR && c->resp_started) {
		kl_px_response_finish(c);
		kl_px_client_next(c);
		return 0;
	}
	snprintf(why, sizeof(why), "reset the HTTP/2 stream: %s", nghttp2_http2_strerror(code));
	kl_px_response_end(c, why, code == NGHTTP2_REFUSED_STREAM);
	if (!c->closing)
		kl_px_client_flush(c);
	return 0;
}

/* The request body for nghttp2, from what the client sent so far. */
static ssize_t
read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags, nghttp2_data_source *src,
	  void *arg)
{
	struct kl_px_client *c = stream_client(s, id);
	size_t have;

	(void)src;
	(void)arg;
	if (!c) /* the client went away: the stream is reset */
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	have = c->h2body.len - c->h2body_off;
	if (len > have)
		len = have;
	memcpy(buf, c->h2body.buf + c->h2body_off, len);
	c->h2body_off += len;
	if (c->h2body_off == c->h2body.len) {
		kl_strbuf_reset(&c->h2body);
		c->h2body_off = 0;
	}
	if (c->h2body.len - c->h2body_off < KL_PX_LOW && c->paused)
		kl_px_client_resume(c);
	if (len == 0 && !c->req_done) {
		c->h2_deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (c->req_done && c->h2body.len == c->h2body_off)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)len;
}

/* ---- the session ---- */

static nghttp2_session_callbacks *the_callbacks; /* the same for every session, made once */
static pthread_once_t callbacks_once = PTHREAD_ONCE_INIT;

static void
callbacks_init(void)
{
	nghttp2_session_callbacks_new(&the_callbacks);
	nghttp2_session_callbacks_set_on_header_callback(the_callbacks, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(the_callbacks, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(the_callbacks, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(the_callbacks, on_stream_close);
}

void
kl_px_h2_flush(struct kl_px_up *u)
{
	if (!u->h2 || u->closing || u->send_queued)
		return;
	u->send_queued = 1;
	u->send_next = u->p->sendq;
	u->p->sendq = u;
}

static void
send_now(struct kl_px_up *u)
{
	const uint8_t *data;
	ssize_t n = 0;

	if (!u->h2 || u->in_h2 || u->closing)
		return;
	u->in_h2 = 1;
	while (kl_px_up_pending(u) < KL_PX_HIGH && (n = nghttp2_session_mem_send(u->h2, &data)) > 0)
		kl_px_up_send(u, data, (size_t)n);
	u->in_h2 = 0;
	if (n < 0) {
		kl_px_h2_fail(u, nghttp2_strerror((int)n));
		return;
	}
	kl_px_up_flush(u);
	if (!u->closing && !nghttp2_session_want_read(u->h2) && !nghttp2_session_want_write(u->h2))
		kl_px_h2_fail(u, "ended the HTTP/2 connection (GOAWAY)");
}

/* The request of c as a stream on u's session. */
static void
submit(struct kl_px_up *u, struct kl_px_client *c)
{
	const struct kl_strvec *kv = &c->rh.kv;
	nghttp2_nv *nv = kl_xcalloc(kv->n / 2 + 4, sizeof(*nv));
	nghttp2_data_provider body = { .source.ptr = c, .read_callback = read_body };
	const char *method = http_method_str(c->req.method);
	size_t n = 0;
	int32_t id;

#define NV(k, klen, v, vlen) \
	(nv[n++] = (nghttp2_nv){ (uint8_t *)(k), (uint8_t *)(v), (klen), (vlen), NGHTTP2_NV_FLAG_NONE })
	NV(":method", 7, method, strlen(method));
	NV(":scheme", 7, "https", 5);
	NV(":authority", 10, u->p->sh->host_port, strlen(u->p->sh->host_port));
	NV(":path", 5, c->url.buf, c->url.len);
	for (size_t i = 0; i + 1 < kv->n; i += 2) {
		if (kl_px_hop_by_hop(kv->v[i]))
			continue;
		for (char *q = kv->v[i]; *q; q++) /* HTTP/2 field names are lowercase */
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		NV(kv->v[i], strlen(kv->v[i]), kv->v[i + 1], strlen(kv->v[i + 1]));
	}
#undef NV
	id = nghttp2_submit_request(u->h2, NULL, nv, n, c->req_body ? &body : NULL, c);
	free(nv);
	if (id < 0) {
		detach(c);
		kl_px_client_error(c, 502, "Bad Gateway", "Bad Gateway: kubelaunch proxy: cannot send the request: %s",
				   nghttp2_strerror(id));
		return;
	}
	c->stream_id = id;
	if (c->req_body) /* only a request without a body is sent again */
		kl_strbuf_release(&c->head);
}

/* Whether u takes one more stream. */
static int
has_room(struct kl_px_up *u)
{
	if (u->closing)
		return 0;
	if (!u->h2)
		return u->offer_h2 && !u->ready;
	return nghttp2_session_check_request_allowed(u->h2) &&
	       (uint32_t)u->nstreams < nghttp2_session_get_remote_settings(u->h2, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

int
kl_px_h2_take(struct kl_px_loop *p, struct kl_px_client *c)
{
	struct kl_px_up *u;

	if (!p->sh->http2 || p->h2_state < 0)
		return 0;
	for (u = p->ups; u; u = u->next)
		if (has_room(u))
			break;
	if (!u)
		u = kl_px_up_new(p, 1);
	c->h2up = u;
	c->stream_id = 0;
	c->h2_owed = 0;
	u->nstreams++;
	if (u->h2)
		submit(u, c);
	return 1;
}

static void
open_session(struct kl_px_up *u)
{
	struct kl_px_loop *p = u->p;
	nghttp2_option *opt;
	nghttp2_settings_entry set[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, KL_PX_H2_STREAM_WINDOW },
	};

	nghttp2_option_new(&opt);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	pthread_once(&callbacks_once, callbacks_init);
	nghttp2_session_client_new2(&u->h2, the_callbacks, u, opt);
	nghttp2_option_del(opt);
	nghttp2_submit_settings(u->h2, NGHTTP2_FLAG_NONE, set, KL_ARRAY_SIZE(set));
	nghttp2_session_set_local_window_size(u->h2, NGHTTP2_FLAG_NONE, 0, KL_PX_H2_CONN_WINDOW);
	if (p->h2_state != 1)
		kl_info("proxy: HTTP/2 to the API server at %s (ALPN h2)", p->sh->server);
	p->h2_state = 1;
	for (struct kl_px_client *c = p->clients; c; c = c->next)
		if (c->h2up == u && !c->closing)
			submit(u, c);
	kl_px_h2_flush(u);
}

void
kl_px_h2_ready(struct kl_px_up *u)
{
	struct kl_px_loop *p = u->p;
	const unsigned char *proto = NULL;
	unsigned len = 0;
	struct kl_px_client *c, *next;

	SSL_get0_alpn_selected(u->ssl, &proto, &len);
	if (len == 2 && memcmp(proto, "h2", 2) == 0) {
		open_session(u);
		return;
	}
	/* HTTP/1.1: u serves one of the waiting clients, the others get connections of their own. */
	kl_info("proxy: the API server at %s does not speak HTTP/2: HTTP/1.1", p->sh->server);
	p->h2_state = -1;
	u->offer_h2 = 0;
	for (c = p->clients; c; c = next) {
		struct kl_strbuf body = KL_STRBUF_INIT;

		next = c->next;
		if (c->h2up != u)
			continue;
		kl_strbuf_add(&body, c->h2body.buf + c->h2body_off, c->h2body.len - c->h2body_off);
		detach(c);
		if (!c->closing)
			kl_px_client_h1(c, u->c ? NULL : u, body.buf, body.len);
		kl_strbuf_release(&body);
	}
	if (!u->c)
		kl_px_up_release(u, 1);
}

void
kl_px_h2_body(struct kl_px_client *c, const char *data, size_t len)
{
	struct kl_px_up *u = c->h2up;

	if (c->h2body_off > KL_PX_LOW) { /* what nghttp2 took goes */
		memmove(c->h2body.buf, c->h2body.buf + c->h2body_off, c->h2body.len - c->h2body_off);
		kl_strbuf_setlen(&c->h2body, c->h2body.len - c->h2body_off);
		c->h2body_off = 0;
	}
	kl_strbuf_add(&c->h2body, data, len);
	if (c->h2_deferred && u->h2 && c->stream_id) {
		c->h2_deferred = 0;
		nghttp2_session_resume_data(u->h2, c->stream_id);
	}
}

void
kl_px_h2_body_end(struct kl_px_client *c)
{
	kl_px_h2_body(c, "", 0);
}

size_t
kl_px_h2_pending(const struct kl_px_client *c)
{
	return c->h2body.len - c->h2body_off;
}

void
kl_px_h2_input(struct kl_px_up *u, const char *data, size_t len)
{
	ssize_t n;

	u->in_h2 = 1;
	n = nghttp2_session_mem_recv(u->h2, (const uint8_t *)data, len);
	u->in_h2 = 0;
	flush_dirty(u->p);
	if (n < 0) {
		kl_px_h2_fail(u, nghttp2_strerror((int)n));
		return;
	}
	kl_px_h2_flush(u);
}

void
kl_px_h2_drained(struct kl_px_client *c)
{
	if (c->h2up && c->h2_owed && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < KL_PX_LOW) {
		give_back(c);
		kl_px_h2_flush(c->h2up);
	}
}

void
kl_px_h2_cancel(struct kl_px_client *c)
{
	struct kl_px_up *u = c->h2up;
	int32_t id = c->stream_id;

	if (!u)
		return;
	detach(c);
	if (u->h2 && id) {
		nghttp2_submit_rst_stream(u->h2, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
		kl_px_h2_flush(u);
	}
}

void
kl_px_h2_fail(struct kl_px_up *u, const char *why)
{
	struct kl_px_client *c, *next;

	if (u->closing)
		return;
	kl_px_up_close(u);
	for (c = u->p->clients; c; c = next) {
		int retryable = u->h2 && !c->resp_started;

		next = c->next;
		if (c->h2up != u)
			continue;
		detach(c);
		if (c->closing)
			continue;
		kl_px_response_end(c, why ? why : (u->h2 ? "closed the HTTP/2 connection" : NULL), retryable);
		if (!c->closing)
			kl_px_client_flush(c);
	}
}

void
kl_px_h2_send_all(struct kl_px_loop *p)
{
	struct kl_px_up *u;

	while ((u = p->sendq)) {
		p->sendq = u->send_next;
		u->send_queued = 0;
		u->send_next = NULL;
		send_now(u);
	}
}

void
kl_px_h2_release(struct kl_px_up *u)
{
	for (struct kl_px_up **pp = &u->p->sendq; *pp; pp = &(*pp)->send_next)
		if (*pp == u) {
			*pp = u->send_next;
			break;
		}
	for (struct kl_px_client *c = u->p->clients; c; c = c->next)
		if (c->h2up == u)
			detach(c);
	nghttp2_session_del(u->h2);
	u->h2 = NULL;
}
