/* The proxy's filter: kubectl proxy's Host guard and path rules. */
#include <stdlib.h>

#include "kubelaunch/proxy.h"
#include "unit.h"

KL_TEST(proxy_filter_hosts)
{
	static const struct {
		const char *host;
		int ok;
	} cases[] = {
		{ "localhost", 1 },      { "localhost:8001", 1 },  { "127.0.0.1", 1 },
		{ "127.0.0.1:39000", 1 }, { "[::1]", 1 },          { "[::1]:8001", 1 },
		{ "evil.example", 0 },   { "evil.example:8001", 0 }, { "127.0.0.1.evil.example", 0 },
		{ "localhost.evil", 0 }, { "127.0.0.2", 0 },       { "", 0 },
		{ NULL, 0 },             { "LOCALHOST", 0 },       { "[::1]x:80", 0 },
	};
	struct kl_err err;
	struct kl_proxy_filter *f = kl_proxy_filter_new(NULL, NULL, NULL, &err);

	CHECK(f != NULL);
	for (size_t i = 0; f && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (kl_proxy_filter_host(f, cases[i].host) != cases[i].ok)
			kl_unit_fail(__FILE__, __LINE__, "Host '%s': want %s", cases[i].host ? cases[i].host : "(none)",
				     cases[i].ok ? "accepted" : "refused");
	kl_proxy_filter_free(f);
}

KL_TEST(proxy_filter_paths)
{
	static const struct {
		const char *reject; /* NULL: the default */
		const char *url;
		int ok;
	} cases[] = {
		{ NULL, "/api/v1/namespaces", 1 },
		{ NULL, "/api/v1/namespaces/default/pods/web/log?follow=1", 1 },
		{ NULL, "/api/v1/namespaces/default/pods/web/exec?command=sh", 0 },
		{ NULL, "/api/v1/namespaces/default/pods/web/attach", 0 },
		{ NULL, "/api/v1/namespaces/default/pods/web/portforward?ports=80", 0 },
		{ NULL, "/api/v1/namespaces/default/pods/web/%65xec", 0 },  /* decoded as the server will */
		{ NULL, "/api/v1/namespaces/default/pods/web%2Fexec", 0 },
		{ NULL, "/api/v1/namespaces/kubernetes-dashboard/services/http:kubernetes-dashboard:/proxy/", 1 },
		{ NULL, "/version", 1 },
		{ NULL, "not a url", 0 },
		{ "^$", "/api/v1/namespaces/default/pods/web/exec", 1 },
		{ "^/api/v1/secrets,^/apis", "/apis/apps/v1/deployments", 0 },
		{ "^/api/v1/secrets,^/apis", "/api/v1/pods", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_err err;
		struct kl_proxy_filter *f = kl_proxy_filter_new(NULL, cases[i].reject, NULL, &err);

		CHECK(f != NULL);
		if (f && kl_proxy_filter_path(f, cases[i].url) != cases[i].ok)
			kl_unit_fail(__FILE__, __LINE__, "path '%s' (reject '%s'): want %s", cases[i].url,
				     cases[i].reject ? cases[i].reject : "default", cases[i].ok ? "accepted" : "refused");
		kl_proxy_filter_free(f);
	}
}

KL_TEST(proxy_filter_bad_expression)
{
	struct kl_err err;

	CHECK(kl_proxy_filter_new("^localhost$,(", NULL, NULL, &err) == NULL);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	CHECK(strstr(err.msg, "accept-hosts") != NULL);
	CHECK(kl_proxy_filter_new(NULL, "[", NULL, &err) == NULL);
	CHECK(strstr(err.msg, "reject-paths") != NULL);
}
