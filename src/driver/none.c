/* none.c: the host itself (Linux, root). The "machine" is always there and running. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/fs.h"

#include "kubelaunch/driver.h"

static void
health(struct kl_driver_health *h)
{
	h->installed = 1;
	h->healthy = geteuid() == 0;
	if (!h->healthy) {
		snprintf(h->why, sizeof(h->why), "the none driver needs root");
		snprintf(h->fix, sizeof(h->fix), "run kubelaunch as root (sudo -E kubelaunch start --driver=none)");
	}
}

static int
create(struct kl_machine *m, struct kl_err *err)
{
	if (kl_mkdir_p(m->dir, 0700, err) != 0)
		return -1;
	return kl_machine_save_state(m, err);
}

static int
start(struct kl_machine *m, struct kl_err *err)
{
	return create(m, err);
}

static int
remove_machine(struct kl_machine *m, struct kl_err *err)
{
	return kl_remove_tree(m->dir, err);
}

static int
state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err)
{
	(void)err;
	*st = kl_is_dir(m->dir) ? KL_STATE_RUNNING : KL_STATE_NONEXISTENT;
	return 0;
}

/* The first IPv4 address of an interface that is up and not loopback, else 127.0.0.1. */
static int
ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err)
{
	struct ifaddrs *ifs = NULL;

	(void)m;
	snprintf(buf, len, "127.0.0.1");
	if (getifaddrs(&ifs) != 0)
		return kl_err_errno(err, KL_R_NET, "cannot list the host's addresses");
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP) || strncmp(i->ifa_name, "cni", 3) == 0 ||
		    strncmp(i->ifa_name, "veth", 4) == 0)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, (socklen_t)len);
		break;
	}
	freeifaddrs(ifs);
	return 0;
}

static int
endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err)
{
	ep->port = guest_port;
	return ip(m, ep->host, sizeof(ep->host), err);
}

const struct kl_driver_ops kl_driver_none = {
	.name = "none",
	.priority = 5,
	.caps = KL_CAP_HOST,
	.health = health,
	.create = create,
	.start = start,
	.remove = remove_machine,
	.state = state,
	.ip = ip,
	.endpoint = endpoint,
};
