/*
 * vfkit.c: macOS's Virtualization.framework through vfkit (minikube's successor to
 * hyperkit). kubelaunch builds vfkit's command line and talks to its REST socket
 * (GET/POST /vm/state over a unix socket, with libcurl). On any other OS the driver
 * reports "not supported on this OS".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"
#include "vm.h"

#ifdef __APPLE__
#define VFKIT_SUPPORTED 1
#else
#define VFKIT_SUPPORTED 0
#endif

static void
health(struct kl_driver_health *h)
{
	h->installed = h->healthy = VFKIT_SUPPORTED;
	if (!VFKIT_SUPPORTED) {
		snprintf(h->why, sizeof(h->why), "vfkit is not supported on this OS (it needs macOS)");
		snprintf(h->fix, sizeof(h->fix), "use --driver=qemu or --driver=kvm2 on Linux");
	}
}

void
kl_vfkit_argv(const struct kl_machine *m, const char *vfkit, struct kl_strvec *argv)
{
	const char *mac = kl_json_str(m->state, "MAC");

	kl_strvec_push(argv, vfkit);
	kl_strvec_pushf(argv, "--cpus=%d", m->spec.cpus);
	kl_strvec_pushf(argv, "--memory=%lld", m->spec.memory_mib);
	kl_strvec_pushf(argv, "--bootloader=efi,variable-store=%s/efivars.fd,create", m->dir);
	kl_strvec_pushf(argv, "--device=virtio-blk,path=%s", m->spec.iso_path);
	kl_strvec_pushf(argv, "--device=virtio-blk,path=%s/disk.raw", m->dir);
	kl_strvec_pushf(argv, "--device=virtio-net,nat,mac=%s", mac ? mac : "52:54:00:00:00:01");
	kl_strvec_push(argv, "--device=virtio-rng");
	kl_strvec_pushf(argv, "--device=virtio-serial,logFilePath=%s/serial.log", m->dir);
	kl_strvec_pushf(argv, "--restful-uri=unix://%s/vfkit.sock", m->dir);
	kl_strvec_pushf(argv, "--pidfile=%s/vfkit.pid", m->dir);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	kl_strbuf_add(arg, data, size * n);
	return size * n;
}

/* One REST call on vfkit's socket: GET when body is NULL, else POST with the body. */
static int
rest(struct kl_machine *m, const char *body, json_t **reply, struct kl_err *err)
{
	char *sock = kl_machine_path(m, "vfkit.sock");
	struct kl_strbuf out = KL_STRBUF_INIT;
	CURL *c = curl_easy_init();
	CURLcode cc;
	long code = 0;
	int rc = -1;

	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost/vm/state");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK || code != 200) {
		kl_err_set(err, KL_R_DRIVER, "vfkit of '%s' did not answer on '%s': %s", m->name, sock,
			   cc != CURLE_OK ? curl_easy_strerror(cc) : "unexpected status");
		goto out;
	}
	if (reply && (*reply = json_loadb(out.buf, out.len, 0, NULL)) == NULL) {
		kl_err_set(err, KL_R_DRIVER, "vfkit of '%s' sent a bad reply", m->name);
		goto out;
	}
	rc = 0;
out:
	curl_easy_cleanup(c);
	kl_strbuf_release(&out);
	free(sock);
	return rc;
}

static int
unsupported_os(struct kl_machine *m, struct kl_err *err)
{
	return kl_err_set(err, KL_R_DRIVER_UNSUPPORTED_OS,
			  "cannot use vfkit for '%s': vfkit is not supported on this OS (it needs macOS)", m->name);
}

static int
create(struct kl_machine *m, struct kl_err *err)
{
	if (!VFKIT_SUPPORTED)
		return unsupported_os(m, err);
	if (kl_vm_check(m, err) != 0 || kl_vm_prepare(m, err) != 0)
		return -1;
	return kl_machine_save_state(m, err);
}

static int
state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err)
{
	json_t *reply = NULL;
	const char *s;

	if (!VFKIT_SUPPORTED)
		return unsupported_os(m, err);
	if (rest(m, NULL, &reply, NULL) != 0) {
		*st = KL_STATE_STOPPED;
		return 0;
	}
	s = kl_json_str(reply, "state");
	*st = s && strcmp(s, "VirtualMachineStateRunning") == 0 ? KL_STATE_RUNNING :
	      s && strcmp(s, "VirtualMachineStatePaused") == 0  ? KL_STATE_PAUSED :
	      s && strcmp(s, "VirtualMachineStateStopped") == 0 ? KL_STATE_STOPPED :
								  KL_STATE_ERROR;
	json_decref(reply);
	return 0;
}

static int
set_state(struct kl_machine *m, const char *want, struct kl_err *err)
{
	char body[64];

	if (!VFKIT_SUPPORTED)
		return unsupported_os(m, err);
	snprintf(body, sizeof(body), "{\"state\":\"%s\"}", want);
	return rest(m, body, NULL, err);
}

static int
stop(struct kl_machine *m, int timeout_ms, struct kl_err *err)
{
	(void)timeout_ms;
	return set_state(m, "Stop", err);
}

static int
kill_machine(struct kl_machine *m, struct kl_err *err)
{
	return set_state(m, "HardStop", err);
}

static int
pause_machine(struct kl_machine *m, struct kl_err *err)
{
	return set_state(m, "Pause", err);
}

static int
unpause_machine(struct kl_machine *m, struct kl_err *err)
{
	return set_state(m, "Resume", err);
}

static int
start(struct kl_machine *m, struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	char *vfkit = kl_find_program("vfkit"), *log = kl_machine_path(m, "vfkit.log");
	pid_t pid;
	int rc = -1;

	if (!VFKIT_SUPPORTED) {
		unsupported_os(m, err);
		goto out;
	}
	if (vfkit == NULL) {
		kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "cannot start '%s': vfkit is not installed", m->name);
		goto out;
	}
	if (kl_vm_check(m, err) != 0 || kl_vm_prepare(m, err) != 0)
		goto out;
	kl_vfkit_argv(m, vfkit, &argv);
	if (kl_spawn_detached(kl_strvec_argv(&argv), log, &pid, err) != 0)
		goto out;
	json_object_set_new(m->state, "PID", json_integer(pid));
	rc = kl_machine_save_state(m, err);
out:
	kl_strvec_clear(&argv);
	free(log);
	free(vfkit);
	return rc;
}

const struct kl_driver_ops kl_driver_vfkit = {
	.name = "vfkit",
	.priority = 30,
	.caps = KL_CAP_VM | KL_CAP_AUTO,
	.health = health,
	.create = create,
	.start = start,
	.stop = stop,
	.kill = kill_machine,
	.state = state,
	.pause = pause_machine,
	.unpause = unpause_machine,
};
