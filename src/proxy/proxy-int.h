/*
 * proxy-int.h: what the files of src/proxy/ share (not a public header).
 *
 *   server.c    the loop, the listener, signals, start/stop, the thread
 *   client.c    a client connection: its requests parsed, filtered and sent upstream
 *   response.c  the API server's response parsed and written back to the client
 *   upstream.c  TLS connections to the API server and the pool of idle ones
 *   filter.c    the Host and path filters
 *   relay.c     plain TCP forwards on loopback (tunnel on qemu)
 */
#ifndef KL_PROXY_INT_H
#define KL_PROXY_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include <http_parser.h>
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
};

/* What every loop shares, read-only while they run. */
struct kl_px_shared {
	struct kl_proxy_filter *filter;
	SSL_CTX *ssl_ctx;
	char *server;                  /* https://HOST:PORT, for messages */
	char *host;                    /* HOST as the API server knows it */
	char *host_port;               /* the Host header sent upstream */
	int host_is_ip;
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

/* response.c */
void kl_px_response_init(struct kl_px_client *c);
/* Decrypted bytes from the upstream for this client. */
void kl_px_response_data(struct kl_px_client *c, const char *data, size_t len);
/* The upstream (already detached from c) ended: why is NULL for a clean EOF. retryable:
 * it was a reused connection and nothing of the answer came. */
void kl_px_response_end(struct kl_px_client *c, const char *why, int retryable);

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

#endif
