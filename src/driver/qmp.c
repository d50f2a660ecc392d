/* qmp.c: one QMP command per connection; replies are one JSON object per line. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/log.h"
#include "kubelaunch/strbuf.h"
#include "qmp.h"

struct qmp {
	int fd;
	struct kl_strbuf in;
	long long deadline_ms;
	const char *path;
};


/* The next line that is not an asynchronous event, parsed. */
static int
read_reply(struct qmp *q, json_t **out, struct kl_err *err)
{
	for (;;) {
		char *nl = memchr(q->in.buf, '\n', q->in.len);
		char chunk[4096];
		struct pollfd pfd = { q->fd, POLLIN, 0 };
		long long left;
		ssize_t n;

		if (nl) {
			json_error_t jerr;
			size_t linelen = (size_t)(nl - q->in.buf);
			json_t *msg = json_loadb(q->in.buf, linelen, 0, &jerr);

			memmove(q->in.buf, nl + 1, q->in.len - linelen - 1);
			kl_strbuf_setlen(&q->in, q->in.len - linelen - 1);
			if (msg == NULL)
				return kl_err_set(err, KL_R_DRIVER, "bad QMP reply on '%s': %s", q->path, jerr.text);
			if (json_object_get(msg, "event")) {
				json_decref(msg);
				continue;
			}
			*out = msg;
			return 0;
		}
		left = q->deadline_ms - kl_now_ms();
		if (left <= 0)
			return kl_err_set(err, KL_R_DRIVER_TIMEOUT, "QMP on '%s' did not answer in time", q->path);
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return kl_err_errno(err, KL_R_DRIVER, "cannot read QMP on '%s'", q->path);
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(q->fd, chunk, sizeof(chunk));
		if (n <= 0)
			return kl_err_set(err, KL_R_DRIVER, "QMP on '%s' closed the connection", q->path);
		kl_strbuf_add(&q->in, chunk, (size_t)n);
	}
}

static int
send_command(struct qmp *q, const char *command, json_t *args, json_t **ret, struct kl_err *err)
{
	json_t *req = json_pack("{s:s}", "execute", command), *reply = NULL, *e;
	char *text;
	size_t len, off = 0;
	int rc = -1;

	if (args)
		json_object_set_new(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(q->fd, text + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kl_err_errno(err, KL_R_DRIVER, "cannot write QMP on '%s'", q->path);
			goto out;
		}
		off += (size_t)n;
	}
	if (read_reply(q, &reply, err) != 0)
		goto out;
	if ((e = json_object_get(reply, "error")) != NULL) {
		kl_err_set(err, KL_R_DRIVER, "QMP %s failed: %s", command,
			   json_string_value(json_object_get(e, "desc")));
		goto out;
	}
	if (ret) {
		*ret = json_object_get(reply, "return");
		json_incref(*ret);
	}
	rc = 0;
out:
	free(text);
	json_decref(reply);
	return rc;
}

int
kl_qmp_execute(const char *socket_path, const char *command, json_t *args, json_t **ret,
	       int timeout_ms, struct kl_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp q = { -1, KL_STRBUF_INIT, kl_now_ms() + timeout_ms, socket_path };
	json_t *greeting = NULL;
	int rc = -1;

	if (ret)
		*ret = NULL;
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		json_decref(args);
		return kl_err_set(err, KL_R_DRIVER, "QMP socket path '%s' is too long", socket_path);
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	q.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q.fd < 0 || connect(q.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		kl_err_errno(err, KL_R_DRIVER, "cannot connect to QMP on '%s'", socket_path);
		json_decref(args);
		goto out;
	}
	if (read_reply(&q, &greeting, err) != 0 || send_command(&q, "qmp_capabilities", NULL, NULL, err) != 0) {
		json_decref(args);
		goto out;
	}
	rc = send_command(&q, command, args, ret, err);
	kl_debug("qmp %s on %s: %s", command, socket_path, rc == 0 ? "ok" : err->msg);
out:
	json_decref(greeting);
	if (q.fd >= 0)
		close(q.fd);
	kl_strbuf_release(&q.in);
	return rc;
}
