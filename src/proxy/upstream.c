/* upstream.c: TLS connections to the API server (OpenSSL over memory BIOs on a libuv
 * TCP handle), verified against our CA, with the profile's client certificate, and the
 * pool of idle HTTP/1.1 ones a new request takes first (an HTTP/2 connection, h2.c, is
 * shared by many clients instead). A new connection resumes the last TLS session. A
 * connection that fails tells its client(s) why (the client answers 502). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static const char *
ssl_why(void)
{
	static _Thread_local char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "TLS failed";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct kl_px_up *u = SSL_get_app_data(ssl);

	SSL_SESSION_free(u->p->session);
	u->p->session = sess;
	return 1; /* we keep the reference */
}

SSL_CTX *
kl_px_tls_new(const struct kl_proxy_target *t, struct kl_err *err)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		kl_err_set(err, KL_R_PROGRAM, "cannot create a TLS context: %s", ssl_why());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	if (SSL_CTX_load_verify_locations(ctx, t->ca_path, NULL) != 1)
		kl_err_set(err, KL_R_K8S_CERTS, "cannot load the CA '%s': %s", t->ca_path, ssl_why());
	else if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_path) != 1)
		kl_err_set(err, KL_R_K8S_CERTS, "cannot load the client certificate '%s': %s", t->cert_path, ssl_why());
	else if (SSL_CTX_use_PrivateKey_file(ctx, t->key_path, SSL_FILETYPE_PEM) != 1 ||
		 SSL_CTX_check_private_key(ctx) != 1)
		kl_err_set(err, KL_R_K8S_CERTS, "cannot load the client key '%s': %s", t->key_path, ssl_why());
	else
		return ctx;
	SSL_CTX_free(ctx);
	return NULL;
}

static void
up_closed(uv_handle_t *h)
{
	struct kl_px_up *u = h->data;
	struct kl_px_loop *p = u->p;

	if (u->prev)
		u->prev->next = u->next;
	else
		p->ups = u->next;
	if (u->next)
		u->next->prev = u->prev;
	if (u->h2 || u->offer_h2)
		kl_px_h2_release(u);
	SSL_free(u->ssl); /* frees the BIOs */
	kl_strbuf_release(&u->plain);
	free(u);
}

static void
idle_remove(struct kl_px_up *u)
{
	struct kl_px_up **pp;

	if (!u->idle)
		return;
	for (pp = &u->p->idle; *pp; pp = &(*pp)->idle_next)
		if (*pp == u) {
			*pp = u->idle_next;
			break;
		}
	u->idle = 0;
	u->idle_next = NULL;
	u->p->nidle--;
}

void
kl_px_up_close(struct kl_px_up *u)
{
	if (u->closing)
		return;
	u->closing = 1;
	idle_remove(u);
	uv_close((uv_handle_t *)&u->tcp, up_closed);
}

/* The connection failed: tell its client(s), close it. */
static void
up_fail(struct kl_px_up *u, const char *why)
{
	struct kl_px_client *c = u->c;
	int retryable = u->used && u->got == 0;

	if (u->closing)
		return;
	if (u->h2 || u->offer_h2) {
		kl_px_h2_fail(u, why);
		return;
	}
	u->c = NULL;
	if (c)
		c->up = NULL;
	kl_px_up_close(u);
	if (c) {
		kl_px_response_end(c, why, retryable);
		if (!c->closing)
			kl_px_client_flush(c);
	}
}

static void
wrote(uv_write_t *req, int status)
{
	struct kl_px_up *u = req->handle->data;

	if (u->closing)
		return;
	if (status < 0) {
		up_fail(u, uv_strerror(status));
		return;
	}
	if (u->h2 && kl_px_up_pending(u) < KL_PX_LOW)
		kl_px_h2_flush(u); /* more of a request body */
	if (u->c && u->c->paused && kl_px_up_pending(u) < KL_PX_LOW)
		kl_px_client_resume(u->c);
}

/* What OpenSSL wrote to the memory BIO goes to the socket. */
static void
flush_wbio(struct kl_px_up *u)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	size_t pending;

	while ((pending = BIO_ctrl_pending(u->wbio)) > 0) {
		kl_strbuf_grow(&sb, pending);
		BIO_read(u->wbio, sb.buf + sb.len, (int)pending);
		kl_strbuf_setlen(&sb, sb.len + pending);
	}
	kl_px_write((uv_stream_t *)&u->tcp, &sb, wrote);
	kl_strbuf_release(&sb);
}

void
kl_px_up_send(struct kl_px_up *u, const void *data, size_t len)
{
	kl_strbuf_add(&u->plain, data, len);
}

void
kl_px_up_flush(struct kl_px_up *u)
{
	if (u->closing || !u->ready || u->plain.len == 0)
		return;
	if (SSL_write(u->ssl, u->plain.buf, (int)u->plain.len) <= 0) {
		up_fail(u, ssl_why());
		return;
	}
	kl_strbuf_reset(&u->plain);
	flush_wbio(u);
}

size_t
kl_px_up_pending(const struct kl_px_up *u)
{
	return u->plain.len + uv_stream_get_write_queue_size((const uv_stream_t *)&u->tcp);
}

static void
set_reading(struct kl_px_up *u, int on)
{
	if (u->closing || u->reading == on)
		return;
	u->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&u->tcp, kl_px_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&u->tcp);
}

void
kl_px_up_resume(struct kl_px_up *u)
{
	u->paused = 0;
	set_reading(u, 1);
}

static int
handshake(struct kl_px_up *u)
{
	int r = SSL_do_handshake(u->ssl), e;
	long v;

	if (r == 1) {
		u->ready = 1;
		if (u->offer_h2)
			kl_px_h2_ready(u);
		kl_px_up_flush(u);
		return 0;
	}
	e = SSL_get_error(u->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		flush_wbio(u);
		return 0;
	}
	if ((v = SSL_get_verify_result(u->ssl)) != X509_V_OK) {
		char why[320];

		snprintf(why, sizeof(why), "has a certificate our CA does not verify: %s",
			 X509_verify_cert_error_string(v));
		up_fail(u, why);
	} else {
		char why[320];

		snprintf(why, sizeof(why), "refused the TLS handshake: %s", ssl_why());
		up_fail(u, why);
	}
	return -1;
}

/* Decrypt what came and hand it to the client. */
static void
deliver(struct kl_px_up *u)
{
	struct kl_px_loop *p = u->p;
	int n, e;

	for (;;) {
		n = SSL_read(u->ssl, p->tbuf, sizeof(p->tbuf));
		if (n <= 0)
			break;
		if (u->h2) {
			kl_px_h2_input(u, p->tbuf, (size_t)n);
			if (u->closing)
				return;
			continue;
		}
		if (!u->c) { /* bytes nobody asked for */
			kl_px_up_close(u);
			return;
		}
		u->got += (size_t)n;
		kl_px_response_data(u->c, p->tbuf, (size_t)n);
		if (u->closing)
			return;
	}
	e = SSL_get_error(u->ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN) {
		up_fail(u, NULL);
		return;
	}
	if (e != SSL_ERROR_WANT_READ) {
		up_fail(u, ssl_why());
		return;
	}
	flush_wbio(u); /* a key update, say */
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct kl_px_up *u = s->data;
	struct kl_px_client *c;

	if (nread < 0) {
		up_fail(u, nread == UV_EOF ? NULL : uv_strerror((int)nread));
		return;
	}
	if (nread == 0)
		return;
	BIO_write(u->rbio, buf->base, (int)nread);
	if (!u->ready && (handshake(u) != 0 || !u->ready))
		return;
	if (u->h2 || !(c = u->c)) {
		/* HTTP/2, or an idle connection (only a close or a session ticket may come). */
		deliver(u);
		return;
	}
	deliver(u);
	if (c->closing)
		return;
	kl_px_client_flush(c);
	if (u->c == c && !u->closing &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > KL_PX_HIGH) {
		u->paused = 1;
		set_reading(u, 0);
	}
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct kl_px_up *u = req->handle->data;
	char why[160];

	if (u->closing)
		return;
	if (status < 0) {
		snprintf(why, sizeof(why), "cannot be reached: %s", uv_strerror(status));
		up_fail(u, why);
		return;
	}
	u->connected = 1;
	uv_tcp_nodelay(&u->tcp, 1);
	set_reading(u, 1);
	handshake(u);
}

struct kl_px_up *
kl_px_up_new(struct kl_px_loop *p, int offer_h2)
{
	static const unsigned char alpn_h2[] = "\x02h2\x08http/1.1";
	struct kl_px_up *u = kl_xcalloc(1, sizeof(*u));
	X509_VERIFY_PARAM *vp;
	int rc;

	u->p = p;
	u->tcp.data = u;
	kl_strbuf_init(&u->plain, 0);
	u->ssl = SSL_new(p->sh->ssl_ctx);
	SSL_set_app_data(u->ssl, u);
	u->rbio = BIO_new(BIO_s_mem());
	u->wbio = BIO_new(BIO_s_mem());
	SSL_set_bio(u->ssl, u->rbio, u->wbio);
	SSL_set_connect_state(u->ssl);
	if ((u->offer_h2 = offer_h2))
		SSL_set_alpn_protos(u->ssl, alpn_h2, sizeof(alpn_h2) - 1);
	vp = SSL_get0_param(u->ssl);
	if (p->sh->host_is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, p->sh->host);
	} else {
		SSL_set_tlsext_host_name(u->ssl, p->sh->host);
		X509_VERIFY_PARAM_set1_host(vp, p->sh->host, 0);
	}
	if (p->session)
		SSL_set_session(u->ssl, p->session);
	u->deadline = uv_now(&p->loop) + KL_PX_CONNECT_TIMEOUT_MS;
	uv_tcp_init(&p->loop, &u->tcp);
	u->next = p->ups;
	if (p->ups)
		p->ups->prev = u;
	p->ups = u;
	if ((rc = uv_tcp_connect(&u->connect, &u->tcp, (struct sockaddr *)&p->sh->addr, on_connect)) != 0)
		u->deadline = 0; /* the sweep fails it: the client is not attached yet */
	return u;
}

struct kl_px_up *
kl_px_up_get(struct kl_px_loop *p, struct kl_px_client *c)
{
	struct kl_px_up *u = p->idle;

	if (u)
		idle_remove(u);
	else
		u = kl_px_up_new(p, 0);
	u->c = c;
	u->got = 0;
	return u;
}

void
kl_px_up_release(struct kl_px_up *u, int reusable)
{
	struct kl_px_loop *p = u->p;

	u->c = NULL;
	if (!reusable || u->closing || !u->ready || p->nidle >= KL_PX_IDLE_MAX || kl_px_up_pending(u) > 0) {
		kl_px_up_close(u);
		return;
	}
	u->used = 1;
	u->paused = 0;
	set_reading(u, 1);
	u->idle = 1;
	u->idle_next = p->idle;
	p->idle = u;
	p->nidle++;
}

void
kl_px_up_sweep(struct kl_px_loop *p)
{
	uint64_t now = uv_now(&p->loop);
	struct kl_px_up *u, *next;

	for (u = p->ups; u; u = next) {
		next = u->next;
		if (!u->ready && !u->closing && u->deadline <= now)
			up_fail(u, u->connected ? "did not finish the TLS handshake in time"
					       : "cannot be reached: the connection timed out");
	}
}
