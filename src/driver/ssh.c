/* ssh.c: an existing machine reached over SSH (--ssh-ip-address, --ssh-user, --ssh-key, --ssh-port). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubelaunch/driver.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"

static int
create(struct kl_machine *m, struct kl_err *err)
{
	if (m->spec.ssh_ip == NULL || m->spec.ssh_ip[0] == '\0')
		return kl_err_set(err, KL_R_USAGE, "the ssh driver needs --ssh-ip-address");
	if (m->spec.ssh_key == NULL || access(m->spec.ssh_key, R_OK) != 0)
		return kl_err_set(err, KL_R_USAGE, "the ssh driver needs a readable --ssh-key");
	if (kl_mkdir_p(m->dir, 0700, err) != 0)
		return -1;
	json_object_set_new(m->state, "SSHHost", json_string(m->spec.ssh_ip));
	json_object_set_new(m->state, "SSHPort", json_integer(m->spec.ssh_port > 0 ? m->spec.ssh_port : 22));
	json_object_set_new(m->state, "SSHUser", json_string(m->spec.ssh_user ? m->spec.ssh_user : "root"));
	json_object_set_new(m->state, "SSHKey", json_string(m->spec.ssh_key));
	return kl_machine_save_state(m, err);
}

static int
start(struct kl_machine *m, struct kl_err *err)
{
	if (m->spec.ssh_ip)
		return create(m, err);
	return kl_json_str(m->state, "SSHHost") ? 0 :
	       kl_err_set(err, KL_R_USAGE, "the ssh driver needs --ssh-ip-address");
}

static int
remove_machine(struct kl_machine *m, struct kl_err *err)
{
	return kl_remove_tree(m->dir, err);
}

/* Whether host:port accepts a TCP connection within timeout_ms. */
static int
reachable(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char service[16];
	int ok = 0;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &ai) != 0)
		return 0;
	for (struct addrinfo *a = ai; a && !ok; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			ok = 1;
		else if (errno == EINPROGRESS && poll(&pfd, 1, timeout_ms) == 1 &&
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
			ok = 1;
		close(fd);
	}
	freeaddrinfo(ai);
	return ok;
}

static int
state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err)
{
	const char *host = kl_json_str(m->state, "SSHHost");
	int port = kl_machine_state_port(m, m->state, "SSHPort", 22, NULL);

	(void)err;
	if (host == NULL)
		*st = KL_STATE_NONEXISTENT;
	else
		*st = port > 0 && reachable(host, port, 2000) ? KL_STATE_RUNNING : KL_STATE_ERROR;
	return 0;
}

static int
ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err)
{
	const char *host = kl_json_str(m->state, "SSHHost");

	if (host == NULL)
		return kl_err_set(err, KL_R_GUEST_NOT_FOUND, "'%s' has no SSH address", m->name);
	snprintf(buf, len, "%s", host);
	return 0;
}

static int
endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err)
{
	ep->port = guest_port;
	return ip(m, ep->host, sizeof(ep->host), err);
}

static int
ssh_endpoint(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err)
{
	if (ip(m, ep->addr.host, sizeof(ep->addr.host), err) != 0)
		return -1;
	if ((ep->addr.port = kl_machine_state_port(m, m->state, "SSHPort", 22, err)) < 0)
		return -1;
	const char *user = kl_json_str(m->state, "SSHUser"), *key = kl_json_str(m->state, "SSHKey");

	snprintf(ep->user, sizeof(ep->user), "%s", user ? user : "root");
	snprintf(ep->key_path, sizeof(ep->key_path), "%s", key ? key : "");
	snprintf(ep->known_hosts, sizeof(ep->known_hosts), "%s/known_hosts", m->dir);
	return 0;
}

const struct kl_driver_ops kl_driver_ssh = {
	.name = "ssh",
	.priority = 0,
	.caps = 0,
	.create = create,
	.start = start,
	.remove = remove_machine,
	.state = state,
	.ip = ip,
	.ssh_endpoint = ssh_endpoint,
	.endpoint = endpoint,
};
