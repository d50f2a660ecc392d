/* layout.c: paths under $KUBELAUNCH_HOME (the names are in layout.h). */
#include <stdarg.h>

#include "kubelaunch/layout.h"
#include "kubelaunch/strbuf.h"

const char *const kl_home_dirs[] = {
	KL_HOME_CONFIG, KL_HOME_PROFILES, KL_HOME_MACHINES, KL_HOME_CERTS, KL_HOME_CACHE, KL_HOME_LOGS, NULL,
};

char *
kl_home_path(const char *home, ...)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	const char *part;
	va_list ap;

	kl_strbuf_addstr(&sb, home);
	va_start(ap, home);
	while ((part = va_arg(ap, const char *)) != NULL)
		kl_strbuf_addf(&sb, "/%s", part);
	va_end(ap);
	return kl_strbuf_detach(&sb, NULL);
}
