/* server.c: the proxy's loops (one per CPU, at most KL_PX_LOOPS_MAX, each in its own
 * thread with its own socket on the common port), the signals that stop them, serving
 * in this thread or in one of its own, and the write helper every connection uses. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubelaunch/log.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

struct px_write {
	uv_write_t req;
	char *data;
};

void
kl_px_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct kl_px_loop *p = h->loop->data;

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

#define KL_PX_LOOPS_MAX 4

struct kl_proxy {
	struct kl_px_shared sh;
	struct kl_px_loop **loops;
	int nloops, port, signum, handle_signals, threaded;
	uv_signal_t sigint, sigterm; /* on the first loop */
	atomic_int stopped;
	volatile sig_atomic_t *stop_flag;
	pthread_t thread;
};

static void
on_connection(uv_stream_t *server, int status)
{
	if (status < 0) {
		kl_warn("proxy: accept: %s", uv_strerror(status));
		return;
	}
	kl_px_client_accept(server->loop->data);
}

/* Close everything of one loop (in its thread): its run ends. */
static void
loop_stop(struct kl_px_loop *l)
{
	struct kl_proxy *p = l->group;

	if (l->all_closed)
		return;
	l->all_closed = 1;
	if (l->listening)
		uv_close((uv_handle_t *)&l->listener, NULL);
	uv_close((uv_handle_t *)&l->stop_async, NULL);
	uv_close((uv_handle_t *)&l->sweep, NULL);
	uv_close((uv_handle_t *)&l->before_poll, NULL);
	uv_close((uv_handle_t *)&l->after_poll, NULL);
	if (p->handle_signals && l == p->loops[0]) {
		uv_close((uv_handle_t *)&p->sigint, NULL);
		uv_close((uv_handle_t *)&p->sigterm, NULL);
	}
	for (struct kl_px_client *c = l->clients; c; c = c->next)
		kl_px_client_close(c);
	for (struct kl_px_up *u = l->ups; u; u = u->next)
		kl_px_up_close(u);
}

static void
on_stop(uv_async_t *a)
{
	loop_stop(a->loop->data);
}

void
kl_proxy_stop(struct kl_proxy *p)
{
	if (atomic_exchange(&p->stopped, 1))
		return;
	if (p->stop_flag)
		*p->stop_flag = 1;
	for (int i = 0; i < p->nloops; i++)
		uv_async_send(&p->loops[i]->stop_async);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct kl_proxy *p = ((struct kl_px_loop *)s->loop->data)->group;

	kl_info("proxy: signal %d: closing every connection", signum);
	p->signum = signum;
	kl_proxy_stop(p);
}

static void
on_before_poll(uv_prepare_t *h)
{
	kl_px_h2_send_all(h->loop->data);
}

static void
on_after_poll(uv_check_t *h)
{
	kl_px_h2_send_all(h->loop->data);
}

static void
on_sweep(uv_timer_t *t)
{
	kl_px_up_sweep(t->loop->data);
}

/* The API server's address, resolved once. */
static int
resolve_upstream(struct kl_px_shared *sh, const char *server, struct kl_err *err)
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
	sh->host = kl_xstrndup(server + u.field_data[UF_HOST].off, u.field_data[UF_HOST].len);
	snprintf(port, sizeof(port), "%u", (u.field_set & (1 << UF_PORT)) ? u.port : 443);
	sh->host_is_ip = inet_pton(AF_INET, sh->host, &a4) == 1 || inet_pton(AF_INET6, sh->host, &a6) == 1;
	sh->host_port = strchr(sh->host, ':') ? kl_xasprintf("[%s]:%s", sh->host, port)
					      : kl_xasprintf("%s:%s", sh->host, port);
	if ((rc = getaddrinfo(sh->host, port, &hints, &res)) != 0)
		return kl_err_set(err, KL_R_NET, "cannot resolve the API server '%s': %s", sh->host, gai_strerror(rc));
	memcpy(&sh->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* The listening socket on address:port (0: a free one); *port is the one bound. */
static int
bind_listener(const char *address, int *port, struct kl_err *err)
{
	struct sockaddr_storage sa, bound;
	socklen_t blen = sizeof(bound);
	int fd, one = 1, rc;

	if (uv_ip4_addr(address, *port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(address, *port, (struct sockaddr_in6 *)&sa) != 0)
		return kl_err_set(err, KL_R_USAGE_VALUE, "--address: '%s' is not an IP address", address);
	if ((fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return kl_err_errno(err, KL_R_NET, "cannot listen on %s:%d", address, *port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sa.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								       : sizeof(struct sockaddr_in)) != 0 ||
	    listen(fd, 511) != 0) {
		rc = kl_err_errno(err, errno == EADDRINUSE ? KL_R_NET_PORT : KL_R_NET, "cannot listen on %s:%d", address,
				  *port);
		close(fd);
		return rc;
	}
	getsockname(fd, (struct sockaddr *)&bound, &blen);
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

/* Loop l accepts on (its own duplicate of) the listening socket: whichever loop is
 * awake first takes a new connection. */
static int
listen_on(struct kl_px_loop *l, int fd, struct kl_err *err)
{
	int rc;

	uv_tcp_init(&l->loop, &l->listener);
	l->listening = 1;
	if ((rc = uv_tcp_open(&l->listener, fd)) != 0) {
		close(fd);
		return kl_err_set(err, KL_R_NET, "cannot listen: %s", uv_strerror(rc));
	}
	if ((rc = uv_listen((uv_stream_t *)&l->listener, 511, on_connection)) != 0)
		return kl_err_set(err, KL_R_NET, "cannot listen: %s", uv_strerror(rc));
	return 0;
}

static struct kl_px_loop *
loop_new(struct kl_proxy *p)
{
	struct kl_px_loop *l = kl_xcalloc(1, sizeof(*l));
	const char *max = getenv("KL_PROXY_BUSY_MAX"); /* for experiments with the bench */
	long long v;

	uv_loop_init(&l->loop);
	l->loop.data = l;
	l->group = p;
	l->sh = &p->sh;
	l->busy_max = max && kl_parse_int(max, 1, INT_MAX, &v) == 0 ? (int)v : KL_PX_BUSY_MAX;
	uv_async_init(&l->loop, &l->stop_async, on_stop);
	uv_timer_init(&l->loop, &l->sweep);
	uv_timer_start(&l->sweep, on_sweep, 1000, 1000);
	uv_prepare_init(&l->loop, &l->before_poll);
	uv_prepare_start(&l->before_poll, on_before_poll);
	uv_check_init(&l->loop, &l->after_poll);
	uv_check_start(&l->after_poll, on_after_poll);
	return l;
}

static int
loops_wanted(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("KL_PROXY_LOOPS");

	long long v;

	if (env && kl_parse_int(env, 1, KL_PX_LOOPS_MAX, &v) == 0)
		n = (long)v;
	return n < 1 ? 1 : n > KL_PX_LOOPS_MAX ? KL_PX_LOOPS_MAX : (int)n;
}

struct kl_proxy *
kl_proxy_new(const struct kl_proxy_opts *o, struct kl_err *err)
{
	struct kl_proxy *p = kl_xcalloc(1, sizeof(*p));
	const char *address = o->address ? o->address : "127.0.0.1";
	int n = loops_wanted(), fd = -1;

	p->port = o->port;
	p->stop_flag = o->stop_flag;
	p->sh.server = kl_xstrdup(o->target->server);
	p->sh.http2 = !(getenv("KL_PROXY_HTTP2") && strcmp(getenv("KL_PROXY_HTTP2"), "0") == 0); /* for the bench */
	p->loops = kl_xcalloc((size_t)n, sizeof(*p->loops));
	if ((p->sh.filter = kl_proxy_filter_new(o->accept_hosts, o->reject_paths, o->accept_paths, err)) == NULL ||
	    resolve_upstream(&p->sh, o->target->server, err) != 0 ||
	    (p->sh.ssl_ctx = kl_px_tls_new(o->target, err)) == NULL)
		goto fail;
	if ((fd = bind_listener(address, &p->port, err)) < 0)
		goto fail;
	for (; p->nloops < n; p->nloops++) {
		int lfd = p->nloops == 0 ? fd : dup(fd);

		p->loops[p->nloops] = loop_new(p);
		if (listen_on(p->loops[p->nloops], lfd, err) != 0) {
			p->nloops++;
			goto fail;
		}
	}
	if ((p->handle_signals = o->handle_signals)) {
		uv_signal_init(&p->loops[0]->loop, &p->sigint);
		uv_signal_init(&p->loops[0]->loop, &p->sigterm);
		uv_signal_start_oneshot(&p->sigint, on_signal, SIGINT);
		uv_signal_start_oneshot(&p->sigterm, on_signal, SIGTERM);
	}
	kl_info("proxy: listening on %s:%d for %s (%d loops)", address, p->port, p->sh.server, p->nloops);
	return p;
fail:
	kl_proxy_free(p);
	return NULL;
}

int
kl_proxy_port(const struct kl_proxy *p)
{
	return p->port;
}

static void *
loop_thread(void *arg)
{
	struct kl_px_loop *l = arg;

	uv_run(&l->loop, UV_RUN_DEFAULT);
	return NULL;
}

int
kl_proxy_serve(struct kl_proxy *p)
{
	int started = 1;

	for (int i = 1; i < p->nloops; i++, started++)
		if (pthread_create(&p->loops[i]->thread, NULL, loop_thread, p->loops[i]) != 0)
			break;
	uv_run(&p->loops[0]->loop, UV_RUN_DEFAULT);
	kl_proxy_stop(p);
	for (int i = 1; i < started; i++)
		pthread_join(p->loops[i]->thread, NULL);
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
	for (int i = 0; i < p->nloops; i++) {
		struct kl_px_loop *l = p->loops[i];

		/* What is left when the loop never ran (a failed new, no serve). */
		loop_stop(l);
		uv_run(&l->loop, UV_RUN_DEFAULT);
		uv_walk(&l->loop, close_any, NULL);
		uv_run(&l->loop, UV_RUN_DEFAULT);
		uv_loop_close(&l->loop);
		SSL_SESSION_free(l->session);
		free(l);
	}
	free(p->loops);
	kl_proxy_filter_free(p->sh.filter);
	SSL_CTX_free(p->sh.ssl_ctx);
	free(p->sh.server);
	free(p->sh.host);
	free(p->sh.host_port);
	free(p);
}
