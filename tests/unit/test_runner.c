/* The runner: quoting, the transcript seam, the local runner (processes, timeouts, copies). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

KL_TEST(runner_shell_quote_argv_table)
{
	static const struct {
		const char *argv[8];
		const char *line;
	} cases[] = {
		{ { "true" }, "true" },
		{ { "ls", "-la", "/var/lib/kubelaunch" }, "ls -la /var/lib/kubelaunch" },
		{ { "kubeadm", "init", "--config=/tmp/k.yaml", "--v=5" }, "kubeadm init --config=/tmp/k.yaml --v=5" },
		{ { "echo", "user@host:22,a+b%c" }, "echo user@host:22,a+b%c" },
		{ { "echo", "" }, "echo ''" },
		{ { "echo", "a b" }, "echo 'a b'" },
		{ { "echo", "it's" }, "echo 'it'\\''s'" },
		{ { "echo", "\"double\"" }, "echo '\"double\"'" },
		{ { "echo", "$(id)", "`id`", "$HOME" }, "echo '$(id)' '`id`' '$HOME'" },
		{ { "echo", "line\nbreak" }, "echo 'line\nbreak'" },
		{ { "echo", "*.yaml", "a?", "[x]", "~" }, "echo '*.yaml' 'a?' '[x]' '~'" },
		{ { "echo", "a;b", "a|b", "a&b", "a>b", "#c" }, "echo 'a;b' 'a|b' 'a&b' 'a>b' '#c'" },
		{ { "echo", "-n", "--", "\\" }, "echo -n -- '\\'" },
		{ { "FOO=bar", "x=y" }, "'FOO=bar' x=y" },
		{ { "sh", "-c", "echo \"$1\"", "sh", "tab\there" }, "sh -c 'echo \"$1\"' sh 'tab\there'" },
	};

	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++) {
		struct kl_strbuf sb = KL_STRBUF_INIT;

		kl_shell_quote_argv(&sb, cases[i].argv);
		CHECK_STR(sb.buf, cases[i].line);
		kl_strbuf_release(&sb);
	}
}

/* The quoted line, run by a real shell, gives back the same words. */
KL_TEST(runner_shell_quote_round_trips_through_sh)
{
	const char *words[] = { "printf", "[%s]\\n", "", "a b", "it's", "$(id)", "`id`", "*",
				"line\nbreak", "-n", "\\", "'", "\"", NULL };
	const char *expect = "[]\n[a b]\n[it's]\n[$(id)]\n[`id`]\n[*]\n[line\nbreak]\n[-n]\n[\\]\n[']\n[\"]\n";
	struct kl_strbuf line = KL_STRBUF_INIT;
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_result res;
	struct kl_err err = { 0 };
	const char *argv[] = { "sh", "-c", NULL, NULL };

	kl_run_result_init(&res);
	kl_shell_quote_argv(&line, words);
	argv[2] = line.buf;
	CHECK_INT(kl_runner_run(r, argv, NULL, &res, &err), 0);
	CHECK_INT(res.status, 0);
	CHECK_STR(res.out.buf, expect);
	kl_run_result_release(&res);
	kl_strbuf_release(&line);
	kl_runner_free(r);
}

KL_TEST(runner_transcript_records_each_command)
{
	struct kl_strbuf t = KL_STRBUF_INIT;
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_opts root = { .sudo = 1 };
	struct kl_err err = { 0 };
	char *dst = kl_xasprintf("%s/transcript/file", kl_unit_tmpdir());
	const char *a1[] = { "true", NULL };
	const char *a2[] = { "echo", "a b", "$(x)", NULL };
	char *want;

	kl_runner_set_transcript(r, &t);
	CHECK_INT(kl_runner_run(r, a1, NULL, NULL, &err), 0);
	/* Root requested: recorded with sudo whether or not sudo is needed here. */
	CHECK_INT(kl_runner_run(r, a2, geteuid() == 0 ? &root : NULL, NULL, &err), 0);
	CHECK_INT(kl_runner_copy_data(r, "x", 1, dst, 0644, 0, NULL, &err), 0);
	want = kl_xasprintf("true\n%secho 'a b' '$(x)'\n# copy 1 bytes to %s mode 0644\n",
			    geteuid() == 0 ? "sudo -n " : "", dst);
	CHECK_STR(t.buf, want);
	kl_runner_set_transcript(r, NULL);
	CHECK_INT(kl_runner_run(r, a1, NULL, NULL, &err), 0);
	CHECK_STR(t.buf, want);
	free(want);
	free(dst);
	kl_strbuf_release(&t);
	kl_runner_free(r);
}

KL_TEST(runner_local_status_and_streams)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_result res;
	struct kl_err err = { 0 };
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; echo more; exit 3", NULL };
	const char *sig[] = { "sh", "-c", "kill -TERM $$", NULL };
	const char *missing[] = { "kl-no-such-program", "x", NULL };

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, argv, NULL, &res, &err), 0);
	CHECK_INT(res.status, 3);
	CHECK_STR(res.out.buf, "out\nmore\n");
	CHECK_STR(res.err.buf, "err\n");
	kl_run_result_release(&res);

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, sig, NULL, &res, &err), 0);
	CHECK_INT(res.status, 128 + SIGTERM);
	kl_run_result_release(&res);

	/* A program that is not there is status 127, as a shell (and SSH) reports it. */
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, missing, NULL, &res, &err), 0);
	CHECK_INT(res.status, 127);
	CHECK(strstr(res.err.buf, "kl-no-such-program") != NULL);
	kl_run_result_release(&res);
	kl_runner_free(r);
}

KL_TEST(runner_local_stdin_larger_than_a_pipe)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_opts opts = { 0 };
	struct kl_run_result res;
	struct kl_err err = { 0 };
	size_t n = 3 * 1024 * 1024 + 7;
	char *data = kl_xmalloc(n);
	const char *cat[] = { "cat", NULL };
	const char *ignore[] = { "true", NULL };

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 31 + i / 4096);
	opts.stdin_data = data;
	opts.stdin_len = n;
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, cat, &opts, &res, &err), 0);
	CHECK_INT(res.status, 0);
	CHECK_INT(res.out.len, n);
	CHECK(res.out.len == n && memcmp(res.out.buf, data, n) == 0);
	kl_run_result_release(&res);

	/* A command that never reads its stdin: no SIGPIPE for us. */
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, ignore, &opts, &res, &err), 0);
	CHECK_INT(res.status, 0);
	kl_run_result_release(&res);
	free(data);
	kl_runner_free(r);
}

struct chunks {
	struct kl_strbuf seen[3];
	int calls;
	long long first_ms;
};

static void
collect(void *arg, int fd, const char *buf, size_t len)
{
	struct chunks *c = arg;

	if (c->calls++ == 0)
		c->first_ms = now_ms();
	if (fd == 1 || fd == 2)
		kl_strbuf_add(&c->seen[fd], buf, len);
}

KL_TEST(runner_local_streams_output_as_it_comes)
{
	struct kl_runner *r = kl_runner_local_new();
	struct chunks c = { { KL_STRBUF_INIT, KL_STRBUF_INIT, KL_STRBUF_INIT }, 0, 0 };
	struct kl_run_opts opts = { .on_output = collect, .arg = &c };
	struct kl_run_result res;
	struct kl_err err = { 0 };
	const char *argv[] = { "sh", "-c", "echo one; sleep 0.2; echo two; echo oops >&2", NULL };

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, argv, &opts, &res, &err), 0);
	CHECK_INT(res.status, 0);
	CHECK_STR(c.seen[1].buf, "one\ntwo\n");
	CHECK_STR(c.seen[2].buf, "oops\n");
	CHECK(c.calls >= 2);
	/* The first line came while the command still ran (its sleep 0.2 ahead). */
	CHECK(c.first_ms > 0 && now_ms() - c.first_ms >= 150);
	/* Streamed stdout is not kept; stderr always is (kl_runner_check reports it). */
	CHECK_STR(res.out.buf, "");
	CHECK_STR(res.err.buf, "oops\n");
	kl_run_result_release(&res);
	for (int i = 0; i < 3; i++)
		kl_strbuf_release(&c.seen[i]);
	kl_runner_free(r);
}

/* Gone, or a zombie waiting for a parent that does not reap (as PID 1 in a container). */
static int
process_gone(pid_t pid)
{
	char path[64], state = 0;
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (kl_read_file(path, &sb, NULL) != 0)
		return 1;
	p = strrchr(sb.buf, ')');
	if (p && p[1] == ' ')
		state = p[2];
	kl_strbuf_release(&sb);
	return state == 'Z' || state == 'X';
}

KL_TEST(runner_local_timeout_kills_the_command_and_its_children)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_opts opts = { .timeout_ms = 400 };
	struct kl_run_result res;
	struct kl_err err = { 0 };
	struct kl_strbuf pid = KL_STRBUF_INIT;
	char *pidfile = kl_xasprintf("%s/child.pid", kl_unit_tmpdir()), *script;
	const char *quiet[] = { "sh", "-c", "exec >/dev/null 2>&1 </dev/null; sleep 30", NULL };
	const char *argv[] = { "sh", "-c", NULL, NULL };
	long long t0;

	script = kl_xasprintf("sleep 30 & echo $! > '%s'; echo started; sleep 30", pidfile);
	argv[2] = script;
	kl_run_result_init(&res);
	t0 = now_ms();
	CHECK_INT(kl_runner_run(r, argv, &opts, &res, &err), -1);
	CHECK_INT(err.reason, KL_R_GUEST_TIMEOUT);
	CHECK(strstr(err.msg, "sleep 30") != NULL);
	CHECK(strstr(err.msg, "400 ms") != NULL);
	CHECK(now_ms() - t0 < 2500);
	CHECK_STR(res.out.buf, "started\n");
	CHECK_INT(kl_read_file(pidfile, &pid, NULL), 0);
	CHECK(atoi(pid.buf) > 0);
	for (int i = 0; i < 100 && atoi(pid.buf) > 0 && !process_gone(atoi(pid.buf)); i++)
		usleep(10 * 1000);
	CHECK(atoi(pid.buf) > 0 && process_gone(atoi(pid.buf)));
	kl_run_result_release(&res);

	/* A command that closed its output pipes is timed out too. */
	kl_run_result_init(&res);
	t0 = now_ms();
	CHECK_INT(kl_runner_run(r, quiet, &opts, &res, &err), -1);
	CHECK_INT(err.reason, KL_R_GUEST_TIMEOUT);
	CHECK(now_ms() - t0 < 2500);
	kl_run_result_release(&res);
	kl_strbuf_release(&pid);
	free(script);
	free(pidfile);
	kl_runner_free(r);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* main's SIGINT handler interrupts the wait; the command (in its own group) is ended. */
KL_TEST(runner_local_signal_interrupts_and_ends_the_command)
{
	struct kl_runner *r = kl_runner_local_new();
	struct sigaction sa = { 0 }, old;
	struct itimerval it = { { 0, 0 }, { 0, 300 * 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct kl_run_result res;
	struct kl_err err = { 0 };
	struct kl_strbuf pid = KL_STRBUF_INIT;
	char *pidfile = kl_xasprintf("%s/intr.pid", kl_unit_tmpdir());
	char *script = kl_xasprintf("echo $$ > '%s'; exec sleep 30", pidfile);
	const char *argv[] = { "sh", "-c", script, NULL };
	long long t0;

	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	kl_run_result_init(&res);
	t0 = now_ms();
	CHECK_INT(kl_runner_run(r, argv, NULL, &res, &err), -1);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECK_INT(err.reason, KL_R_INTERRUPTED);
	CHECK(strstr(err.msg, "interrupted while running") != NULL);
	CHECK(now_ms() - t0 < 2500);
	CHECK_INT(kl_read_file(pidfile, &pid, NULL), 0);
	CHECK(atoi(pid.buf) > 0 && process_gone(atoi(pid.buf)));
	kl_run_result_release(&res);
	kl_strbuf_release(&pid);
	free(script);
	free(pidfile);
	kl_runner_free(r);
}

KL_TEST(runner_check_carries_the_command_and_its_last_lines)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_result res;
	struct kl_err err = { 0 };
	const char *noisy[] = { "sh", "-c", "for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 2", NULL };
	const char *quiet[] = { "sh", "-c", "echo only-stdout; exit 1", NULL };
	const char *ok[] = { "true", NULL };

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_check(r, noisy, NULL, &res, KL_R_K8S_INIT, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_INIT);
	CHECK(strstr(err.msg, "command \"sh -c 'for i in") != NULL);
	CHECK(strstr(err.msg, "exit status 2: line3 | line4 | line5 | line6 | line7") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(strstr(err.msg, "line2") == NULL);
	CHECK_INT(res.status, 2);
	kl_run_result_release(&res);

	CHECK_INT(kl_runner_check(r, quiet, NULL, NULL, KL_R_GUEST, &err), -1);
	CHECK(strstr(err.msg, "exit status 1: only-stdout") != NULL);
	CHECK_INT(kl_runner_check(r, ok, NULL, NULL, KL_R_GUEST, &err), 0);
	kl_runner_free(r);
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

KL_TEST(runner_local_copy_skips_identical_files)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_strbuf got = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	char *dir = kl_xasprintf("%s/copy/a/b", kl_unit_tmpdir());
	char *dst = kl_xasprintf("%s/conf", dir), *tmp = kl_xasprintf("%s/.conf.kl-tmp", dir);
	char *src = kl_xasprintf("%s/copy/src", kl_unit_tmpdir());
	int copied = -1;

	CHECK_INT(kl_runner_copy_data(r, "hello\n", 6, dst, 0640, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	CHECK_INT(kl_read_file(dst, &got, &err), 0);
	CHECK_STR(got.buf, "hello\n");
	CHECK_INT(file_mode(dst), 0640);
	CHECK(!kl_path_exists(tmp));
	CHECK_INT(kl_runner_copy_data(r, "hello\n", 6, dst, 0640, 0, &copied, &err), 0);
	CHECK_INT(copied, 0);

	CHECK_INT(kl_write_file_atomic(src, "other\n", 6, 0600, &err), 0);
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0755, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	kl_strbuf_reset(&got);
	CHECK_INT(kl_read_file(dst, &got, &err), 0);
	CHECK_STR(got.buf, "other\n");
	CHECK_INT(file_mode(dst), 0755);
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0755, 0, &copied, &err), 0);
	CHECK_INT(copied, 0);

	CHECK_INT(kl_runner_copy_file(r, "/nonexistent/kl-src", dst, 0644, 0, &copied, &err), -1);
	CHECK_INT(err.reason, KL_R_HOST_IO);
	CHECK(strstr(err.msg, "/nonexistent/kl-src") != NULL);
	CHECK_INT(kl_runner_copy_file(r, kl_unit_tmpdir(), dst, 0644, 0, &copied, &err), -1);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	CHECK_INT(kl_runner_copy_data(r, "x", 1, "relative/path", 0644, 0, &copied, &err), -1);
	kl_strbuf_release(&got);
	free(dir);
	free(dst);
	free(tmp);
	free(src);
	kl_runner_free(r);
}

/* A large file copied takes its source's modification time; the same size and time
 * is up to date without hashing, and a rewritten destination (a new time) is copied
 * again. */
KL_TEST(runner_local_copy_quick_check)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_err err = { 0 };
	char *dir = kl_xasprintf("%s/quick", kl_unit_tmpdir());
	char *src = kl_xasprintf("%s/src", dir), *dst = kl_xasprintf("%s/dst", dir);
	size_t len = 2 * 1024 * 1024;
	char *big = kl_xmalloc(len);
	struct stat s, d;
	struct timespec past[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int copied = -1;

	memset(big, 'a', len);
	CHECK_INT(kl_mkdir_p(dir, 0755, &err), 0);
	CHECK_INT(kl_write_file_atomic(src, big, len, 0644, &err), 0);
	CHECK_INT(utimensat(AT_FDCWD, src, past, 0), 0);
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0755, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	CHECK_INT(stat(src, &s), 0);
	CHECK_INT(stat(dst, &d), 0);
	CHECK_INT(d.st_mtim.tv_sec, s.st_mtim.tv_sec);
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0755, 0, &copied, &err), 0);
	CHECK_INT(copied, 0);
	big[0] = 'b';
	CHECK_INT(kl_write_file_atomic(dst, big, len, 0755, &err), 0);
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0755, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	free(big);
	free(src);
	free(dst);
	free(dir);
	kl_runner_free(r);
}

KL_TEST(runner_local_run_result_is_optional)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_err err = { 0 };
	const char *argv[] = { "sh", "-c", "exit 0", NULL };
	const char *empty[] = { NULL };

	CHECK_INT(kl_runner_run(r, argv, NULL, NULL, &err), 0);
	CHECK_INT(kl_runner_run(r, empty, NULL, NULL, &err), -1);
	CHECK_INT(err.reason, KL_R_PROGRAM);
	kl_runner_free(r);
	kl_runner_free(NULL);
}

/* A detached child (a supervised kubelet, a proxy's containerd) keeps none of our
 * descriptors: an inherited lock would be held for as long as it runs. */
KL_TEST(spawn_detached_keeps_no_descriptor_of_ours)
{
	const char *const argv[] = { "sleep", "5", NULL };
	char path[64];
	struct kl_err err;
	pid_t pid = 0;
	int fd = open("/dev/null", O_RDONLY); /* not close-on-exec, as flock(1)'s is not */

	CHECK(fd >= 3);
	CHECK_INT(kl_spawn_detached(argv, NULL, &pid, &err), 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	for (int i = 0; i < 50 && !kl_pid_alive(pid, "sleep"); i++)
		usleep(20000);
	CHECK(kl_pid_alive(pid, "sleep"));
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/2", (int)pid);
	CHECK(access(path, F_OK) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}
