/* tunnel.c: `kubelaunch tunnel`: every LoadBalancer service gets an address the host
 * reaches, written to its status.loadBalancer.ingress (kube-proxy then routes that
 * address's service ports to the endpoints), following new services through a watch
 * until Ctrl-C, which takes the addresses away again. The address is the node's (the
 * none, ssh and kvm2 drivers: the host routes to it); on qemu it is 127.0.0.1, each
 * service port relayed to the forward of its node port. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/out.h"
#include "kubelaunch/proxy.h"
#include "kubelaunch/xalloc.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	stopping = 1;
	signal(sig, SIG_DFL); /* the second one ends the process at once */
}

struct tunnel {
	struct kl_ctx *ctx;
	struct kl_kube *k;
	struct kl_out *out;
	const char *ip;
	struct kl_relay *relay; /* qemu: 127.0.0.1:PORT to the forward of the node port */
	json_t *ours; /* "ns/name" -> [relayed ports]: the services whose address we wrote */
};

/* Where the host reaches a node port now (qemu: a forward, added when missing). The
 * profile's lock is held for it and the machine read afresh: state.json may change. */
static int
node_port_endpoint(struct tunnel *t, int node_port, struct kl_endpoint *ep, struct kl_err *err)
{
	struct kl_cluster c;
	int lock, rc = -1;

	if ((lock = kl_profile_lock(t->ctx->home, t->ctx->profile, 60000, err)) < 0)
		return -1;
	if (kl_cluster_open(t->ctx->home, t->ctx->profile, &c, err) == 0) {
		rc = kl_driver_endpoint(c.machine, node_port, ep, err);
		kl_cluster_release(&c);
	}
	kl_unlock(lock);
	return rc;
}

/* qemu: a relay from 127.0.0.1:<port> to the node port's forward, for each TCP port. */
static json_t *
relay_ports(struct tunnel *t, const char *key, json_t *spec)
{
	json_t *done = json_array(), *port;
	size_t i;

	json_array_foreach(json_object_get(spec, "ports"), i, port) {
		int p = (int)kl_json_int(port, "port", 0), np = (int)kl_json_int(port, "nodePort", 0);
		const char *proto = kl_json_str(port, "protocol");
		struct kl_endpoint ep;
		struct kl_err err;

		if (!t->relay || np <= 0 || (proto && strcmp(proto, "TCP") != 0))
			continue;
		if (node_port_endpoint(t, np, &ep, &err) != 0 || kl_relay_add(t->relay, p, ep.host, ep.port, &err) != 0) {
			kl_out_warn(t->out, "service %s: port %d: %s", key, p, err.msg);
			continue;
		}
		json_array_append_new(done, json_integer(p));
	}
	return done;
}

static void
drop(struct tunnel *t, const char *key)
{
	json_t *port;
	size_t i;

	json_array_foreach(json_object_get(t->ours, key), i, port)
		kl_relay_remove(t->relay, (int)json_integer_value(port));
	json_object_del(t->ours, key);
}

static int
patch_status(struct kl_kube *k, const char *ns, const char *name, json_t *lb, struct kl_err *err)
{
	char *path = kl_xasprintf("/api/v1/namespaces/%s/services/%s/status", ns, name);
	json_t *doc = json_pack("{s:{s:o}}", "status", "loadBalancer", lb);
	char *body = json_dumps(doc, JSON_COMPACT);
	struct kl_kube_resp resp;
	int rc;

	kl_kube_resp_init(&resp);
	rc = kl_kube_request(k, "PATCH", path, "application/merge-patch+json", body, strlen(body), &resp, err);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		rc = kl_kube_status_error(&resp, err, "cannot set the address of service '%s/%s'", ns, name);
	kl_kube_resp_release(&resp);
	free(body);
	json_decref(doc);
	free(path);
	return rc;
}

/* The ingress IPs a service has now, as one string ("" for none). */
static char *
ingress_ips(json_t *svc)
{
	json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress"), *e;
	struct kl_strbuf sb = KL_STRBUF_INIT;
	size_t i;

	json_array_foreach(ing, i, e)
		kl_strbuf_addf(&sb, "%s%s", i ? "," : "", kl_json_str(e, "ip") ? kl_json_str(e, "ip") : "");
	return kl_strbuf_detach(&sb, NULL);
}

static int
on_event(void *arg, const char *type, json_t *svc, struct kl_err *err)
{
	struct tunnel *t = arg;
	json_t *meta = json_object_get(svc, "metadata"), *spec = json_object_get(svc, "spec"), *port;
	const char *ns = kl_json_str(meta, "namespace"), *name = kl_json_str(meta, "name");
	const char *stype = kl_json_str(spec, "type");
	char *key = kl_xasprintf("%s/%s", ns, name), *have = NULL;
	struct kl_strbuf ports = KL_STRBUF_INIT;
	int lb = stype && strcmp(stype, "LoadBalancer") == 0, rc = 0;
	size_t i;

	if (strcmp(type, "DELETED") == 0 || !lb) {
		if (json_object_get(t->ours, key)) {
			drop(t, key);
			kl_out_info(t->out, "service %s: %s; no longer tunnelled", key,
				    strcmp(type, "DELETED") == 0 ? "deleted" : "no longer a LoadBalancer");
		}
		goto out;
	}
	have = ingress_ips(svc);
	if (*have && strcmp(have, t->ip) != 0 && !json_object_get(t->ours, key)) {
		kl_out_warn(t->out, "service %s already has the address %s (someone else's): left alone", key, have);
		goto out;
	}
	/* Ours from now on (also when an earlier tunnel wrote the address: its relays are gone). */
	if (!json_object_get(t->ours, key))
		json_object_set_new(t->ours, key, relay_ports(t, key, spec));
	if (strcmp(have, t->ip) == 0) /* our own patch coming back */
		goto out;
	json_array_foreach(json_object_get(spec, "ports"), i, port)
		kl_strbuf_addf(&ports, "%s%lld/%s", i ? ", " : "", kl_json_int(port, "port", 0),
			       kl_json_str(port, "protocol") ? kl_json_str(port, "protocol") : "TCP");
	if ((rc = patch_status(t->k, ns, name, json_pack("{s:[{s:s}]}", "ingress", "ip", t->ip), err)) != 0) {
		/* One service's failure must not end the tunnel for the others. */
		kl_out_warn(t->out, "%s", err->msg);
		rc = 0;
		goto out;
	}
	kl_out_info(t->out, "service %s: %s (ports %s)", key, t->ip, ports.buf);
out:
	kl_strbuf_release(&ports);
	free(have);
	free(key);
	return rc;
}

/* Take our addresses away again (a new client: the watch's may be mid-stop). */
static void
cleanup(struct kl_cluster *c, struct tunnel *t)
{
	struct kl_err err;
	struct kl_kube *k = kl_cluster_kube(c, 10000, &err);
	const char *key;
	json_t *v;

	if (!k) {
		kl_out_warn(t->out, "cannot remove the tunnel's addresses: %s", err.msg);
		return;
	}
	json_object_foreach(t->ours, key, v) {
		char *ns = kl_xstrdup(key), *name = strchr(ns, '/');

		*name++ = '\0';
		if (patch_status(k, ns, name, json_pack("{s:n}", "ingress"), &err) != 0 &&
		    err.reason != KL_R_K8S_API_NOT_FOUND)
			kl_out_warn(t->out, "%s", err.msg);
		else
			kl_out_info(t->out, "service %s: address removed", key);
		free(ns);
	}
	kl_kube_free(k);
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct tunnel t = { .ctx = ctx, .out = ctx->out, .ours = json_object() };
	struct kl_cluster *c = ctx->cluster;
	char ip[256];
	int rc = -1;

	if (strcmp(c->machine->driver->name, "qemu") == 0) {
		/* User-mode networking: the host reaches the guest only through forwards on
		 * loopback, so the address is 127.0.0.1 and each port a relay to one. */
		snprintf(ip, sizeof(ip), "127.0.0.1");
		if ((t.relay = kl_relay_new(err)) == NULL)
			goto out;
	} else if (kl_driver_ip(c->machine, ip, sizeof(ip), err) != 0) {
		goto out;
	}
	if ((t.k = kl_cluster_kube(c, 30000, err)) == NULL)
		goto out;
	t.ip = ip;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	kl_kube_set_stop(t.k, &stopping);
	kl_out_info(ctx->out, "Tunnel for profile '%s': LoadBalancer services get the address %s. This stays in the "
		    "foreground; Ctrl-C ends it and takes the addresses away.", ctx->profile, ip);
	fflush(stdout);
	rc = kl_kube_watch(t.k, "/api/v1/services", NULL, 0, on_event, &t, err);
	if (rc != 0 && err->reason == KL_R_INTERRUPTED)
		rc = 0;
	cleanup(c, &t);
	kl_relay_free(t.relay);
	t.relay = NULL;
	if (rc == 0)
		kl_out_info(ctx->out, "Tunnel stopped");
out:
	kl_relay_free(t.relay);
	kl_kube_free(t.k);
	json_decref(t.ours);
	return rc;
}

const struct kl_cmd kl_cmd_tunnel = {
	.name = "tunnel",
	.summary = "Give LoadBalancer services an address the host reaches, until interrupted",
	.usage = "tunnel",
	.description = "Writes the node's address to every LoadBalancer service's status.loadBalancer.ingress "
		       "(kube-proxy routes it to the service's endpoints; on qemu 127.0.0.1, each port relayed to "
		       "a forward of its node port), follows new services as they come, "
		       "and stays in the foreground; Ctrl-C removes the addresses again. For Istio's ingress "
		       "gateway, Traefik and the like.",
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_RUNNING,
	.run = run,
};
