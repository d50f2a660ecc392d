/*
 * logs.c: `kubelaunch logs [--file F] [-f] [-n LINES]`: what to look at when a start
 * fails. Sections, each "==> NAME <==" and its last lines: the last start's kubeadm
 * output (kept on the host), containerd, the kube-system containers (from
 * /var/log/pods: crictl is not on the machines), and kubelet. A machine that is not
 * running gives what the host keeps (kubeadm's output, a VM's serial log).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/out.h"
#include "kubelaunch/xalloc.h"

static const struct kl_opt opts[] = {
	{ "file", 0, KL_OPT_STRING, "FILE", "write the logs to FILE (mode 0600) instead of stdout", NULL },
	{ "follow", 'f', KL_OPT_BOOL, NULL, "then follow kubelet's log until interrupted", NULL },
	{ "length", 'n', KL_OPT_INT, "LINES", "the last LINES lines of each log", "60" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* A service's log: kubelaunch's supervisor's file where it keeps the service running
 * (hosts without systemd), else the journal. $1 lines, $2 the service. */
static const char service_script[] =
	"if [ -f \"/var/log/kubelaunch/$2.log\" ]; then tail -n \"$1\" \"/var/log/kubelaunch/$2.log\"; "
	"elif command -v journalctl >/dev/null 2>&1; then journalctl -u \"$2\" --no-pager -n \"$1\"; "
	"else echo \"no log of $2 on this machine\"; fi";

/* Each kube-system container's newest log file under /var/log/pods, as its own section
 * (the CRI prefix "TIME STREAM TAG " shortened to the time). $1 lines. */
static const char pods_script[] =
	"found=; for d in /var/log/pods/kube-system_*/*/; do\n"
	"  [ -d \"$d\" ] || continue\n"
	"  f=$(ls \"$d\" | grep '\\.log$' | sort -n | tail -n 1); [ -n \"$f\" ] || continue\n"
	"  pod=${d#/var/log/pods/kube-system_}; pod=${pod%%/*}; pod=${pod%_*}; c=${d%/}; c=${c##*/}\n"
	"  printf '==> %s (%s) <==\\n' \"$c\" \"$pod\"\n"
	"  tail -n \"$1\" \"$d$f\" | sed -E 's/^([^ ]+) (stdout|stderr) [FP] /\\1 /'; echo; found=1\n"
	"done\n"
	"[ -n \"$found\" ] || printf '==> control plane <==\\nno container logs under /var/log/pods\\n\\n'\n";

/* kubelet's log from now on (the caller ends it by an interrupt). */
static const char follow_script[] =
	"if [ -f /var/log/kubelaunch/kubelet.log ]; then exec tail -n 0 -F /var/log/kubelaunch/kubelet.log; "
	"else exec journalctl -u kubelet --no-pager -f -n 0; fi";

/* Bootstrap tokens in kubeadm's join lines are credentials: never copied out. */
static void
redact(struct kl_strbuf *sb)
{
	static const char *const flags[] = { "--token ", "--certificate-key " };

	for (size_t i = 0; i < KL_ARRAY_SIZE(flags); i++) {
		char *p = sb->buf;

		while ((p = strstr(p, flags[i])) != NULL) {
			char *v = p + strlen(flags[i]);
			size_t n = strcspn(v, " \t\\\n");
			struct kl_strbuf rest = KL_STRBUF_INIT;
			size_t at = (size_t)(v - sb->buf);

			kl_strbuf_addstr(&rest, v + n);
			kl_strbuf_setlen(sb, at);
			kl_strbuf_addstr(sb, "<redacted>");
			p = sb->buf + sb->len;
			kl_strbuf_addstr(sb, rest.buf);
			kl_strbuf_release(&rest);
		}
	}
}

/* The last `lines` lines of buf[0..len). */
static const char *
last_lines(const char *buf, size_t len, long long lines)
{
	const char *p = buf + len;

	if (len > 0 && p[-1] == '\n')
		p--;
	while (p > buf && lines > 0)
		if (*--p == '\n' && --lines == 0)
			return p + 1;
	return buf;
}

static void
section(FILE *fp, const char *name, const char *text, size_t len)
{
	fprintf(fp, "==> %s <==\n", name);
	fwrite(text, 1, len, fp);
	if (len > 0 && text[len - 1] != '\n')
		fputc('\n', fp);
	fputc('\n', fp);
}

/* A file kept on the host (kubeadm.log, serial.log), or a line saying it is missing. */
static void
host_section(FILE *fp, const char *name, const char *path, long long lines)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char *missing;
	const char *tail;

	if (kl_read_file(path, &sb, NULL) != 0) {
		missing = kl_xasprintf("%s: %s", path, strerror(errno));
		section(fp, name, missing, strlen(missing));
		free(missing);
	} else {
		redact(&sb);
		tail = last_lines(sb.buf, sb.len, lines);
		section(fp, name, tail, sb.len - (size_t)(tail - sb.buf));
	}
	kl_strbuf_release(&sb);
}

/* `script` as root on the machine with $1 = lines and $2 = arg; its output (and its
 * error output when it failed) under `name`, or raw when name is NULL (the script
 * prints its own headers). */
static int
machine_section(FILE *fp, struct kl_runner *r, const char *name, const char *script, long long lines,
		const char *arg, struct kl_err *err)
{
	char n[32];
	const char *argv[] = { "sh", "-c", script, "sh", n, arg, NULL };
	struct kl_run_opts ro = { .timeout_ms = 60000, .sudo = 1 };
	struct kl_run_result res;
	int rc = -1;

	snprintf(n, sizeof(n), "%lld", lines);
	kl_run_result_init(&res);
	if (kl_runner_run(r, argv, &ro, &res, err) != 0)
		goto out;
	if (res.status != 0)
		kl_strbuf_add(&res.out, res.err.buf, res.err.len);
	if (name)
		section(fp, name, res.out.buf, res.out.len);
	else
		fwrite(res.out.buf, 1, res.out.len, fp);
	fflush(fp);
	rc = 0;
out:
	kl_run_result_release(&res);
	return rc;
}

static void
relay(void *arg, int fd, const char *buf, size_t len)
{
	FILE *fp = arg;

	(void)fd;
	fwrite(buf, 1, len, fp);
	fflush(fp);
}

/* kubelet's log as it grows; an interrupt (^C) is the normal end. */
static int
follow(FILE *fp, struct kl_runner *r, struct kl_err *err)
{
	const char *argv[] = { "sh", "-c", follow_script, NULL };
	struct kl_run_opts ro = { .sudo = 1, .on_output = relay, .arg = fp };
	struct kl_run_result res;
	int rc;

	fprintf(fp, "==> kubelet (following; interrupt to stop) <==\n");
	fflush(fp);
	kl_run_result_init(&res);
	rc = kl_runner_run(r, argv, &ro, &res, err);
	if (rc != 0 && err->reason == KL_R_INTERRUPTED)
		rc = 0;
	else if (rc == 0 && res.status != 0)
		rc = kl_err_set(err, KL_R_GUEST, "cannot follow kubelet's log on the machine: %s", res.err.buf);
	kl_run_result_release(&res);
	return rc;
}

static FILE *
open_output(const char *path, struct kl_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *fp;

	if (fd < 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", path);
		return NULL;
	}
	/* An existing file keeps its mode otherwise: the logs may name secrets' paths. */
	if (fchmod(fd, 0600) != 0 || (fp = fdopen(fd, "w")) == NULL) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", path);
		close(fd);
		return NULL;
	}
	return fp;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *file = kl_args_str(&ctx->args, "file", NULL);
	long long lines = kl_args_int(&ctx->args, "length", 60);
	struct kl_runner *r = NULL;
	struct kl_cluster *c = ctx->cluster;
	enum kl_machine_state st;
	FILE *fp = stdout;
	char *path = NULL;
	int rc = -1;

	if (kl_driver_state(c->machine, &st, err) != 0)
		goto out;
	if (file && (fp = open_output(file, err)) == NULL)
		goto out;
	path = kl_machine_path(c->machine, "kubeadm.log");
	host_section(fp, "kubeadm (the last start)", path, lines);
	if (st != KL_STATE_RUNNING) {
		if (c->machine->driver->caps & KL_CAP_VM) {
			free(path);
			path = kl_machine_path(c->machine, "serial.log");
			host_section(fp, "serial console", path, lines);
		}
		fflush(fp);
		kl_out_warn(ctx->out, "\"%s\" is %s: only the logs kept on the host are shown; start it for the rest",
			    ctx->profile, kl_machine_state_name(st));
		rc = kl_args_bool(&ctx->args, "follow") ?
			     kl_err_set(err, KL_R_GUEST_NOT_RUNNING, "cannot follow kubelet's log: \"%s\" is %s",
					ctx->profile, kl_machine_state_name(st)) : 0;
		goto out;
	}
	if ((r = kl_cluster_connect(c, 30000, err)) == NULL ||
	    machine_section(fp, r, "containerd", service_script, lines, "containerd", err) != 0 ||
	    machine_section(fp, r, NULL, pods_script, lines, NULL, err) != 0 ||
	    machine_section(fp, r, "kubelet", service_script, lines, "kubelet", err) != 0)
		goto out;
	rc = kl_args_bool(&ctx->args, "follow") ? follow(fp, r, err) : 0;
out:
	if (fp != stdout && fp != NULL && fclose(fp) != 0 && rc == 0)
		rc = kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", file);
	kl_runner_free(r);
	free(path);
	return rc;
}

static int
check(struct kl_ctx *ctx, struct kl_err *err)
{
	if (kl_args_int(&ctx->args, "length", 60) < 1)
		return kl_err_set(err, KL_R_USAGE_VALUE, "'--length' must be at least 1");
	return 0;
}

const struct kl_cmd kl_cmd_logs = {
	.name = "logs",
	.summary = "Show the logs that explain a failed start: kubeadm, containerd, control plane, kubelet",
	.usage = "logs [--file FILE] [-f] [-n LINES]",
	.description = "Each log is a section headed \"==> NAME <==\" with its last LINES lines: the last\n"
		       "start's kubeadm output, containerd, the kube-system containers and kubelet.\n"
		       "With -f, kubelet's log is then followed until interrupted. For a machine that is\n"
		       "not running, only what the host keeps is shown (kubeadm's output, a VM's serial log).",
	.opts = opts,
	.flags = KL_CMD_NEEDS_HOME | KL_CMD_NEEDS_CLUSTER,
	.check = check,
	.run = run,
};
