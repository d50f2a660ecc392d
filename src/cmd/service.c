/* service.c: `kubelaunch service NAME [-n NS] [--url] [--https] [--format T]` and
 * `kubelaunch service list [-n NS] [-o json]`: where the host reaches services' node
 * ports: one URL per port, through the driver's endpoint (a forward on 127.0.0.1 for
 * qemu, the node's own address on the host and over SSH). The services come from the
 * API server through the API client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/json.h"
#include "kubelaunch/kube.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"

#define DEFAULT_FORMAT "{{.Scheme}}://{{.IP}}:{{.Port}}"

static const struct kl_opt opts[] = {
	{ "namespace", 'n', KL_OPT_STRING, "NS", "the service's namespace (list: only this one)", "default" },
	{ "url", 0, KL_OPT_BOOL, NULL, "print the URLs (what this command always does: it opens no browser)", NULL },
	{ "https", 0, KL_OPT_BOOL, NULL, "https:// URLs instead of http://", NULL },
	{ "format", 0, KL_OPT_STRING, "TEMPLATE", "each URL from this template: {{.IP}} {{.Port}} {{.Name}} "
	  "{{.Scheme}} {{.Namespace}} {{.Service}}", DEFAULT_FORMAT },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* One node port of a service as the host reaches it. */
struct svc_port {
	const char *ns, *service, *name, *scheme;
	const char *ip;
	int port;
};

/* The template with {{.Field}} replaced; an unknown field is a usage error. */
static int
format_url(const char *tmpl, const struct svc_port *sp, struct kl_strbuf *out, struct kl_err *err)
{
	const char *s = tmpl, *open, *close;

	while ((open = strstr(s, "{{")) != NULL) {
		char field[32];
		size_t len;

		kl_strbuf_add(out, s, (size_t)(open - s));
		if ((close = strstr(open, "}}")) == NULL)
			return kl_err_set(err, KL_R_USAGE_VALUE, "--format: '%s' has '{{' without '}}'", tmpl);
		len = (size_t)(close - open - 2);
		snprintf(field, sizeof(field), "%.*s", (int)(len < sizeof(field) ? len : sizeof(field) - 1), open + 2);
		if (strcmp(field, ".IP") == 0)
			kl_strbuf_addstr(out, sp->ip);
		else if (strcmp(field, ".Port") == 0)
			kl_strbuf_addf(out, "%d", sp->port);
		else if (strcmp(field, ".Name") == 0)
			kl_strbuf_addstr(out, sp->name ? sp->name : "");
		else if (strcmp(field, ".Scheme") == 0)
			kl_strbuf_addstr(out, sp->scheme);
		else if (strcmp(field, ".Namespace") == 0)
			kl_strbuf_addstr(out, sp->ns);
		else if (strcmp(field, ".Service") == 0)
			kl_strbuf_addstr(out, sp->service);
		else
			return kl_err_set(err, KL_R_USAGE_VALUE, "--format: unknown field '{{%s}}' (known: .IP .Port .Name "
					  ".Scheme .Namespace .Service)", field);
		s = close + 2;
	}
	kl_strbuf_addstr(out, s);
	return 0;
}

/* The URLs of svc's node ports (a new array of strings) and their port names. */
static int
service_urls(struct kl_cluster *c, json_t *svc, const char *tmpl, const char *scheme, json_t **urls,
	     json_t **names, struct kl_err *err)
{
	json_t *meta = json_object_get(svc, "metadata"), *port;
	size_t i;

	*urls = json_array();
	*names = json_array();
	json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, port) {
		struct svc_port sp = { kl_json_str(meta, "namespace"), kl_json_str(meta, "name"),
				       kl_json_str(port, "name"), scheme, NULL, 0 };
		struct kl_strbuf url = KL_STRBUF_INIT;
		int node_port = (int)kl_json_int(port, "nodePort", 0);
		struct kl_endpoint ep;

		if (node_port <= 0)
			continue;
		if (kl_driver_endpoint(c->machine, node_port, &ep, err) != 0)
			return -1;
		sp.ip = ep.host;
		sp.port = ep.port;
		if (format_url(tmpl, &sp, &url, err) != 0) {
			kl_strbuf_release(&url);
			return -1;
		}
		json_array_append_new(*urls, json_string(url.buf));
		if (sp.name && *sp.name)
			json_array_append_new(*names, json_sprintf("%s/%lld", sp.name, kl_json_int(port, "port", 0)));
		else
			json_array_append_new(*names, json_sprintf("%lld", kl_json_int(port, "port", 0)));
		kl_strbuf_release(&url);
	}
	return 0;
}

static void
print_cell_row(const size_t *w, const char *const *cells)
{
	for (size_t i = 0; i < 4; i++)
		printf("| %-*s ", (int)w[i], cells[i]);
	puts("|");
}

/* minikube's table (NAMESPACE, NAME, TARGET PORT, URL; one line per node port), or its
 * JSON: [{"Namespace", "Name", "URLs", "PortNames"}]. */
static int
list(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_kube *k, const char *tmpl, const char *scheme,
     struct kl_err *err)
{
	static const char *const head[] = { "NAMESPACE", "NAME", "TARGET PORT", "URL" };
	const char *ns = kl_args_has(&ctx->args, "namespace") ? kl_args_str(&ctx->args, "namespace", NULL) : NULL;
	char *path = ns ? kl_xasprintf("/api/v1/namespaces/%s/services", ns) : kl_xstrdup("/api/v1/services");
	json_t *items = NULL, *doc = json_array(), *svc, *row;
	size_t i, j, w[4];
	int rc = -1;

	if (kl_kube_list(k, path, NULL, &items, NULL, err) != 0)
		goto out;
	json_array_foreach(items, i, svc) {
		json_t *urls, *names, *meta = json_object_get(svc, "metadata");

		if (service_urls(c, svc, tmpl, scheme, &urls, &names, err) != 0) {
			json_decref(urls);
			json_decref(names);
			goto out;
		}
		if (json_array_size(names) == 0)
			json_array_append_new(names, json_string("No node port"));
		json_array_append_new(doc, json_pack("{s:s?, s:s?, s:o, s:o}", "Namespace", kl_json_str(meta, "namespace"),
						     "Name", kl_json_str(meta, "name"), "URLs", urls, "PortNames", names));
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		rc = 0;
		goto out;
	}
	for (size_t col = 0; col < 4; col++)
		w[col] = strlen(head[col]);
	json_array_foreach(doc, i, row) {
		json_t *names = json_object_get(row, "PortNames"), *urls = json_object_get(row, "URLs");
		size_t l0 = strlen(kl_json_str(row, "Namespace")), l1 = strlen(kl_json_str(row, "Name"));

		w[0] = l0 > w[0] ? l0 : w[0];
		w[1] = l1 > w[1] ? l1 : w[1];
		for (j = 0; j < json_array_size(names); j++) {
			size_t l2 = strlen(json_string_value(json_array_get(names, j)));
			size_t l3 = j < json_array_size(urls) ? strlen(json_string_value(json_array_get(urls, j))) : 0;

			w[2] = l2 > w[2] ? l2 : w[2];
			w[3] = l3 > w[3] ? l3 : w[3];
		}
	}
	print_cell_row(w, head);
	for (size_t col = 0; col < 4; col++)
		printf("|%.*s", (int)w[col] + 2, "--------------------------------------------------------------------------------");
	puts("|");
	json_array_foreach(doc, i, row) {
		json_t *names = json_object_get(row, "PortNames"), *urls = json_object_get(row, "URLs");

		for (j = 0; j < json_array_size(names); j++) {
			const char *cells[4] = { j ? "" : kl_json_str(row, "Namespace"), j ? "" : kl_json_str(row, "Name"),
						 json_string_value(json_array_get(names, j)),
						 j < json_array_size(urls) ? json_string_value(json_array_get(urls, j)) : "" };

			print_cell_row(w, cells);
		}
	}
	rc = 0;
out:
	json_decref(doc);
	json_decref(items);
	free(path);
	return rc;
}

static int
one(struct kl_ctx *ctx, struct kl_cluster *c, struct kl_kube *k, const char *tmpl, const char *scheme,
    struct kl_err *err)
{
	const char *ns = kl_args_str(&ctx->args, "namespace", "default"), *name = ctx->args.argv[0];
	char *path = kl_xasprintf("/api/v1/namespaces/%s/services/%s", ns, name);
	json_t *svc = NULL, *urls = NULL, *names = NULL, *u;
	size_t i;
	int rc = -1;

	if (kl_kube_get(k, path, &svc, err) != 0) {
		if (err->reason == KL_R_K8S_API_NOT_FOUND)
			kl_err_set(err, KL_R_SVC_NOT_FOUND, "service '%s' in namespace '%s' does not exist", name, ns);
		goto out;
	}
	if (service_urls(c, svc, tmpl, scheme, &urls, &names, err) != 0)
		goto out;
	if (json_array_size(urls) == 0) {
		const char *type = kl_json_str(json_object_get(svc, "spec"), "type");

		kl_err_set(err, KL_R_SVC_NO_NODE_PORT, "service '%s' in namespace '%s' has no node port (type %s)", name, ns,
			   type ? type : "unknown");
		goto out;
	}
	if (ctx->output == KL_OUTPUT_JSON) {
		json_dumpf(urls, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		json_array_foreach(urls, i, u)
			printf("%s\n", json_string_value(u));
	}
	rc = 0;
out:
	json_decref(names);
	json_decref(urls);
	json_decref(svc);
	free(path);
	return rc;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *scheme = kl_args_bool(&ctx->args, "https") ? "https" : "http";
	const char *tmpl = kl_args_str(&ctx->args, "format", DEFAULT_FORMAT);
	struct kl_kube *k;
	int rc;

	if ((k = kl_cluster_kube(ctx->cluster, 30000, err)) == NULL)
		return -1;
	rc = strcmp(ctx->args.argv[0], "list") == 0 ? list(ctx, ctx->cluster, k, tmpl, scheme, err)
						    : one(ctx, ctx->cluster, k, tmpl, scheme, err);
	kl_kube_free(k);
	return rc;
}

const struct kl_cmd kl_cmd_service = {
	.name = "service",
	.summary = "Print the URLs the host reaches services' node ports at",
	.usage = "service NAME [-n NAMESPACE] [--url] [--https] [--format TEMPLATE] | service list [-n NAMESPACE]",
	.description = "For each node port of the service (type NodePort or LoadBalancer), the address "
		       "the host reaches it at: the node's address on the none and ssh drivers, a forward on "
		       "127.0.0.1 added while the machine runs for qemu. 'service list' shows every service "
		       "(of every namespace unless -n is given) with its URLs; -o json gives them as JSON.",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_PROFILE_LOCK | KL_CMD_NEEDS_RUNNING, /* it may add a forward to state.json */
	.min_args = 1,
	.max_args = 1,
	.args = "one service NAME, or 'list'",
	.run = run,
};
