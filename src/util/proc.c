/* proc.c: the one process spawner (posix_spawn), PIDs and pidfiles. */
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
kl_spawn(const char *const *argv, const struct kl_spawn *how, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	/* What we ignore or catch (SIGPIPE, SIGINT ...) is the default again in the child. */
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGQUIT);
	sigaddset(&defaults, SIGCHLD);
	for (int i = 0; i < 3; i++) {
		if (how->log_path && i > 0)
			break;
		if (how->fd[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, how->fd[i], i);
		else
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
	}
	if (how->log_path) {
		posix_spawn_file_actions_addopen(&fa, 1, how->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	/* Nothing else of ours goes with it: a daemon that kept an inherited descriptor (a
	 * caller's `flock` lock, a pipe) would hold it for as long as it runs. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	if (how->session) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	} else {
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	}
	rc = posix_spawnp(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int
kl_spawn_detached(const char *const *argv, const char *log_path, pid_t *pid, struct kl_err *err)
{
	const struct kl_spawn how = { .fd = { -1, -1, -1 }, .log_path = log_path, .session = 1 };
	int rc = kl_spawn(argv, &how, pid);

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
