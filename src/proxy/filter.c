/* filter.c: kubectl proxy's request filter: the Host header against accept_hosts (the
 * DNS-rebinding guard), the decoded URL path against reject_paths and accept_paths.
 * Each list is comma separated; an entry is a POSIX extended regular expression. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <http_parser.h>

#include "kubelaunch/proxy.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"

struct re_list {
	regex_t *re;
	size_t n;
};

struct kl_proxy_filter {
	struct re_list hosts, reject, accept;
};

static void
re_list_release(struct re_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		regfree(&l->re[i]);
	free(l->re);
	l->re = NULL;
	l->n = 0;
}

static int
re_list_compile(struct re_list *l, const char *what, const char *list, struct kl_err *err)
{
	char *copy = kl_xstrdup(list), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int e;

		l->re = kl_xrealloc(l->re, (l->n + 1) * sizeof(*l->re));
		if ((e = regcomp(&l->re[l->n], tok, REG_EXTENDED | REG_NOSUB)) != 0) {
			char msg[256];

			regerror(e, &l->re[l->n], msg, sizeof(msg));
			rc = kl_err_set(err, KL_R_USAGE_VALUE, "--%s: '%s' is not a regular expression: %s", what,
					tok, msg);
			break;
		}
		l->n++;
	}
	free(copy);
	return rc;
}

static int
re_list_match(const struct re_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (regexec(&l->re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

struct kl_proxy_filter *
kl_proxy_filter_new(const char *accept_hosts, const char *reject_paths, const char *accept_paths,
		    struct kl_err *err)
{
	struct kl_proxy_filter *f = kl_xcalloc(1, sizeof(*f));

	if (re_list_compile(&f->hosts, "accept-hosts", accept_hosts ? accept_hosts : KL_PROXY_ACCEPT_HOSTS,
			    err) != 0 ||
	    re_list_compile(&f->reject, "reject-paths", reject_paths ? reject_paths : KL_PROXY_REJECT_PATHS,
			    err) != 0 ||
	    re_list_compile(&f->accept, "accept-paths", accept_paths ? accept_paths : KL_PROXY_ACCEPT_PATHS,
			    err) != 0) {
		kl_proxy_filter_free(f);
		return NULL;
	}
	return f;
}

void
kl_proxy_filter_free(struct kl_proxy_filter *f)
{
	if (!f)
		return;
	re_list_release(&f->hosts);
	re_list_release(&f->reject);
	re_list_release(&f->accept);
	free(f);
}

/* The host without its port: "[::1]:8001" is "[::1]", "localhost:8001" "localhost". */
int
kl_proxy_filter_host(const struct kl_proxy_filter *f, const char *host_header)
{
	const char *h = host_header ? host_header : "", *colon;
	char *host;
	int ok;

	if (h[0] == '[')
		colon = strchr(h, ']') ? strchr(strchr(h, ']'), ':') : NULL;
	else
		colon = strrchr(h, ':');
	host = colon ? kl_xstrndup(h, (size_t)(colon - h)) : kl_xstrdup(h);
	ok = re_list_match(&f->hosts, host);
	free(host);
	return ok;
}

/* The URL's path, percent-decoded as the API server will read it, must match no
 * reject_paths entry and some accept_paths entry. */
int
kl_proxy_filter_path(const struct kl_proxy_filter *f, const char *url)
{
	struct http_parser_url u;
	char *raw, *path;
	int ok;

	http_parser_url_init(&u);
	if (http_parser_parse_url(url, strlen(url), 0, &u) != 0 || !(u.field_set & (1 << UF_PATH)))
		return 0;
	raw = kl_xstrndup(url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
	if ((path = curl_easy_unescape(NULL, raw, 0, NULL)) == NULL) {
		free(raw);
		return 0;
	}
	ok = !re_list_match(&f->reject, path) && re_list_match(&f->accept, path);
	curl_free(path);
	free(raw);
	return ok;
}
