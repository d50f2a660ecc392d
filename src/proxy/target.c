/* target.c: the API server a profile's proxy talks to, and the identity it uses: the
 * profile's recorded APIServer (what the kubeconfig entry says too), the shared CA and
 * the profile's client certificate. */
#include <stdlib.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/profile.h"
#include "kubelaunch/proxy.h"
#include "kubelaunch/xalloc.h"

int
kl_proxy_target_profile(const char *home, const char *profile, struct kl_proxy_target *t,
			struct kl_err *err)
{
	struct kl_profile prof = { 0 };
	const char *server;
	const char *files[3];
	int rc = -1;

	*t = (struct kl_proxy_target){ 0 };
	if (kl_profile_load(home, profile, &prof, err) != 0)
		return -1;
	if ((server = kl_profile_str(&prof, "APIServer", NULL)) == NULL) {
		kl_err_set(err, KL_R_K8S_APISERVER, "profile '%s' has no API server recorded: start it with "
			   "'kubelaunch start -p %s'", profile, profile);
		goto out;
	}
	t->server = kl_xstrdup(server);
	t->ca_path = kl_xasprintf("%s/certs/ca.crt", home);
	t->cert_path = kl_xasprintf("%s/profiles/%s/certs/client.crt", home, profile);
	t->key_path = kl_xasprintf("%s/profiles/%s/certs/client.key", home, profile);
	files[0] = t->ca_path;
	files[1] = t->cert_path;
	files[2] = t->key_path;
	for (int i = 0; i < 3; i++)
		if (!kl_path_exists(files[i])) {
			kl_err_set(err, KL_R_K8S_CERTS, "'%s' is missing: run 'kubelaunch start -p %s' to make the "
				   "profile's certificates again", files[i], profile);
			goto out;
		}
	rc = 0;
out:
	if (rc != 0)
		kl_proxy_target_release(t);
	kl_profile_release(&prof);
	return rc;
}

void
kl_proxy_target_release(struct kl_proxy_target *t)
{
	free(t->server);
	free(t->ca_path);
	free(t->cert_path);
	free(t->key_path);
	*t = (struct kl_proxy_target){ 0 };
}
