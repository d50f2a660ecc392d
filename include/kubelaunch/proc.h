/* proc.h: long-lived child processes (vfkit, a supervised kubelet, a port proxy). */
#ifndef KL_PROC_H
#define KL_PROC_H

#include <sys/types.h>

#include "kubelaunch/err.h"

/* How a child starts: its stdin, stdout and stderr (-1: /dev/null), or stdout and stderr
 * appended to log_path; in its own session (detached: a daemon) or in its own process
 * group (so that a timeout ends it and what it started). Signal dispositions and mask
 * are the defaults in the child whatever ours are. */
struct kl_spawn {
	int fd[3];
	const char *log_path;
	int session;
};
/* The one spawner: posix_spawnp. 0, or an errno value (ENOENT: no such program). */
int kl_spawn(const char *const *argv, const struct kl_spawn *how, pid_t *pid);

/* Start argv in its own session, detached from us, stdout and stderr appended to
 * `log_path` (or /dev/null), stdin from /dev/null. *pid is the child's PID. */
int kl_spawn_detached(const char *const *argv, const char *log_path, pid_t *pid, struct kl_err *err);

/* The process name `kubelaunch supervise` gives itself (prctl) whatever the binary is
 * called. start, stop and status know a supervisor by its prefix, which those of
 * earlier versions (named after a binary called kubelaunch) share. */
#define KL_SUPERVISOR_COMM "kubelaunch-sv"
#define KL_SUPERVISOR_PREFIX "kubelaunch"

/* A process that is alive, not a zombie, and (when comm is not NULL) whose name
 * starts with `comm`: the one we started, not a recycled PID. */
int kl_pid_alive(int pid, const char *comm);
/* The PID in a pidfile, or 0. */
int kl_pidfile_read(const char *path);

#endif
