/* relay.c: plain TCP forwards from 127.0.0.1:PORT to another address (tunnel on the
 * qemu driver: a service's port on loopback to the forward of its node port), served by
 * a libuv loop in a thread of its own. Forwards are added and removed from other
 * threads: the socket is bound by the caller (so its error comes back), the rest is
 * posted to the loop. Bytes are copied as they come; a side whose peer has KL_PX_HIGH
 * queued stops reading until it drains. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "proxy-int.h"

struct relay_fwd {
	uv_tcp_t listener;
	struct kl_relay *r;
	struct sockaddr_in to;
	int port, fd, started, removing;
	struct relay_fwd *next;
};

struct relay_conn {
	uv_tcp_t side[2]; /* 0: the client, 1: the target */
	uv_connect_t connect;
	int closing, closed;
	struct relay_conn *prev, *next;
	struct kl_relay *r;
};

struct kl_relay {
	uv_loop_t loop;
	uv_async_t wake;
	pthread_t thread;
	pthread_mutex_t mu;
	struct relay_fwd *fwds; /* guarded by mu */
	struct relay_conn *conns;
	int stopping;
	char buf[KL_PX_READ_SIZE];
};

static void
relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct kl_relay *r = h->loop->data;

	(void)hint;
	buf->base = r->buf;
	buf->len = sizeof(r->buf);
}

static void
conn_freed(uv_handle_t *h)
{
	struct relay_conn *c = h->data;

	if (++c->closed < 2)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void
conn_close(struct relay_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->side[0], conn_freed);
	uv_close((uv_handle_t *)&c->side[1], conn_freed);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void
written(uv_write_t *req, int status)
{
	struct relay_conn *c = req->handle->data;
	int to = (uv_tcp_t *)req->handle == &c->side[1];

	if (status < 0) {
		conn_close(c);
		return;
	}
	/* The side that wrote drained: read its peer again. */
	if (!c->closing && uv_stream_get_write_queue_size(req->handle) < KL_PX_LOW)
		uv_read_start((uv_stream_t *)&c->side[!to], relay_alloc, on_read);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct relay_conn *c = s->data;
	uv_stream_t *peer = (uv_stream_t *)&c->side[(uv_tcp_t *)s == &c->side[0]];
	struct kl_strbuf sb = KL_STRBUF_INIT;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	kl_strbuf_add(&sb, buf->base, (size_t)nread);
	kl_px_write(peer, &sb, written);
	kl_strbuf_release(&sb);
	if (uv_stream_get_write_queue_size(peer) > KL_PX_HIGH)
		uv_read_stop(s);
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct relay_conn *c = req->handle->data;

	if (c->closing)
		return;
	if (status < 0) {
		kl_debug("relay: cannot reach the target: %s", uv_strerror(status));
		conn_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->side[0], relay_alloc, on_read);
	uv_read_start((uv_stream_t *)&c->side[1], relay_alloc, on_read);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct relay_fwd *f = server->data;
	struct kl_relay *r = f->r;
	struct relay_conn *c;

	if (status < 0)
		return;
	c = kl_xcalloc(1, sizeof(*c));
	c->r = r;
	for (int i = 0; i < 2; i++) {
		uv_tcp_init(&r->loop, &c->side[i]);
		c->side[i].data = c;
	}
	c->next = r->conns;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->side[0]) != 0 ||
	    uv_tcp_connect(&c->connect, &c->side[1], (struct sockaddr *)&f->to, on_connected) != 0)
		conn_close(c);
}

static void
fwd_freed(uv_handle_t *h)
{
	free(h->data);
}

/* In the loop: start new forwards, end removed ones, or everything when stopping. */
static void
on_wake(uv_async_t *a)
{
	struct kl_relay *r = a->loop->data;
	struct relay_fwd **pp, *f;

	pthread_mutex_lock(&r->mu);
	for (pp = &r->fwds; (f = *pp) != NULL;) {
		if (f->removing || r->stopping) {
			*pp = f->next;
			if (f->started)
				uv_close((uv_handle_t *)&f->listener, fwd_freed);
			else {
				close(f->fd);
				free(f);
			}
			continue;
		}
		if (!f->started) {
			f->started = 1;
			uv_tcp_init(&r->loop, &f->listener);
			f->listener.data = f;
			if (uv_tcp_open(&f->listener, f->fd) != 0 ||
			    uv_listen((uv_stream_t *)&f->listener, 128, on_connection) != 0)
				kl_warn("relay: cannot listen on 127.0.0.1:%d", f->port);
		}
		pp = &f->next;
	}
	pthread_mutex_unlock(&r->mu);
	if (r->stopping) {
		for (struct relay_conn *c = r->conns; c; c = c->next)
			conn_close(c);
		uv_close((uv_handle_t *)&r->wake, NULL);
	}
}

static void *
relay_thread(void *arg)
{
	struct kl_relay *r = arg;

	uv_run(&r->loop, UV_RUN_DEFAULT);
	return NULL;
}

struct kl_relay *
kl_relay_new(struct kl_err *err)
{
	struct kl_relay *r = kl_xcalloc(1, sizeof(*r));
	int rc;

	uv_loop_init(&r->loop);
	r->loop.data = r;
	pthread_mutex_init(&r->mu, NULL);
	uv_async_init(&r->loop, &r->wake, on_wake);
	if ((rc = pthread_create(&r->thread, NULL, relay_thread, r)) != 0) {
		uv_close((uv_handle_t *)&r->wake, NULL);
		uv_run(&r->loop, UV_RUN_DEFAULT);
		uv_loop_close(&r->loop);
		pthread_mutex_destroy(&r->mu);
		free(r);
		kl_err_set(err, KL_R_HOST, "cannot start the relay's thread: %s", strerror(rc));
		return NULL;
	}
	return r;
}

int
kl_relay_add(struct kl_relay *r, int listen_port, const char *to_host, int to_port, struct kl_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port) };
	struct relay_fwd *f = kl_xcalloc(1, sizeof(*f));
	int one = 1;

	f->r = r;
	f->port = listen_port;
	f->to.sin_family = AF_INET;
	f->to.sin_port = htons((uint16_t)to_port);
	if (inet_pton(AF_INET, to_host, &f->to.sin_addr) != 1) {
		free(f);
		return kl_err_set(err, KL_R_PROGRAM, "relay: '%s' is not an IPv4 address", to_host);
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if ((f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(f->fd, 128) != 0) {
		int rc = kl_err_errno(err, errno == EADDRINUSE ? KL_R_NET_PORT : KL_R_NET, "cannot listen on 127.0.0.1:%d",
				      listen_port);

		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return rc;
	}
	pthread_mutex_lock(&r->mu);
	f->next = r->fwds;
	r->fwds = f;
	pthread_mutex_unlock(&r->mu);
	uv_async_send(&r->wake);
	return 0;
}

void
kl_relay_remove(struct kl_relay *r, int listen_port)
{
	pthread_mutex_lock(&r->mu);
	for (struct relay_fwd *f = r->fwds; f; f = f->next)
		if (f->port == listen_port)
			f->removing = 1;
	pthread_mutex_unlock(&r->mu);
	uv_async_send(&r->wake);
}

void
kl_relay_free(struct kl_relay *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_mutex_unlock(&r->mu);
	uv_async_send(&r->wake);
	pthread_join(r->thread, NULL);
	uv_loop_close(&r->loop);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
