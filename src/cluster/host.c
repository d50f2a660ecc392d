/*
 * host.c: who owns the Kubernetes on this host (the none driver). One cluster fits on a
 * host; the profile that starts it records itself in KL_NODE_DIR/owner.json, and a start
 * refuses a host whose kubelet, control plane or admin.conf belongs to anyone else.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/json.h"
#include "kubelaunch/node.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

#define OWNER_FILE KL_NODE_DIR "/owner.json"
#define MANIFESTS "/etc/kubernetes/manifests"

/* The first process whose name is exactly `comm`, or 0. */
static int
find_process(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long long pid;
	int found = 0;

	while (d && found == 0 && (de = readdir(d)) != NULL) {
		struct kl_strbuf sb = KL_STRBUF_INIT;
		char path[300];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (kl_read_file(path, &sb, NULL) == 0) {
			kl_strbuf_rtrim(&sb);
			if (strcmp(sb.buf, comm) == 0 && kl_parse_int(de->d_name, 1, INT_MAX, &pid) == 0 &&
			    kl_pid_alive((int)pid, comm))
				found = (int)pid;
		}
		kl_strbuf_release(&sb);
	}
	if (d)
		closedir(d);
	return found;
}

static int
count_manifests(void)
{
	DIR *d = opendir(MANIFESTS);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += fnmatch("*.yaml", de->d_name, 0) == 0;
	if (d)
		closedir(d);
	return n;
}

/* What of a Kubernetes runs or is installed here, for a message; "" when nothing. */
static void
describe_host(struct kl_strbuf *what)
{
	char *pidfile = kl_xstrdup(KL_NODE_DIR "/containerd.pid");
	int pid, n;

	/* One kubelet fits on a host (its ports, /var/lib/kubelet); a kube-apiserver or etcd
	 * on other ports (a test fixture) is no conflict, a static pod of one is. */
	if ((pid = find_process("kubelet")) != 0)
		kl_strbuf_addf(what, "kubelet (pid %d)", pid);
	if ((pid = kl_pidfile_read(pidfile)) != 0 && kl_pid_alive(pid, KL_SUPERVISOR_PREFIX))
		kl_strbuf_addf(what, "%scontainerd under kubelaunch supervise (pid %d)", what->len ? ", " : "", pid);
	if ((n = count_manifests()) > 0)
		kl_strbuf_addf(what, "%s%d static pod%s in " MANIFESTS, what->len ? ", " : "", n, n == 1 ? "" : "s");
	if (kl_path_exists(KL_NODE_ADMIN_CONF))
		kl_strbuf_addf(what, "%s" KL_NODE_ADMIN_CONF, what->len ? ", " : "");
	free(pidfile);
}

/* The owner record, or NULL (none, or unreadable: then nobody we know owns it). */
static json_t *
read_owner(void)
{
	json_t *o = NULL;

	if (kl_json_load_file(OWNER_FILE, 0, &o, NULL) != 0)
		return NULL;
	return o;
}

static int
owner_is(json_t *o, const char *home, const char *profile)
{
	char *real = realpath(home, NULL);
	const char *h = kl_json_str(o, "Home"), *p = kl_json_str(o, "Profile");
	int same = o && h && p && strcmp(p, profile) == 0 && (strcmp(h, home) == 0 || (real && strcmp(h, real) == 0));

	free(real);
	return same;
}

int
kl_host_owner(const char *home, const char *profile)
{
	json_t *o = read_owner();
	int who = o == NULL ? 0 : owner_is(o, home, profile) ? 1 : -1;

	json_decref(o);
	return who;
}

int
kl_host_check(const char *home, const char *profile, int legacy_ours, struct kl_err *err)
{
	struct kl_strbuf what = KL_STRBUF_INIT, whose = KL_STRBUF_INIT, how = KL_STRBUF_INIT;
	json_t *o = read_owner();
	int rc = 0;

	describe_host(&what);
	if (what.len == 0 || owner_is(o, home, profile) || (o == NULL && legacy_ours))
		goto out;
	if (o && kl_json_str(o, "Home") && kl_json_str(o, "Profile")) {
		const char *h = kl_json_str(o, "Home"), *p = kl_json_str(o, "Profile");
		const char *user = kl_json_str(o, "User");

		kl_strbuf_addf(&whose, "profile '%s' of KUBELAUNCH_HOME=%s (uid %lld%s%s)", p, h,
			       kl_json_int(o, "UID", -1), user ? ", " : "", user ? user : "");
		if (kl_profile_exists(h, p))
			kl_strbuf_addf(&how, "remove it with 'KUBELAUNCH_HOME=%s kubelaunch delete -p %s'", h, p);
		else
			kl_strbuf_addf(&how, "that profile is gone (an orphan): remove it with 'kubeadm reset --force', "
				       "stop the kubelet, then 'rm -rf " KL_NODE_DIR "'");
	} else {
		kl_strbuf_addf(&whose, "no kubelaunch profile (no %s: kubeadm or another tool set it up)", OWNER_FILE);
		kl_strbuf_addf(&how, "remove it with its own tool (for kubeadm: 'kubeadm reset --force' and stop the "
			       "kubelet) if you no longer need it");
	}
	rc = kl_err_set(err, KL_R_HOST_CLUSTER_FOREIGN,
			"this host already runs a Kubernetes that is not '%s' of %s: %s; it belongs to %s; %s", profile,
			home, what.buf, whose.buf, how.buf);
out:
	json_decref(o);
	kl_strbuf_release(&what);
	kl_strbuf_release(&whose);
	kl_strbuf_release(&how);
	return rc;
}

int
kl_host_claim(const char *home, const char *profile, struct kl_err *err)
{
	char *real = realpath(home, NULL);
	const char *sudo_user = getenv("SUDO_USER"), *sudo_uid = getenv("SUDO_UID");
	json_t *o;
	int rc;

	if (kl_mkdir_p(KL_NODE_DIR, 0755, err) != 0) {
		free(real);
		return -1;
	}
	o = json_pack("{s:s, s:s, s:I}", "Home", real ? real : home, "Profile", profile, "UID",
		      (json_int_t)(sudo_uid ? atoll(sudo_uid) : (long long)getuid()));
	if (sudo_user)
		json_object_set_new(o, "User", json_string(sudo_user));
	rc = kl_json_save_file(OWNER_FILE, o, 0644, err);
	json_decref(o);
	free(real);
	return rc;
}
