/*
 * proxy.h: the local API proxy (src/proxy/): plain HTTP on loopback in, TLS with the
 * profile's client certificate out to the API server, like `kubectl proxy`.
 *
 * libuv loops (one per CPU, at most 4, sharing the listening socket), HTTP parsed by
 * http-parser, TLS by OpenSSL. Bodies stream in both directions (chunked bodies chunk by
 * chunk, a watch's events as they come; nothing is buffered whole: a side that cannot
 * keep up stops the other side's reads, or its HTTP/2 stream's window). To the API
 * server: HTTP/2 (nghttp2) when it offers h2 in ALPN, as kubectl does, every request of
 * a loop a stream on one connection; else HTTP/1.1 on kept, reused connections.
 * At most 32 short requests per loop are in flight to it, more wait their turn
 * in order (watches, followed logs, bodies and upgrades never wait). Upgrades (exec,
 * attach, port-forward, websockets) go over HTTP/1.1 and are passed through when the
 * path filter lets them. KL_PROXY_HTTP2=0 keeps to HTTP/1.1 (for the bench).
 * When the API server cannot be reached the client gets 502 with the reason and the
 * proxy keeps serving.
 *
 * kubectl proxy's guards: a request whose Host (without the port) matches none of
 * accept_hosts gets 403 (the DNS-rebinding guard); a path matching reject_paths, or
 * none of accept_paths, gets 403. Each is a comma-separated list of POSIX extended
 * regular expressions.
 */
#ifndef KL_PROXY_H
#define KL_PROXY_H

#include <signal.h>

#include "kubelaunch/err.h"

#define KL_PROXY_ACCEPT_HOSTS "^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$"
#define KL_PROXY_REJECT_PATHS "^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach,^/api/.*/pods/.*/portforward"
#define KL_PROXY_ACCEPT_PATHS "^.*"

/* Where the API server is and who we are to it (the strings are borrowed). */
struct kl_proxy_target {
	const char *server;    /* https://HOST:PORT */
	const char *ca_path;   /* the CA the server's certificate must chain to */
	const char *cert_path; /* the client certificate and key */
	const char *key_path;
};

struct kl_proxy_opts {
	const struct kl_proxy_target *target;
	const char *address;      /* listen address; NULL: 127.0.0.1 */
	int port;                 /* 0: a free one */
	const char *accept_hosts; /* NULL: KL_PROXY_ACCEPT_HOSTS */
	const char *reject_paths; /* NULL: KL_PROXY_REJECT_PATHS */
	const char *accept_paths; /* NULL: KL_PROXY_ACCEPT_PATHS */
	int handle_signals;       /* SIGINT/SIGTERM stop the proxy (the first one, cleanly) */
	volatile sig_atomic_t *stop_flag; /* set when it stops (may be NULL): for the caller's waits */
};

struct kl_proxy;

/* Load the TLS identity, compile the filters and listen. Errors: K8S_CERTS for the
 * files, USAGE_VALUE for a bad expression or address, NET_PORT_IN_USE, NET. */
struct kl_proxy *kl_proxy_new(const struct kl_proxy_opts *o, struct kl_err *err);
/* The port it listens on. */
int kl_proxy_port(const struct kl_proxy *p);
/* Serve in this thread until kl_proxy_stop or a signal; returns the signal's number,
 * or 0. */
int kl_proxy_serve(struct kl_proxy *p);
/* Serve in a thread of its own (0 or -1 with err set); kl_proxy_join waits for it. */
int kl_proxy_start(struct kl_proxy *p, struct kl_err *err);
int kl_proxy_join(struct kl_proxy *p);
/* From any thread: close every connection and end kl_proxy_serve. */
void kl_proxy_stop(struct kl_proxy *p);
/* Whether it stopped (or was asked to). */
int kl_proxy_stopped(const struct kl_proxy *p);
void kl_proxy_free(struct kl_proxy *p);

/* TCP forwards from 127.0.0.1:PORT to another IPv4 address and port, served by a loop
 * in a thread of their own (src/proxy/relay.c; tunnel on qemu). kl_relay_add binds in
 * the caller (NET_PORT_IN_USE when taken); removing ends the listener, not the
 * connections already made (kl_relay_free ends those). */
struct kl_relay;
struct kl_relay *kl_relay_new(struct kl_err *err);
int kl_relay_add(struct kl_relay *r, int listen_port, const char *to_host, int to_port, struct kl_err *err);
void kl_relay_remove(struct kl_relay *r, int listen_port);
void kl_relay_free(struct kl_relay *r);

/* The filter on its own (for the unit tests): 1 when the request may pass. */
struct kl_proxy_filter;
struct kl_proxy_filter *kl_proxy_filter_new(const char *accept_hosts, const char *reject_paths,
					    const char *accept_paths, struct kl_err *err);
int kl_proxy_filter_host(const struct kl_proxy_filter *f, const char *host_header);
int kl_proxy_filter_path(const struct kl_proxy_filter *f, const char *url);
void kl_proxy_filter_free(struct kl_proxy_filter *f);

#endif
