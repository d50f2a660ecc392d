/* runner.c: the runner interface: dispatch, results, quoting, the transcript, copy sources. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/hash.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "runner-int.h"

/* How many lines of output a failed command's error carries. */
#define KL_CHECK_TAIL_LINES 5

void
kl_run_result_init(struct kl_run_result *res)
{
	res->status = -1;
	kl_strbuf_init(&res->out, 0);
	kl_strbuf_init(&res->err, 0);
}

void
kl_run_result_release(struct kl_run_result *res)
{
	if (res == NULL)
		return;
	kl_strbuf_release(&res->out);
	kl_strbuf_release(&res->err);
	res->status = -1;
}

void
kl_run_result_feed(struct kl_run_result *res, const struct kl_run_opts *opts, int fd,
		   const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (opts && opts->on_output)
		opts->on_output(opts->arg, fd, buf, len);
	if (fd == 2)
		kl_strbuf_add(&res->err, buf, len);
	else if (opts == NULL || opts->on_output == NULL)
		kl_strbuf_add(&res->out, buf, len);
}


static int
shell_safe(const char *s, int first)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		/* A bare NAME=value in first place would be an assignment, not a command. */
		if (c == '=' && first)
			return 0;
		if (strchr("_./=:,@%+-", c) == NULL)
			return 0;
	}
	return 1;
}

void
kl_shell_quote_argv(struct kl_strbuf *sb, const char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		if (i > 0)
			kl_strbuf_addch(sb, ' ');
		if (shell_safe(argv[i], i == 0))
			kl_strbuf_addstr(sb, argv[i]);
		else
			kl_strbuf_add_shquoted(sb, argv[i]);
	}
}

char *
kl_runner_describe(const char *const *argv, size_t max)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;

	kl_shell_quote_argv(&sb, argv);
	if (sb.len > max) {
		kl_strbuf_setlen(&sb, max);
		kl_strbuf_addstr(&sb, "...");
	}
	return kl_strbuf_detach(&sb, NULL);
}

void
kl_runner_init(struct kl_runner *r, const struct kl_runner_ops *ops)
{
	r->ops = ops;
	r->transcript = NULL;
}

void
kl_runner_set_transcript(struct kl_runner *r, struct kl_strbuf *sb)
{
	r->transcript = sb;
}

void
kl_runner_record(struct kl_runner *r, const char *const *argv, int sudo)
{
	if (r->transcript == NULL)
		return;
	if (sudo)
		kl_strbuf_addstr(r->transcript, "sudo -n ");
	kl_shell_quote_argv(r->transcript, argv);
	kl_strbuf_addch(r->transcript, '\n');
}

int
kl_runner_run(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
	      struct kl_run_result *res, struct kl_err *err)
{
	static const struct kl_run_opts none;
	struct kl_run_result scratch;
	int rc;

	if (argv == NULL || argv[0] == NULL)
		return kl_err_set(err, KL_R_PROGRAM, "cannot run an empty command");
	if (opts == NULL)
		opts = &none;
	kl_runner_record(r, argv, opts->sudo);
	if (res == NULL) {
		kl_run_result_init(&scratch);
		rc = r->ops->run(r, argv, opts, NULL, &scratch, err);
		kl_run_result_release(&scratch);
		return rc;
	}
	return r->ops->run(r, argv, opts, NULL, res, err);
}

/* The last `n` non-empty lines of `sb`, on the same line (an error is one line):
 * " first | second | ...". */
static void
add_tail(struct kl_strbuf *msg, const struct kl_strbuf *sb, int n)
{
	const char *end = sb->buf + sb->len, *start;
	int lines = 0;

	while (end > sb->buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > sb->buf && lines < n) {
		start--;
		if (*start == '\n' && ++lines == n) {
			start++;
			break;
		}
	}
	for (const char *p = start, *sep = " "; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p), len = line;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0) {
			kl_strbuf_addstr(msg, sep);
			kl_strbuf_add(msg, p, len > 300 ? 300 : len);
			sep = " | ";
		}
		p += line + 1;
	}
}

int
kl_runner_check(struct kl_runner *r, const char *const *argv, const struct kl_run_opts *opts,
		struct kl_run_result *res, enum kl_reason reason, struct kl_err *err)
{
	struct kl_run_result scratch, *rr = res;
	struct kl_strbuf msg = KL_STRBUF_INIT;
	char *what = NULL;
	int rc = -1;

	if (rr == NULL) {
		rr = &scratch;
		kl_run_result_init(rr);
	}
	if (kl_runner_run(r, argv, opts, rr, err) != 0)
		goto out;
	if (rr->status == 0) {
		rc = 0;
		goto out;
	}
	what = kl_runner_describe(argv, 200);
	if (rr->status > 128)
		kl_strbuf_addf(&msg, "command \"%s\" was killed by signal %d", what, rr->status - 128);
	else
		kl_strbuf_addf(&msg, "command \"%s\" failed with exit status %d", what, rr->status);
	if (rr->err.len > 0 || rr->out.len > 0)
		kl_strbuf_addch(&msg, ':');
	add_tail(&msg, rr->err.len > 0 ? &rr->err : &rr->out, KL_CHECK_TAIL_LINES);
	kl_debug("runner: %s", msg.buf);
	kl_err_set(err, reason, "%s", msg.buf);
out:
	if (rr == &scratch)
		kl_run_result_release(rr);
	kl_strbuf_release(&msg);
	free(what);
	return rc;
}

char *
kl_copy_tmp_name(const char *dst)
{
	const char *slash = strrchr(dst, '/');

	if (slash == NULL)
		return kl_xasprintf(".%s.kl-tmp", dst);
	return kl_xasprintf("%.*s/.%s.kl-tmp", (int)(slash - dst), dst, slash + 1);
}

/* Run with `in` as stdin, recorded in the transcript like any command. */
static int
run_in(struct kl_runner *r, const char *const *argv, int sudo, struct kl_copy_src *in,
       struct kl_run_result *res, struct kl_err *err)
{
	struct kl_run_opts opts = { 0 };

	opts.sudo = sudo;
	kl_runner_record(r, argv, sudo);
	return r->ops->run(r, argv, &opts, in, res, err);
}

/*
 * The installing script: $1 the temporary name, $2 the mode, $3 the destination,
 * $4 the size. The temporary file goes away on any failure; an identical destination
 * is left alone and the script says "unchanged".
 */
static const char install_script[] =
	"set -e; trap 'rm -f -- \"$1\"' EXIT; mkdir -p -- \"$(dirname -- \"$3\")\"; umask 077; "
	"cat > \"$1\"; s=$(wc -c < \"$1\"); "
	"[ \"$s\" -eq \"$4\" ] || { echo \"wrote $s bytes of $4\" >&2; exit 3; }; "
	"if cmp -s -- \"$1\" \"$3\"; then echo unchanged; exit 0; fi; "
	"chmod \"$2\" -- \"$1\"; mv -f -- \"$1\" \"$3\"";

/* Up to this size a file is sent at once and compared on the machine (one command);
 * above it, the machine's sha256 is asked first, so identical files are not sent. */
#define COPY_SMALL (256 * 1024)

int
kl_runner_copy_by_commands(struct kl_runner *r, struct kl_copy_src *src, const char *dst,
			   mode_t mode, int sudo, int *copied, struct kl_err *err)
{
	char want[65], mode_s[16], size_s[32], *tmp = kl_copy_tmp_name(dst);
	const char *sum_argv[] = { "sha256sum", "--", dst, NULL };
	const char *put_argv[] = { "sh", "-c", install_script, "sh", tmp, mode_s, dst, size_s, NULL };
	struct kl_run_result res;
	int rc = -1;

	kl_run_result_init(&res);
	*copied = 0;
	snprintf(mode_s, sizeof(mode_s), "%04o", (unsigned)(mode & 07777));
	snprintf(size_s, sizeof(size_s), "%zu", src->len);
	if (kl_copy_src_sha256(src, want, err) != 0)
		goto out;
	if (src->len > COPY_SMALL) {
		if (run_in(r, sum_argv, sudo, NULL, &res, err) != 0)
			goto out;
		if (res.status == 0 && res.out.len >= 64 && memcmp(res.out.buf, want, 64) == 0) {
			kl_debug("runner: '%s' is up to date (sha256 %s)", dst, want);
			rc = 0;
			goto out;
		}
		kl_run_result_release(&res);
		kl_run_result_init(&res);
	}
	if (run_in(r, put_argv, sudo, src, &res, err) != 0) {
		kl_err_wrap(err, "cannot copy to '%s'", dst);
		goto out;
	}
	if (res.status != 0) {
		kl_strbuf_rtrim(&res.err);
		kl_err_set(err, KL_R_GUEST, "cannot copy to '%s': exit status %d: %.300s", dst, res.status,
			   res.err.buf);
		goto out;
	}
	*copied = !(res.out.len >= 9 && strncmp(res.out.buf, "unchanged", 9) == 0);
	kl_debug("runner: %s %zu bytes to '%s' (sha256 %s)", *copied ? "copied" : "identical", src->len, dst, want);
	rc = 0;
out:
	kl_run_result_release(&res);
	free(tmp);
	return rc;
}

static int
copy(struct kl_runner *r, struct kl_copy_src *src, const char *dst, mode_t mode, int sudo,
     int *copied, struct kl_err *err)
{
	int sent = 0, rc;

	/* A comment line in the transcript, before the commands the copy sends (if any). */
	if (r->transcript) {
		const char *src_word[] = { src->path, NULL }, *dst_word[] = { dst, NULL };

		kl_strbuf_addstr(r->transcript, "# copy ");
		if (src->path)
			kl_shell_quote_argv(r->transcript, src_word);
		else
			kl_strbuf_addf(r->transcript, "%zu bytes", src->len);
		kl_strbuf_addstr(r->transcript, " to ");
		kl_shell_quote_argv(r->transcript, dst_word);
		kl_strbuf_addf(r->transcript, " mode %04o%s\n", (unsigned)(mode & 07777), sudo ? " as root" : "");
	}
	if (dst[0] != '/')
		return kl_err_set(err, KL_R_PROGRAM, "cannot copy to '%s': not an absolute path", dst);
	if (kl_copy_src_open(src, err) != 0)
		return -1;
	rc = r->ops->copy(r, src, dst, mode, sudo, &sent, err);
	kl_copy_src_close(src);
	if (copied)
		*copied = sent;
	return rc;
}

int
kl_runner_copy_file(struct kl_runner *r, const char *src, const char *dst, mode_t mode, int sudo,
		    int *copied, struct kl_err *err)
{
	struct kl_copy_src s = { src, NULL, 0, -1 };

	return copy(r, &s, dst, mode, sudo, copied, err);
}

int
kl_runner_copy_data(struct kl_runner *r, const void *data, size_t len, const char *dst,
		    mode_t mode, int sudo, int *copied, struct kl_err *err)
{
	struct kl_copy_src s = { NULL, data, len, -1 };

	return copy(r, &s, dst, mode, sudo, copied, err);
}

void
kl_runner_free(struct kl_runner *r)
{
	if (r)
		r->ops->free(r);
}

int
kl_copy_src_open(struct kl_copy_src *s, struct kl_err *err)
{
	struct stat st;

	if (s->path == NULL)
		return 0;
	s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", s->path);
	if (fstat(s->fd, &st) != 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", s->path);
		kl_copy_src_close(s);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		kl_copy_src_close(s);
		return kl_err_set(err, KL_R_HOST_IO, "cannot copy '%s': not a regular file", s->path);
	}
	s->len = (size_t)st.st_size;
	return 0;
}

ssize_t
kl_copy_src_read(struct kl_copy_src *s, size_t off, void *buf, size_t n, struct kl_err *err)
{
	ssize_t got;

	if (s->path == NULL) {
		if (off >= s->len)
			return 0;
		if (n > s->len - off)
			n = s->len - off;
		memcpy(buf, (const char *)s->data + off, n);
		return (ssize_t)n;
	}
	do
		got = pread(s->fd, buf, n, (off_t)off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", s->path);
	return got;
}

int
kl_copy_src_sha256(struct kl_copy_src *s, char hex[65], struct kl_err *err)
{
	if (s->path)
		return kl_sha256_fd(s->fd, s->path, hex, err);
	kl_sha256_buf(s->data, s->len, hex);
	return 0;
}

void
kl_copy_src_close(struct kl_copy_src *s)
{
	if (s->path && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
