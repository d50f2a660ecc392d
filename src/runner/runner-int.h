/* runner-int.h: what the runners share, private to src/runner/. */
#ifndef KL_RUNNER_INT_H
#define KL_RUNNER_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/runner.h"

/* What a copy sends: a file (read in chunks, never whole) or a buffer. */
struct kl_copy_src {
	const char *path;       /* NULL for a buffer */
	const void *data;
	size_t len;             /* for a file: its size, filled by kl_copy_src_open */
	int fd;
};

int kl_copy_src_open(struct kl_copy_src *s, struct kl_err *err);
/* Up to n bytes at offset off; 0 at the end, -1 with err set on a read error. */
ssize_t kl_copy_src_read(struct kl_copy_src *s, size_t off, void *buf, size_t n, struct kl_err *err);
/* The sha256 of the whole source as 64 lowercase hex digits. */
int kl_copy_src_sha256(struct kl_copy_src *s, char hex[65], struct kl_err *err);
void kl_copy_src_close(struct kl_copy_src *s);

/* The operations a runner implements; the dispatch in runner.c does the rest. */
struct kl_runner_ops {
	/* `in`, when not NULL, is the command's stdin instead of opts->stdin_data. */
	int (*run)(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
		   struct kl_copy_src *in, struct kl_run_result *res, struct kl_err *err);
	int (*copy)(struct kl_runner *r, struct kl_copy_src *src, const char *dst, mode_t mode,
		    int sudo, int *copied, struct kl_err *err);
	void (*free)(struct kl_runner *r);
};

struct kl_runner {
	const struct kl_runner_ops *ops;
	struct kl_strbuf *transcript;   /* the unit tests' seam, or NULL */
};

void kl_runner_init(struct kl_runner *r, const struct kl_runner_ops *ops);
/* Append one command to the transcript (when set): `sudo -n ` in front when asked. */
void kl_runner_record(struct kl_runner *r, const char *const *argv, int sudo);
/* Copy with shell commands through ops->run: compare `sha256sum`, then `cat` into a
 * temporary name beside dst, check the size, chmod, rename. */
int kl_runner_copy_by_commands(struct kl_runner *r, struct kl_copy_src *src, const char *dst,
			       mode_t mode, int sudo, int *copied, struct kl_err *err);
/* The temporary name a copy writes first: ".NAME.kl-tmp" beside dst. */
char *kl_copy_tmp_name(const char *dst);
/* The result's buffers get a chunk of output: streamed, and kept unless streamed stdout. */
void kl_run_result_feed(struct kl_run_result *res, const struct kl_run_opts *opts, int fd,
			const char *buf, size_t len);
/* argv as a short quoted line for messages (at most about `max` bytes). */
char *kl_runner_describe(const char *const *argv, size_t max);
/* Milliseconds on the monotonic clock. */

#endif
