/* server.c: the proxy's loop: the listener, the signals that stop it, serving in this
 * thread or in one of its own, and the write helper every connection uses. */
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

struct px_write {
	uv_write_t req;
	char *data;
};

void
kl_px_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct kl_proxy *p = h->loop->data;

	(void)hint;
	buf->base = p->rbuf;
	buf->len = sizeof(p->rbuf);
}

static void
write_done(uv_write_t *req, int status)
{
	struct px_write *w = (struct px_write *)req;
	uv_write_cb cb = (uv_write_cb)w->req.data;

	free(w->data);
	w->req.data = NULL;
	if (cb)
		cb(req, status);
	free(w);
}

void
kl_px_write(uv_stream_t *s, struct kl_strbuf *sb, uv_write_cb cb)
{
	struct px_write *w;
	uv_buf_t b;
	size_t len;

	if (sb->len == 0)
		return;
	w = kl_xcalloc(1, sizeof(*w));
	w->data = kl_strbuf_detach(sb, &len);
	w->req.data = (void *)cb;
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, s, &b, 1, write_done) != 0) {
		free(w->data);
		free(w);
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct kl_proxy *p = server->loop->data;

	if (status < 0) {
		kl_warn("proxy: accept: %s", uv_strerror(status));
		return;
	}
	kl_px_client_accept(p);
}

static void
stop_all(struct kl_proxy *p)
{
	if (p->all_closed)
		return;
	p->all_closed = 1;
	atomic_store(&p->stopped, 1);
	if (p->stop_flag)
		*p->stop_flag = 1;
	if (p->listening)
		uv_close((uv_handle_t *)&p->listener, NULL);
	uv_close((uv_handle_t *)&p->stop_async, NULL);
	uv_close((uv_handle_t *)&p->sweep, NULL);
	if (p->handle_signals) {
		uv_close((uv_handle_t *)&p->sigint, NULL);
		uv_close((uv_handle_t *)&p->sigterm, NULL);
	}
	for (struct kl_px_client *c = p->clients; c; c = c->next)
		kl_px_client_close(c);
	for (struct kl_px_up *u = p->ups; u; u = u->next)
		kl_px_up_close(u);
}

static void
on_stop(uv_async_t *a)
{
	stop_all(a->loop->data);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct kl_proxy *p = s->loop->data;

	kl_info("proxy: signal %d: closing every connection", signum);
	p->signum = signum;
	stop_all(p);
}

static void
on_sweep(uv_timer_t *t)
{
	kl_px_up_sweep(t->loop->data);
}

/* The API server's address, resolved once. */
static int
resolve_upstream(struct kl_proxy *p, const char *server, struct kl_err *err)
{
	struct http_parser_url u;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[8];
	int rc;
	struct in6_addr a6;
	struct in_addr a4;

	http_parser_url_init(&u);
	if (strncmp(server, "https://", 8) != 0 || http_parser_parse_url(server, strlen(server), 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_HOST)))
		return kl_err_set(err, KL_R_USAGE_VALUE, "'%s' is not an https:// URL of an API server", server);
	p->host = kl_xstrndup(server + u.field_data[UF_HOST].off, u.field_data[UF_HOST].len);
	snprintf(port, sizeof(port), "%u", (u.field_set & (1 << UF_PORT)) ? u.port : 443);
	p->host_is_ip = inet_pton(AF_INET, p->host, &a4) == 1 || inet_pton(AF_INET6, p->host, &a6) == 1;
	p->host_port = strchr(p->host, ':') ? kl_xasprintf("[%s]:%s", p->host, port)
					    : kl_xasprintf("%s:%s", p->host, port);
	if ((rc = getaddrinfo(p->host, port, &hints, &res)) != 0)
		return kl_err_set(err, KL_R_NET, "cannot resolve the API server '%s': %s", p->host, gai_strerror(rc));
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int
listen_on(struct kl_proxy *p, const char *address, int port, struct kl_err *err)
{
	struct sockaddr_storage sa;
	struct sockaddr_storage bound;
	int len = sizeof(bound), rc;

	if (uv_ip4_addr(address, port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(address, port, (struct sockaddr_in6 *)&sa) != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE, "--address: '%s' is not an IP address", address);
	uv_tcp_init(&p->loop, &p->listener);
	p->listening = 1;
	if ((rc = uv_tcp_bind(&p->listener, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&p->listener, 511, on_connection)) != 0)
		return kl_err_set(err, rc == UV_EADDRINUSE ? KL_R_NET_PORT : KL_R_NET, "cannot listen on %s:%d: %s",
				  address, port, uv_strerror(rc));
	uv_tcp_getsockname(&p->listener, (struct sockaddr *)&bound, &len);
	p->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						   : ((struct sockaddr_in *)&bound)->sin_port);
	return 0;
}

struct kl_proxy *
kl_proxy_new(const struct kl_proxy_opts *o, struct kl_err *err)
{
	struct kl_proxy *p = kl_xcalloc(1, sizeof(*p));

	uv_loop_init(&p->loop);
	p->loop.data = p;
	uv_async_init(&p->loop, &p->stop_async, on_stop);
	uv_timer_init(&p->loop, &p->sweep);
	p->server = kl_xstrdup(o->target->server);
	if ((p->filter = kl_proxy_filter_new(o->accept_hosts, o->reject_paths, o->accept_paths, err)) == NULL ||
	    resolve_upstream(p, o->target->server, err) != 0 || kl_px_tls_init(p, o->target, err) != 0 ||
	    listen_on(p, o->address ? o->address : "127.0.0.1", o->port, err) != 0) {
		kl_proxy_free(p);
		return NULL;
	}
	uv_timer_start(&p->sweep, on_sweep, 1000, 1000);
	p->stop_flag = o->stop_flag;
	if ((p->handle_signals = o->handle_signals)) {
		uv_signal_init(&p->loop, &p->sigint);
		uv_signal_init(&p->loop, &p->sigterm);
		uv_signal_start_oneshot(&p->sigint, on_signal, SIGINT);
		uv_signal_start_oneshot(&p->sigterm, on_signal, SIGTERM);
	}
	kl_info("proxy: listening on %s:%d for %s", o->address ? o->address : "127.0.0.1", p->port, p->server);
	return p;
}

int
kl_proxy_port(const struct kl_proxy *p)
{
	return p->port;
}

int
kl_proxy_serve(struct kl_proxy *p)
{
	uv_run(&p->loop, UV_RUN_DEFAULT);
	atomic_store(&p->stopped, 1);
	return p->signum;
}

static void *
serve_thread(void *arg)
{
	kl_proxy_serve(arg);
	return NULL;
}

int
kl_proxy_start(struct kl_proxy *p, struct kl_err *err)
{
	int rc;

	if ((rc = pthread_create(&p->thread, NULL, serve_thread, p)) != 0)
		return kl_err_set(err, KL_R_HOST, "cannot start the proxy's thread: %s", strerror(rc));
	p->threaded = 1;
	return 0;
}

int
kl_proxy_join(struct kl_proxy *p)
{
	if (p->threaded) {
		pthread_join(p->thread, NULL);
		p->threaded = 0;
	}
	return p->signum;
}

void
kl_proxy_stop(struct kl_proxy *p)
{
	if (!atomic_load(&p->stopped))
		uv_async_send(&p->stop_async);
}

int
kl_proxy_stopped(const struct kl_proxy *p)
{
	return atomic_load(&((struct kl_proxy *)p)->stopped);
}

static void
close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void
kl_proxy_free(struct kl_proxy *p)
{
	if (!p)
		return;
	if (p->threaded) {
		kl_proxy_stop(p);
		kl_proxy_join(p);
	}
	/* Only the loop's own handles are left when it never ran (a failed new). */
	stop_all(p);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	uv_walk(&p->loop, close_any, NULL);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	uv_loop_close(&p->loop);
	kl_proxy_filter_free(p->filter);
	SSL_SESSION_free(p->session);
	SSL_CTX_free(p->ssl_ctx);
	free(p->server);
	free(p->host);
	free(p->host_port);
	free(p);
}
