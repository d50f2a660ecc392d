/* proc.c: start a detached process (double fork is not needed: we keep its PID). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/strbuf.h"

extern char **environ;

int
kl_spawn_detached(const char *const *argv, const char *log_path, pid_t *pid, struct kl_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log_path ? log_path : "/dev/null",
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		return kl_err_errno(err, KL_R_HOST, "cannot start '%s'", argv[0]);
	}
	return 0;
}

int
kl_pid_alive(int pid, const char *comm)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char path[64];
	int ok;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	ok = kl_read_file(path, &sb, NULL) == 0 && (comm == NULL || strncmp(sb.buf, comm, strlen(comm)) == 0);
	/* A zombie is not alive. */
	if (ok) {
		kl_strbuf_reset(&sb);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (kl_read_file(path, &sb, NULL) == 0) {
			const char *p = strrchr(sb.buf, ')');
			ok = !(p && p[1] == ' ' && p[2] == 'Z');
		}
	}
	kl_strbuf_release(&sb);
	return ok;
}

int
kl_pidfile_read(const char *path)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	long pid = 0;

	if (kl_read_file(path, &sb, NULL) == 0)
		pid = strtol(sb.buf, NULL, 10);
	kl_strbuf_release(&sb);
	return pid > 0 && pid < 1 << 22 ? (int)pid : 0;
}
