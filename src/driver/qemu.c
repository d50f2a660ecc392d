/*
 * qemu.c: qemu-system-x86_64 run directly, daemonized with a pidfile; QMP for state,
 * ACPI power-down, pause and quit; serial console to serial.log; user-mode networking
 * with SSH and the API server forwarded to free ports on 127.0.0.1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"
#include "qmp.h"
#include "vm.h"

#define QEMU_BIN "qemu-system-x86_64"

static void
health(struct kl_driver_health *h)
{
	char *qemu = kl_find_program(QEMU_BIN);

	h->installed = h->healthy = qemu != NULL;
	if (!qemu) {
		snprintf(h->why, sizeof(h->why), "%s is not installed", QEMU_BIN);
		snprintf(h->fix, sizeof(h->fix), "install it: apt-get install qemu-system-x86");
	}
	free(qemu);
}

/* A value inside a QEMU option list: commas are doubled. */
static char *
opt_value(const char *s)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;

	for (; *s; s++)
		kl_strbuf_addf(&sb, *s == ',' ? ",," : "%c", *s);
	return kl_strbuf_detach(&sb, NULL);
}

void
kl_qemu_argv(const struct kl_machine *m, const char *qemu, const char *accel, int ssh_port,
	     int api_port, struct kl_strvec *argv)
{
	const char *mac = kl_json_str(m->state, "MAC"), *format;
	char *iso, *drive, *disk;

	kl_strvec_push(argv, qemu);
	kl_strvec_pushf(argv, "-name");
	kl_strvec_pushf(argv, "kl-%s", m->name);
	kl_strvec_push(argv, "-machine");
	kl_strvec_pushf(argv, "q35,accel=%s", accel);
	kl_strvec_push(argv, "-cpu");
	kl_strvec_push(argv, strcmp(accel, "kvm") == 0 ? "host" : "max");
	kl_strvec_push(argv, "-smp");
	kl_strvec_pushf(argv, "%d", m->spec.cpus);
	kl_strvec_push(argv, "-m");
	kl_strvec_pushf(argv, "%lld", m->spec.memory_mib);
	kl_strvec_push(argv, "-nodefaults");
	kl_strvec_push(argv, "-display");
	kl_strvec_push(argv, "none");
	kl_strvec_push(argv, "-boot");
	kl_strvec_push(argv, "order=d,menu=off");
	iso = opt_value(m->spec.iso_path);
	disk = kl_vm_disk(m, &format);
	drive = opt_value(disk);
	kl_strvec_push(argv, "-drive");
	kl_strvec_pushf(argv, "file=%s,media=cdrom,readonly=on,if=ide,index=0", iso);
	kl_strvec_push(argv, "-drive");
	kl_strvec_pushf(argv, "file=%s,format=%s,if=virtio,cache=unsafe,discard=unmap", drive, format);
	free(disk);
	for (int i = 0; i < m->spec.nshares; i++) {
		char *host = opt_value(m->spec.shares[i].host);

		kl_strvec_push(argv, "-virtfs");
		kl_strvec_pushf(argv, "local,path=%s,mount_tag=%s,security_model=none,readonly=on", host,
				m->spec.shares[i].tag);
		free(host);
	}
	kl_strvec_push(argv, "-netdev");
	kl_strvec_pushf(argv, "user,id=net0%s,hostfwd=tcp:127.0.0.1:%d-:22,hostfwd=tcp:127.0.0.1:%d-:%d",
			m->spec.isolated ? ",restrict=on" : "", ssh_port, api_port, m->spec.apiserver_port);
	kl_strvec_push(argv, "-device");
	kl_strvec_pushf(argv, "virtio-net-pci,netdev=net0,mac=%s", mac ? mac : "52:54:00:00:00:01");
	kl_strvec_push(argv, "-device");
	kl_strvec_push(argv, "virtio-rng-pci");
	kl_strvec_push(argv, "-fw_cfg");
	kl_strvec_pushf(argv, "name=" KL_FWCFG_PREFIX "authorized_keys,file=%s/id_ed25519.pub", m->dir);
	kl_strvec_push(argv, "-fw_cfg");
	kl_strvec_pushf(argv, "name=" KL_FWCFG_PREFIX "hostname,string=%s", m->name);
	kl_strvec_push(argv, "-fw_cfg");
	kl_strvec_push(argv, "name=" KL_FWCFG_PREFIX "user,string=" KL_GUEST_USER);
	kl_strvec_push(argv, "-serial");
	kl_strvec_pushf(argv, "file:%s/serial.log", m->dir);
	kl_strvec_push(argv, "-qmp");
	kl_strvec_pushf(argv, "unix:%s/qmp.sock,server=on,wait=off", m->dir);
	kl_strvec_push(argv, "-pidfile");
	kl_strvec_pushf(argv, "%s/qemu.pid", m->dir);
	kl_strvec_push(argv, "-daemonize");
	free(drive);
	free(iso);
}

/* The QEMU of this machine: alive, and its command line names the machine's directory
 * (a stale pid file may name a PID that is now someone else's QEMU). */
static int
qemu_pid(struct kl_machine *m)
{
	char *path = kl_machine_path(m, "qemu.pid"), *sock = kl_machine_path(m, "qmp.sock"), proc[64];
	struct kl_strbuf cmdline = KL_STRBUF_INIT;
	int pid = kl_pidfile_read(path), ours = 0;

	snprintf(proc, sizeof(proc), "/proc/%d/cmdline", pid);
	if (kl_pid_alive(pid, "qemu") && kl_read_file(proc, &cmdline, NULL) == 0)
		ours = memmem(cmdline.buf, cmdline.len, sock, strlen(sock)) != NULL;
	free(sock);
	kl_strbuf_release(&cmdline);
	free(path);
	return ours ? pid : 0;
}

static int
qmp(struct kl_machine *m, const char *command, json_t *args, json_t **ret, struct kl_err *err)
{
	char *sock = kl_machine_path(m, "qmp.sock");
	int rc = kl_qmp_execute(sock, command, args, ret, 5000, err);

	free(sock);
	return rc;
}

static int
state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err)
{
	char *disk = kl_vm_disk(m, NULL);
	json_t *ret = NULL;
	const char *status;
	int pid = qemu_pid(m);

	(void)err;
	if (pid == 0) {
		*st = kl_path_exists(disk) ? KL_STATE_STOPPED : KL_STATE_NONEXISTENT;
		free(disk);
		return 0;
	}
	free(disk);
	if (qmp(m, "query-status", NULL, &ret, NULL) != 0) {
		*st = KL_STATE_ERROR;
		return 0;
	}
	status = kl_json_str(ret, "status");
	if (status && strcmp(status, "running") == 0)
		*st = KL_STATE_RUNNING;
	else if (status && (strcmp(status, "paused") == 0 || strcmp(status, "suspended") == 0))
		*st = KL_STATE_PAUSED;
	else if (status && strcmp(status, "shutdown") == 0)
		*st = KL_STATE_STOPPED;
	else
		*st = KL_STATE_ERROR;
	json_decref(ret);
	return 0;
}

static int
create(struct kl_machine *m, struct kl_err *err)
{
	if (kl_vm_check(m, err) != 0 || kl_vm_prepare(m, err) != 0)
		return -1;
	return kl_machine_save_state(m, err);
}

/* The recorded port when it is still free, else a new one. */
static int
pick_port(struct kl_machine *m, const char *key, struct kl_err *err)
{
	int port = (int)kl_json_int(m->state, key, 0);

	if (port > 0 && kl_port_free(port))
		return port;
	port = kl_free_port(err);
	if (port > 0)
		json_object_set_new(m->state, key, json_integer(port));
	return port;
}

static int
start(struct kl_machine *m, struct kl_err *err)
{
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_run_result res;
	struct kl_runner *local = NULL;
	char *qemu = kl_find_program(QEMU_BIN), *pidfile = kl_machine_path(m, "qemu.pid");
	char *serial = kl_machine_path(m, "serial.log");
	int ssh_port, api_port, rc = -1;

	kl_run_result_init(&res);
	if (qemu == NULL) {
		kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "cannot start '%s': %s is not installed", m->name, QEMU_BIN);
		goto out;
	}
	if (qemu_pid(m) != 0) {
		rc = 0; /* already running */
		goto out;
	}
	if (kl_vm_check(m, err) != 0 || kl_vm_prepare(m, err) != 0)
		goto out;
	if ((ssh_port = pick_port(m, "SSHPort", err)) < 0 || (api_port = pick_port(m, "APIPort", err)) < 0)
		goto out;
	json_object_del(m->state, "Forwards");
	kl_qemu_argv(m, qemu, kl_vm_accel(m), ssh_port, api_port, &argv);
	unlink(pidfile);
	local = kl_runner_local_new();
	if (kl_runner_run(local, kl_strvec_argv(&argv), &(struct kl_run_opts){ .timeout_ms = 60000 }, &res,
			  err) != 0)
		goto out;
	if (res.status != 0) {
		kl_strbuf_rtrim(&res.err);
		kl_err_set(err, KL_R_GUEST_BOOT, "cannot start '%s': qemu exited with status %d: %s", m->name,
			   res.status, res.err.len ? res.err.buf : "no message");
		goto out;
	}
	json_object_set_new(m->state, "PID", json_integer(kl_pidfile_read(pidfile)));
	kl_machine_record_shares(m);
	rc = kl_machine_save_state(m, err);
out:
	kl_runner_free(local);
	kl_run_result_release(&res);
	kl_strvec_clear(&argv);
	free(serial);
	free(pidfile);
	free(qemu);
	return rc;
}

static int
wait_exit(int pid, int timeout_ms)
{

	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (!kl_pid_alive(pid, "qemu"))
			return 0;
		kl_sleep_ms(50);
	}
	return !kl_pid_alive(pid, "qemu") ? 0 : -1;
}

static int
kill_machine(struct kl_machine *m, struct kl_err *err)
{
	int pid = qemu_pid(m);

	if (pid == 0)
		return 0;
	if (kill(pid, SIGKILL) != 0 && errno != ESRCH)
		return kl_err_errno(err, KL_R_DRIVER, "cannot kill qemu (pid %d) of '%s'", pid, m->name);
	if (wait_exit(pid, 5000) != 0)
		return kl_err_set(err, KL_R_DRIVER_TIMEOUT, "qemu (pid %d) of '%s' did not exit", pid, m->name);
	return 0;
}

static int
stop(struct kl_machine *m, int timeout_ms, struct kl_err *err)
{
	int pid = qemu_pid(m);

	if (pid == 0)
		return 0;
	/* ACPI power-down first, so the guest flushes its disk; then quit; then kill. */
	if (qmp(m, "system_powerdown", NULL, NULL, NULL) == 0 && wait_exit(pid, timeout_ms) == 0)
		return 0;
	kl_warn("'%s' did not power down in %d ms; quitting qemu", m->name, timeout_ms);
	if (qmp(m, "quit", NULL, NULL, NULL) == 0 && wait_exit(pid, 5000) == 0)
		return 0;
	return kill_machine(m, err);
}

static int
remove_machine(struct kl_machine *m, struct kl_err *err)
{
	if (kill_machine(m, err) != 0)
		return -1;
	return kl_remove_tree(m->dir, err);
}

static int
ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err)
{
	(void)m;
	(void)err;
	/* User-mode networking: the host reaches the guest through forwards on loopback. */
	snprintf(buf, len, "127.0.0.1");
	return 0;
}

static int
endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err)
{
	char key[16], *cmd;
	json_t *fwd, *ret = NULL;
	int port, rc;

	snprintf(ep->host, sizeof(ep->host), "127.0.0.1");
	if (guest_port == 22 || guest_port == m->spec.apiserver_port) {
		ep->port = (int)kl_json_int(m->state, guest_port == 22 ? "SSHPort" : "APIPort", 0);
		return ep->port > 0 ? 0 : kl_err_set(err, KL_R_GUEST_NOT_RUNNING, "'%s' has no forwarded port %d",
							  m->name, guest_port);
	}
	/* Any other port: add a forward at run time and remember it until the next start. */
	snprintf(key, sizeof(key), "%d", guest_port);
	fwd = json_object_get(m->state, "Forwards");
	if (fwd && json_is_integer(json_object_get(fwd, key))) {
		ep->port = (int)json_integer_value(json_object_get(fwd, key));
		return 0;
	}
	if ((port = kl_free_port(err)) < 0)
		return -1;
	cmd = kl_xasprintf("hostfwd_add net0 tcp:127.0.0.1:%d-:%d", port, guest_port);
	rc = qmp(m, "human-monitor-command", json_pack("{s:s}", "command-line", cmd), &ret, err);
	/* The human monitor answers with an empty string on success. */
	if (rc == 0 && json_string_length(ret) > 0)
		rc = kl_err_set(err, KL_R_DRIVER, "cannot forward port %d of '%s': %s", guest_port, m->name,
				json_string_value(ret));
	if (rc == 0) {
		if (fwd == NULL)
			json_object_set_new(m->state, "Forwards", fwd = json_object());
		json_object_set_new(fwd, key, json_integer(port));
		ep->port = port;
		rc = kl_machine_save_state(m, err);
	}
	json_decref(ret);
	free(cmd);
	return rc;
}

static int
ssh_endpoint(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err)
{
	kl_vm_ssh_files(m, ep);
	return endpoint(m, 22, &ep->addr, err);
}

static int
pause_machine(struct kl_machine *m, struct kl_err *err)
{
	return qmp(m, "stop", NULL, NULL, err);
}

static int
unpause_machine(struct kl_machine *m, struct kl_err *err)
{
	return qmp(m, "cont", NULL, NULL, err);
}

const struct kl_driver_ops kl_driver_qemu = {
	.name = "qemu",
	.alias = "qemu2",
	.priority = 20,
	.caps = KL_CAP_VM | KL_CAP_AUTO | KL_CAP_SHARE | KL_CAP_DISK_BASE,
	.health = health,
	.create = create,
	.start = start,
	.stop = stop,
	.kill = kill_machine,
	.remove = remove_machine,
	.state = state,
	.ip = ip,
	.ssh_endpoint = ssh_endpoint,
	.endpoint = endpoint,
	.pause = pause_machine,
	.unpause = unpause_machine,
};
