/*
 * supervise.c: `kubelaunch supervise --pidfile P --log L -- ARGV...` (hidden).
 *
 * On a host without systemd (the none driver in a container, CI), kubelaunch keeps
 * containerd and kubelet running itself: this process runs ARGV, restarts it when it
 * exits (with a growing pause, as systemd's Restart=always would), and on SIGTERM
 * passes the signal on and exits. `start` launches it detached; `stop` and `delete`
 * end it by the PID in its pidfile.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/cmd.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/strvec.h"
#include "kubelaunch/xalloc.h"

static const struct kl_opt opts[] = {
	{ "pidfile", 0, KL_OPT_STRING, "PATH", "where the supervisor writes its PID", NULL },
	{ "log", 0, KL_OPT_STRING, "PATH", "where the child's output goes", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
run(struct kl_ctx *ctx, struct kl_err *err)
{
	const char *pidfile = kl_args_str(&ctx->args, "pidfile", NULL), *log = kl_args_str(&ctx->args, "log", NULL);
	struct sigaction sa = { .sa_handler = on_term };
	char pidtext[32];
	/* The first restart comes after 250 ms (kubelet exits at once when it starts a
	 * moment before containerd's CRI is ready), then backs off. */
	unsigned delay_ms = 125;

	if (pidfile == NULL)
		return kl_err_set(err, KL_R_USAGE, "supervise needs --pidfile and a command after --");
	prctl(PR_SET_NAME, KL_SUPERVISOR_COMM, 0, 0, 0);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)getpid());
	if (kl_write_file_atomic(pidfile, pidtext, strlen(pidtext), 0644, err) != 0)
		return -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		pid_t child;
		int status = 0;
		time_t started = time(NULL);

		if (kl_spawn_detached((const char *const *)ctx->args.argv, log, &child, err) != 0)
			return -1;
		while (waitpid(child, &status, 0) < 0) {
			if (errno != EINTR)
				break;
			if (stopping) {
				kill(child, SIGTERM);
				/* A child that ignores SIGTERM for 15 s is killed. */
				for (int i = 0; i < 150 && waitpid(child, &status, WNOHANG) == 0; i++)
					kl_sleep_ms(100);
				kill(child, SIGKILL);
			}
		}
		if (stopping)
			break;
		/* A child that ran a while restarts quickly; a crash loop backs off to 10 s. */
		delay_ms = time(NULL) - started > 30 ? 500 : (delay_ms * 2 > 10000 ? 10000 : delay_ms * 2);
		kl_sleep_ms(delay_ms);
	}
	unlink(pidfile);
	return 0;
}

static char *
self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return kl_xstrdup("kubelaunch");
	buf[n] = '\0';
	return kl_xstrdup(buf);
}

/* This command's own command line, detached: what start passes the cluster layer. */
int
kl_supervise_spawn(const char *const *argv, const char *pidfile, const char *log, struct kl_err *err)
{
	struct kl_strvec sv = KL_STRVEC_INIT;
	char *exe = self_exe();
	pid_t pid;
	int rc;

	kl_strvec_push(&sv, exe);
	kl_strvec_push(&sv, "supervise");
	kl_strvec_pushf(&sv, "--pidfile=%s", pidfile);
	kl_strvec_pushf(&sv, "--log=%s", log);
	kl_strvec_push(&sv, "--");
	for (; *argv; argv++)
		kl_strvec_push(&sv, *argv);
	rc = kl_spawn_detached(kl_strvec_argv(&sv), NULL, &pid, err);
	kl_strvec_clear(&sv);
	free(exe);
	return rc;
}

const struct kl_cmd kl_cmd_supervise = {
	.name = "supervise",
	.summary = "Keep a process running (used on hosts without systemd)",
	.usage = "supervise --pidfile PATH [--log PATH] -- COMMAND [ARG...]",
	.opts = opts,
	.flags = KL_CMD_HIDDEN,
	.min_args = 1,
	.max_args = KL_ARGS_ANY,
	.args = "a command after --",
	.run = run,
};
