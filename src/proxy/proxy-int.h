/*
 * proxy-int.h: what the files of src/proxy/ share (not a public header).
 *
 *   server.c    the loop, the listener, signals, start/stop, the thread
 *   client.c    a client connection: its requests parsed, filtered and sent upstream
 *   response.c  the API server's response parsed and written back to the client
 *   upstream.c  TLS connections to the API server and the pool of idle ones
 *   h2.c        HTTP/2 on an upstream connection (nghttp2): many requests as streams
 *   filter.c    the Host and path filters
 *   relay.c     plain TCP forwards on loopback (tunnel on qemu)
 */
#ifndef KL_PROXY_INT_H
#define KL_PROXY_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include <http_parser.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "kubelaunch/proxy.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/strvec.h"

/* A side whose peer has this many bytes queued stops reading until it is below LOW. */
#define KL_PX_HIGH (1024 * 1024)
#define KL_PX_LOW (256 * 1024)
#define KL_PX_READ_SIZE (64 * 1024)
#define KL_PX_IDLE_MAX 128
#define KL_PX_CONNECT_TIMEOUT_MS 15000
/* Short requests (no body, no watch, no upgrade) in flight at once; more wait their turn. */
#define KL_PX_BUSY_MAX 32

struct kl_px_client;

/* One TLS connection to the API server. */
struct kl_px_up {
	uv_tcp_t tcp;
	struct kl_px_loop *p;
	struct kl_px_client *c;        /* the client it serves, NULL when idle */
	struct kl_px_up *prev, *next;  /* every connection */
	struct kl_px_up *idle_next;    /* the idle list */
	uv_connect_t connect;
	SSL *ssl;
	BIO *rbio, *wbio;
	struct kl_strbuf plain;        /* written before the handshake finished */
	uint64_t deadline;             /* connect and handshake must end by then (loop ms) */
	int connected, ready, closing, idle, reading, paused;
	int used;                      /* has served a request before */
	size_t got;                    /* bytes received for the current client */
	/* HTTP/2 (h2.c): the clients' requests are streams, u->c stays NULL */
	int offer_h2;                  /* ALPN offers h2 (then http/1.1) */
	nghttp2_session *h2;           /* the server chose h2 */
	int nstreams;                  /* clients attached (waiting for the handshake or streams) */
	int in_h2;                     /* inside nghttp2 (its callbacks may not send) */
	int send_queued;               /* on the loop's list of sessions to send at the end of this turn */
	struct kl_px_up *send_next;
};

struct kl_px_headers {
	struct kl_strvec kv;           /* name, value, name, value ... */
	struct kl_strbuf field, value;
	int in_value;
};

/* One client connection and the request it is in. */
struct kl_px_client {
	uv_tcp_t tcp;
	struct kl_px_loop *p;
	struct kl_px_client *prev, *next;
	http_parser req;
	struct kl_px_headers rh;       /* the request's headers */
	struct kl_strbuf url;
	struct kl_strbuf head;         /* the request head as sent upstream (kept for a retry) */
	struct kl_strbuf leftover;     /* bytes after the current request (pipelining) */
	struct kl_strbuf out;          /* to write to the client at the next flush */
	struct kl_px_up *up;
	/* the request */
	int in_request, req_done, req_body, req_chunked, req_paused, upgrade, retried;
	int client_close;              /* the client wants the connection closed after */
	/* the response */
	http_parser resp;
	struct kl_px_headers sh;       /* the response's headers */
	int resp_started, resp_chunked, resp_close, piping;
	int counted;                   /* holds one of the KL_PX_BUSY_MAX places */
	int queued;                    /* waits for a place */
	struct kl_px_client *wait_next;
	int tunnel;                    /* after a 101: the API server's bytes go to the client as they are */
	int resp_interim;
	int closing, closed, reading, paused;
	/* the request as an HTTP/2 stream (h2.c; c->up is NULL then) */
	struct kl_px_up *h2up;         /* the connection, maybe still in its handshake */
	int32_t stream_id;             /* 0: not submitted yet */
	int h2_status;                 /* :status of the answer */
	struct kl_strbuf h2body;       /* request body bytes nghttp2 has not taken yet */
	size_t h2body_off;
	int h2_deferred;               /* nghttp2 waits for more of the body */
	size_t h2_owed;                /* bytes received, not yet given back to the stream's window */
	int dirty;                     /* on the loop's list of clients to flush */
	struct kl_px_client *dirty_next;
};

/* What every loop shares, read-only while they run. */
struct kl_px_shared {
	struct kl_proxy_filter *filter;
	SSL_CTX *ssl_ctx;
	char *server;                  /* https://HOST:PORT, for messages */
	char *host;                    /* HOST as the API server knows it */
	char *host_port;               /* the Host header sent upstream */
	int host_is_ip;
	int http2;                     /* offer h2 (KL_PROXY_HTTP2=0: never) */
	struct sockaddr_storage addr;
};

/* One event loop, in a thread of its own, with its own listening socket on the
 * common port (SO_REUSEPORT: the kernel spreads the connections). */
struct kl_px_loop {
	uv_loop_t loop;
	uv_tcp_t listener;
	uv_async_t stop_async;
	uv_timer_t sweep;
	struct kl_proxy *group;
	const struct kl_px_shared *sh;
	pthread_t thread;
	int listening, all_closed;
	SSL_SESSION *session;          /* the last session, to resume on new connections */
	struct kl_px_client *clients;
	struct kl_px_up *ups, *idle;
	int nidle;
	struct kl_px_client *waitq, *waitq_tail; /* short requests waiting for a place */
	int nbusy, busy_max;
	int h2_state;                  /* the API server and h2: 0 not known yet, 1 speaks it, -1 does not */
	struct kl_px_client *dirty;    /* clients with answer bytes to flush after nghttp2's callbacks */
	struct kl_px_up *sendq;        /* sessions with frames to send: once a turn, all together */
	uv_prepare_t before_poll;      /* both send the sessions of sendq */
	uv_check_t after_poll;
	char rbuf[KL_PX_READ_SIZE];    /* every read lands here (one loop, one read at a time) */
	char tbuf[KL_PX_READ_SIZE];    /* decrypted data */
};

/* server.c */
void kl_px_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
/* Queue sb's bytes on a stream (sb is emptied); cb runs when written. */
void kl_px_write(uv_stream_t *s, struct kl_strbuf *sb, uv_write_cb cb);

/* headers, in client.c */
void kl_px_headers_reset(struct kl_px_headers *h);
void kl_px_headers_release(struct kl_px_headers *h);
int kl_px_headers_field(struct kl_px_headers *h, const char *at, size_t len);
int kl_px_headers_value(struct kl_px_headers *h, const char *at, size_t len);
void kl_px_headers_end(struct kl_px_headers *h);
const char *kl_px_headers_get(const struct kl_px_headers *h, const char *name);
int kl_px_hop_by_hop(const char *name);

/* client.c */
void kl_px_client_accept(struct kl_px_loop *p);
void kl_px_client_close(struct kl_px_client *c);
void kl_px_client_flush(struct kl_px_client *c);
/* Write what is queued, then close. */
void kl_px_client_finish(struct kl_px_client *c);
/* Start or stop reading the client. */
int kl_px_client_reading(struct kl_px_client *c, int on);
/* The current request is answered: the next one may be read. */
void kl_px_client_next(struct kl_px_client *c);
/* An answer of our own: status, reason, one line of text; the connection closes after. */
void kl_px_client_error(struct kl_px_client *c, int status, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The upstream drained below KL_PX_LOW: read the client's body again. */
void kl_px_client_resume(struct kl_px_client *c);
/* Send the current request (again) on an upstream connection: HTTP/2 when it can. */
void kl_px_client_restart(struct kl_px_client *c);
/* Send the current request over HTTP/1.1 on u (NULL: an idle or new connection), with
 * the body bytes that came so far (and its end, if it came). */
void kl_px_client_h1(struct kl_px_client *c, struct kl_px_up *u, const char *body, size_t len);

/* response.c */
void kl_px_response_init(struct kl_px_client *c);
/* Decrypted bytes from the upstream for this client. */
void kl_px_response_data(struct kl_px_client *c, const char *data, size_t len);
/* The upstream (already detached from c) ended: why is NULL for a clean EOF. retryable:
 * it was a reused connection and nothing of the answer came. */
void kl_px_response_end(struct kl_px_client *c, const char *why, int retryable);
/* How the API server delimits the body of its answer. */
enum kl_px_framing { KL_PX_BODY_LENGTH, KL_PX_BODY_CHUNKED, KL_PX_BODY_TO_EOF };
/* The answer's status line and end-to-end headers (c->sh) for the client; 1xx but 101
 * are interim (the headers are reset for the answer). */
void kl_px_response_head(struct kl_px_client *c, int status, enum kl_px_framing f, int upgraded);
void kl_px_response_body(struct kl_px_client *c, const char *data, size_t len);
/* The body's end: the last chunk for a chunked client. */
void kl_px_response_finish(struct kl_px_client *c);

/* upstream.c */
SSL_CTX *kl_px_tls_new(const struct kl_proxy_target *t, struct kl_err *err);
/* An idle connection, or a new one (connecting); attached to c. */
struct kl_px_up *kl_px_up_get(struct kl_px_loop *p, struct kl_px_client *c);
/* Plain bytes to the API server (queued until the handshake is done). */
void kl_px_up_send(struct kl_px_up *u, const void *data, size_t len);
/* Encrypt and write what was sent (once the handshake is done). */
void kl_px_up_flush(struct kl_px_up *u);
/* Bytes waiting to be written to the API server. */
size_t kl_px_up_pending(const struct kl_px_up *u);
/* Detach from its client: to the idle pool when reusable, else closed. */
void kl_px_up_release(struct kl_px_up *u, int reusable);
void kl_px_up_close(struct kl_px_up *u);
/* The client drained below KL_PX_LOW: read the upstream again. */
void kl_px_up_resume(struct kl_px_up *u);
/* Fail connections whose connect or handshake took too long. */
void kl_px_up_sweep(struct kl_px_loop *p);
/* A new connection (connecting); offer_h2: ALPN offers h2. */
struct kl_px_up *kl_px_up_new(struct kl_px_loop *p, int offer_h2);

/* h2.c */
/* Attach c's request to an HTTP/2 connection (or one in its handshake, which offers
 * h2); 0 when HTTP/2 is not to be used (off, or the server does not speak it). */
int kl_px_h2_take(struct kl_px_loop *p, struct kl_px_client *c);
/* u's handshake ended: the session starts when the server chose h2, else the
 * waiting clients go over HTTP/1.1 (the first on u). */
void kl_px_h2_ready(struct kl_px_up *u);
/* Bytes of the request body, and its end. */
void kl_px_h2_body(struct kl_px_client *c, const char *data, size_t len);
void kl_px_h2_body_end(struct kl_px_client *c);
/* Decrypted bytes from the server. */
void kl_px_h2_input(struct kl_px_up *u, const char *data, size_t len);
/* What nghttp2 has to send (frames, body, window updates) is written at the end of this
 * turn of the loop (the requests of every client that came in it in one TLS record,
 * one write), while the socket keeps up. */
void kl_px_h2_flush(struct kl_px_up *u);
/* The end of a turn: send what the sessions of p have. */
void kl_px_h2_send_all(struct kl_px_loop *p);
/* The client wrote some of the answer: give the window back when it caught up. */
void kl_px_h2_drained(struct kl_px_client *c);
/* Request body bytes nghttp2 has not taken yet. */
size_t kl_px_h2_pending(const struct kl_px_client *c);
/* The client goes away: reset its stream. */
void kl_px_h2_cancel(struct kl_px_client *c);
/* u is closed: its session goes, clients still on it are detached. */
void kl_px_h2_release(struct kl_px_up *u);
/* u failed (why NULL: the server closed it): every client on it is told. */
void kl_px_h2_fail(struct kl_px_up *u, const char *why);

#endif
