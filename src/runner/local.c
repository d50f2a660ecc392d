/* local.c: the local runner: posix_spawn with pipes, poll, timeouts, local file copies. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/log.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/xalloc.h"
#include "runner-int.h"

/* How long a timed-out command has between SIGTERM and SIGKILL. */
#define KL_LOCAL_KILL_GRACE_MS 1000
#define KL_LOCAL_CHUNK 65536

struct kl_runner_local {
	struct kl_runner base;
};

/* What is fed to the command's stdin: a buffer or a copy source. */
struct feed {
	struct kl_copy_src *src;
	const char *data;
	size_t len, off;
	char *chunk;             /* for a source: bytes read but not yet written */
	size_t chunk_len, chunk_off;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Write what the pipe takes now; 1 when everything is written, 0 for more, -1 on error. */
static int
feed_write(struct feed *f, int fd, struct kl_err *err)
{
	for (;;) {
		const char *p;
		size_t n;
		ssize_t w;

		if (f->src) {
			if (f->chunk_off == f->chunk_len) {
				ssize_t got = kl_copy_src_read(f->src, f->off, f->chunk, KL_LOCAL_CHUNK, err);

				if (got < 0)
					return -1;
				if (got == 0)
					return 1;
				f->off += (size_t)got;
				f->chunk_len = (size_t)got;
				f->chunk_off = 0;
			}
			p = f->chunk + f->chunk_off;
			n = f->chunk_len - f->chunk_off;
		} else {
			if (f->off == f->len)
				return 1;
			p = f->data + f->off;
			n = f->len - f->off;
		}
		w = write(fd, p, n);
		if (w < 0)
			return errno == EINTR ? 0 : errno == EAGAIN ? 0 : 1; /* EPIPE: the command is done reading */
		if (f->src)
			f->chunk_off += (size_t)w;
		else
			f->off += (size_t)w;
	}
}

/* The exit status as the shell tells it: the code, or 128+signal. */
static int
wait_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

/* End the whole process group: SIGTERM, a grace period, then SIGKILL. Reaps pid. */
static int
kill_group(pid_t pid)
{
	long long until = kl_now_ms() + KL_LOCAL_KILL_GRACE_MS;
	int st = 0;
	pid_t w;

	kill(-pid, SIGTERM);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && kl_now_ms() < until)
		kl_sleep_ms(10);
	/* Children that outlive the leader or ignore SIGTERM go too. */
	kill(-pid, SIGKILL);
	if (w == 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	return wait_status(st);
}

static int
local_run(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
	  struct kl_copy_src *in, struct kl_run_result *res, struct kl_err *err)
{
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	struct feed f = { in, opts->stdin_data, opts->stdin_len, 0, NULL, 0, 0 };
	long long deadline = opts->timeout_ms > 0 ? kl_now_ms() + opts->timeout_ms : -1;
	const char **full = NULL;
	sigset_t pipe_set, old_mask, pending;
	int pipe_was_pending, timed_out = 0, interrupted = 0, st = 0, rc = -1, e;
	char *buf = kl_xmalloc(KL_LOCAL_CHUNK);
	size_t argc = 0;
	pid_t pid = -1;

	(void)r;
	/* Writing to a command that stopped reading must be EPIPE, not a SIGPIPE for us. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	pipe_was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

	while (argv[argc])
		argc++;
	full = kl_xcalloc(argc + 3, sizeof(*full));
	if (opts->sudo && geteuid() != 0) {
		full[0] = "sudo";
		full[1] = "-n";
		memcpy(full + 2, argv, argc * sizeof(*full));
	} else {
		memcpy(full, argv, argc * sizeof(*full));
	}
	if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0) {
		kl_err_errno(err, KL_R_HOST, "cannot run '%s': cannot create pipes", argv[0]);
		goto out;
	}
	e = kl_spawn(full, &(const struct kl_spawn){ .fd = { in_p[0], out_p[1], err_p[1] } }, &pid);
	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	if (e != 0) {
		/* As a shell would say it: status 127 (126 when it is not executable). */
		kl_debug("runner: local: cannot run '%s': %s", full[0], strerror(e));
		kl_strbuf_addf(&res->err, "kubelaunch: cannot run '%s': %s\n", full[0], strerror(e));
		res->status = e == ENOENT ? 127 : 126;
		pid = -1;
		rc = 0;
		goto out;
	}
	kl_debug("runner: local: started pid %d: %s%s", (int)pid, full[0], full[1] ? " ..." : "");
	fcntl(in_p[1], F_SETFL, O_NONBLOCK);
	if (in)
		f.chunk = kl_xmalloc(KL_LOCAL_CHUNK);
	if (in == NULL && f.len == 0)
		close_fd(&in_p[1]);
	while (out_p[0] >= 0 || err_p[0] >= 0 || in_p[1] >= 0) {
		struct pollfd pf[3] = { { in_p[1], POLLOUT, 0 }, { out_p[0], POLLIN, 0 }, { err_p[0], POLLIN, 0 } };
		int wait_ms = -1, n;

		if (deadline >= 0) {
			long long left = deadline - kl_now_ms();

			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait_ms = left > 1000 ? 1000 : (int)left;
		}
		n = poll(pf, 3, wait_ms);
		/*
		 * A signal with a handler (main's SIGINT and SIGTERM) interrupts the wait. The
		 * command sits in its own process group, away from the terminal's ^C, so it
		 * is ended here.
		 */
		if (n < 0 && errno == EINTR) {
			interrupted = 1;
			break;
		}
		if (n < 0) {
			kl_err_errno(err, KL_R_HOST, "cannot run '%s': poll", argv[0]);
			goto out;
		}
		if (n <= 0)
			continue;
		if (pf[0].revents) {
			int done = feed_write(&f, in_p[1], err);

			if (done < 0)
				goto out;
			if (done > 0 || (pf[0].revents & (POLLERR | POLLHUP)))
				close_fd(&in_p[1]);
		}
		for (int i = 1; i < 3; i++) {
			int *fd = i == 1 ? &out_p[0] : &err_p[0];
			ssize_t got;

			if (pf[i].revents == 0)
				continue;
			got = read(*fd, buf, KL_LOCAL_CHUNK);
			if (got > 0)
				kl_run_result_feed(res, opts, i, buf, (size_t)got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
				close_fd(fd);
		}
	}
	/* The pipes are closed; the command may still run (a daemon that closed them). */
	while (!timed_out && !interrupted) {
		pid_t w = waitpid(pid, &st, deadline >= 0 ? WNOHANG : 0);

		if (w == pid)
			break;
		if (w < 0 && errno == EINTR) {
			interrupted = 1;
			break;
		}
		if (w < 0) {
			kl_err_errno(err, KL_R_HOST, "cannot run '%s': waitpid", argv[0]);
			goto out;
		}
		if (w == 0 && kl_now_ms() >= deadline)
			timed_out = 1;
		else if (w == 0)
			kl_sleep_ms(5);
	}
	if (timed_out || interrupted) {
		char *what = kl_runner_describe(argv, 200);

		res->status = kill_group(pid);
		pid = -1;
		if (timed_out)
			kl_err_set(err, KL_R_GUEST_TIMEOUT, "command \"%s\" did not finish in %d ms", what,
				   opts->timeout_ms);
		else
			kl_err_set(err, KL_R_INTERRUPTED, "interrupted while running \"%s\"", what);
		free(what);
		goto out;
	}
	pid = -1;
	res->status = wait_status(st);
	kl_debug("runner: local: '%s' exited with status %d", argv[0], res->status);
	rc = 0;
out:
	if (pid > 0)
		kill_group(pid);
	close_fd(&in_p[0]);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	sigpending(&pending);
	if (!pipe_was_pending && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &(struct timespec){ 0, 0 });
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	free(f.chunk);
	free(full);
	free(buf);
	return rc;
}

/* A file this runner copies gets its source's modification time (take_time: through
 * fd when >= 0, else on dst), so the same size and time again is the same file
 * (rsync's quick check, quick_same), known without reading either: the binaries are
 * ~200 MB to hash on every start. Small files and data copies (no source file) are
 * always hashed: two small files written in one tick of the file system's clock
 * can have the same size and time. */
#define QUICK_CHECK_MIN (1024 * 1024)

static int
quick_same(struct kl_copy_src *src, const char *dst)
{
	struct stat s, d;

	return src->path && fstat(src->fd, &s) == 0 && s.st_size >= QUICK_CHECK_MIN && stat(dst, &d) == 0 &&
	       S_ISREG(d.st_mode) && d.st_size == s.st_size && d.st_mtim.tv_sec == s.st_mtim.tv_sec &&
	       d.st_mtim.tv_nsec == s.st_mtim.tv_nsec;
}

static int
take_time(struct kl_copy_src *src, int fd, const char *dst)
{
	struct stat s;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

	if (src->path == NULL || fstat(src->fd, &s) != 0)
		return 0;
	times[1] = s.st_mtim;
	return fd >= 0 ? futimens(fd, times) : utimensat(AT_FDCWD, dst, times, 0);
}

/* Copy into dst through a temporary file beside it; the caller checked the hash. */
static int
copy_direct(struct kl_copy_src *src, const char *dst, mode_t mode, struct kl_err *err)
{
	char *tmp = kl_copy_tmp_name(dst), *dir = kl_xstrdup(dst), *slash = strrchr(dir, '/');
	char *chunk = kl_xmalloc(KL_LOCAL_CHUNK);
	int fd = -1, rc = -1;
	size_t off = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		if (!kl_is_dir(dir) && kl_mkdir_p(dir, 0755, err) != 0)
			goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", tmp);
		goto out;
	}
	for (;;) {
		ssize_t got = kl_copy_src_read(src, off, chunk, KL_LOCAL_CHUNK, err);
		size_t done = 0;

		if (got < 0)
			goto out;
		if (got == 0)
			break;
		while (done < (size_t)got) {
			ssize_t w = write(fd, chunk + done, (size_t)got - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				kl_err_errno(err, errno == ENOSPC ? KL_R_RSRC_DISK : KL_R_HOST_IO,
					     "cannot write '%s'", tmp);
				goto out;
			}
			done += (size_t)w;
		}
		off += (size_t)got;
	}
	if (off != src->len) {
		kl_err_set(err, KL_R_HOST_IO, "cannot copy '%s': it changed while being copied",
			   src->path ? src->path : "data");
		goto out;
	}
	if (fchmod(fd, mode & 07777) != 0 || take_time(src, fd, NULL) != 0 || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		kl_err_errno(err, KL_R_HOST_IO, "cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot rename '%s' to '%s'", tmp, dst);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(chunk);
	free(tmp);
	free(dir);
	return rc;
}

static int
local_copy(struct kl_runner *r, struct kl_copy_src *src, const char *dst, mode_t mode, int sudo,
	   int *copied, struct kl_err *err)
{
	char want[65], have[65];
	struct kl_err ignored;

	*copied = 0;
	/* Root's files when we are not root: through `sudo -n` commands, as on a machine. */
	if (sudo && geteuid() != 0)
		return kl_runner_copy_by_commands(r, src, dst, mode, sudo, copied, err);
	if (quick_same(src, dst)) {
		kl_debug("runner: local: '%s' is up to date (same size and modification time)", dst);
		return 0;
	}
	if (kl_copy_src_sha256(src, want, err) != 0)
		return -1;
	if (kl_sha256_file(dst, have, &ignored) == 0 && strcmp(want, have) == 0) {
		kl_debug("runner: local: '%s' is up to date (sha256 %s)", dst, want);
		take_time(src, -1, dst); /* the quick check next time */
		return 0;
	}
	if (copy_direct(src, dst, mode, err) != 0)
		return -1;
	kl_debug("runner: local: copied %zu bytes to '%s' (sha256 %s)", src->len, dst, want);
	*copied = 1;
	return 0;
}

static void
local_free(struct kl_runner *r)
{
	free(r);
}

static const struct kl_runner_ops local_ops = {
	.run = local_run,
	.copy = local_copy,
	.free = local_free,
};

struct kl_runner *
kl_runner_local_new(void)
{
	struct kl_runner_local *l = kl_xcalloc(1, sizeof(*l));

	kl_runner_init(&l->base, &local_ops);
	return &l->base;
}
