/* runner.h: how commands run on a machine: local exec or SSH (libssh). */
#ifndef KL_RUNNER_H
#define KL_RUNNER_H

#include <stddef.h>
#include <sys/types.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

struct kl_runner;

struct kl_run_opts {
	int timeout_ms;         /* 0: no limit; past it the command is ended: GUEST_TIMEOUT */
	int sudo;               /* run as root (sudo -n on SSH when the user is not root) */
	const void *stdin_data; /* fed to the command's stdin, then EOF */
	size_t stdin_len;
	/* Streaming: called with each chunk as it arrives (fd 1 or 2). */
	void (*on_output)(void *arg, int fd, const char *buf, size_t len);
	void *arg;
};

struct kl_run_result {
	int status;             /* the exit status, or 128+signal */
	struct kl_strbuf out;   /* stdout, unless streamed only */
	struct kl_strbuf err;   /* stderr */
};

void kl_run_result_init(struct kl_run_result *res);
void kl_run_result_release(struct kl_run_result *res);

/* The host itself. */
struct kl_runner *kl_runner_local_new(void);

struct kl_ssh_target {
	const char *host;
	int port;
	const char *user;
	const char *key_path;        /* private key (ed25519) */
	const char *known_hosts;     /* pin file: written on first contact, checked after */
	int connect_timeout_ms;      /* one attempt */
	int retry_ms;                /* keep retrying with backoff for this long (SSH coming up) */
};

/* Connect (with retries while SSH comes up) and authenticate with the key. A host key
 * that differs from the pinned one is GUEST_HOST_KEY_MISMATCH; no answer in time is
 * GUEST_SSH naming host and port. */
struct kl_runner *kl_runner_ssh_new(const struct kl_ssh_target *t, struct kl_err *err);

/* Run argv (argv[0] is the program). On SSH the words are quoted for the remote shell
 * by kl_shell_quote_argv. Returns 0 when the command ran (whatever its status), -1 on
 * a transport failure or timeout. */
int kl_runner_run(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
		  struct kl_run_result *res, struct kl_err *err);
/* Like kl_runner_run, but a non-zero status is an error (reason given by the caller)
 * whose message carries the command and the last lines of its stderr. */
int kl_runner_check(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
		    struct kl_run_result *res, enum kl_reason reason, struct kl_err *err);
/* Copy a local file or a buffer to `dst` with `mode` (as root when sudo is set),
 * through a temporary name and a rename; skipped when dst already has the same
 * sha256. *copied (may be NULL) tells whether bytes were sent. */
int kl_runner_copy_file(struct kl_runner *r, const char *src, const char *dst, mode_t mode, int sudo,
			int *copied, struct kl_err *err);
int kl_runner_copy_data(struct kl_runner *r, const void *data, size_t len, const char *dst,
			mode_t mode, int sudo, int *copied, struct kl_err *err);
void kl_runner_free(struct kl_runner *r);

/* argv as one POSIX shell command line: every word single-quoted as needed. */
void kl_shell_quote_argv(struct kl_strbuf *sb, const char *const *argv);

/* A new ed25519 key pair: `path` (0600) and `path`.pub (OpenSSH format). */
int kl_ssh_keygen(const char *path, struct kl_err *err);

/* The transcript seam for unit tests: when set, every command a runner would send is
 * appended to `sb`, shell-quoted, one per line. */
void kl_runner_set_transcript(struct kl_runner *r, struct kl_strbuf *sb);

#endif
