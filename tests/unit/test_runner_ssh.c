/*
 * The SSH runner against a real OpenSSH sshd on 127.0.0.1.
 *
 * tests/t/t0400-ssh-runner.sh starts sshd and runs these by name with the target in
 * KL_TEST_SSH_HOST, _PORT, _USER, _KEY and _KNOWN_HOSTS (plus one variable per
 * scenario, below). Without them a test is skipped (in CI too: T0400 below says
 * why), and t0400 fails if any test it runs skips.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <openssl/evp.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

#define T0400 "tests/t/t0400-ssh-runner.sh runs it against the sshd it starts"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Fill t from the environment; 0, or -1 after saying why the test is skipped. */
static int
target_from_env(struct kl_ssh_target *t, const char *also)
{
	const char *host = getenv("KL_TEST_SSH_HOST");

	if (host == NULL || *host == '\0' || (also && getenv(also) == NULL)) {
		kl_unit_skip(T0400, "%s is not set", host == NULL || *host == '\0' ? "KL_TEST_SSH_HOST" : also);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->host = host;
	t->port = atoi(getenv("KL_TEST_SSH_PORT") ? getenv("KL_TEST_SSH_PORT") : "22");
	t->user = getenv("KL_TEST_SSH_USER");
	t->key_path = getenv("KL_TEST_SSH_KEY");
	t->known_hosts = getenv("KL_TEST_SSH_KNOWN_HOSTS");
	t->connect_timeout_ms = 5000;
	t->retry_ms = 5000;
	return 0;
}

static struct kl_runner *
connect_env(const char *test)
{
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;

	if (target_from_env(&t, NULL) != 0)
		return NULL;
	r = kl_runner_ssh_new(&t, &err);
	if (r == NULL)
		kl_unit_fail(__FILE__, __LINE__, "%s: cannot connect: %s [%s]", test, err.msg,
			     kl_reason_id(err.reason));
	return r;
}

static void
sha256_file(const char *path, char hex[65])
{
	unsigned char md[32], *buf = kl_xmalloc(1 << 16);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	unsigned len = 0;
	size_t n;

	strcpy(hex, "(unreadable)");
	if (f && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		while ((n = fread(buf, 1, 1 << 16, f)) > 0)
			EVP_DigestUpdate(ctx, buf, n);
		EVP_DigestFinal_ex(ctx, md, &len);
		for (unsigned i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	if (f)
		fclose(f);
	EVP_MD_CTX_free(ctx);
	free(buf);
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

KL_TEST(ssh_keygen_writes_a_private_pair)
{
	char *path = kl_xasprintf("%s/keys/id_ed25519", kl_unit_tmpdir()), *pub = kl_xasprintf("%s.pub", path);
	struct kl_strbuf line = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	ssh_key key = NULL;
	char *b64 = NULL, *want = NULL;
	mode_t old;

	CHECK_INT(kl_mkdir_p(path, 0700, &err), 0);
	CHECK_INT(rmdir(path), 0);
	old = umask(0); /* a careless umask must not make the key readable */
	CHECK_INT(kl_ssh_keygen(path, &err), 0);
	umask(old);
	CHECK_INT(file_mode(path), 0600);
	CHECK_INT(file_mode(pub), 0644);
	CHECK_INT(kl_read_file(pub, &line, &err), 0);
	CHECK(strncmp(line.buf, "ssh-ed25519 AAAA", 16) == 0);
	CHECK(line.len > 12 && strcmp(line.buf + line.len - 12, " kubelaunch\n") == 0);
	/* The private key reads back (OpenSSH format) and matches the .pub. */
	CHECK_INT(ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key), SSH_OK);
	CHECK_INT(ssh_key_type(key), SSH_KEYTYPE_ED25519);
	if (key && ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK) {
		want = kl_xasprintf("ssh-ed25519 %s kubelaunch\n", b64);
		CHECK_STR(line.buf, want);
	}
	kl_strbuf_reset(&line);
	CHECK_INT(kl_read_file(path, &line, &err), 0);
	CHECK(strncmp(line.buf, "-----BEGIN OPENSSH PRIVATE KEY-----", 35) == 0);
	ssh_string_free_char(b64);
	ssh_key_free(key);
	kl_strbuf_release(&line);
	free(want);
	free(path);
	free(pub);
}

/* t0400 makes the client key with this (then hands the .pub to sshd). */
KL_TEST(ssh_keygen_for_the_test_server)
{
	const char *path = getenv("KL_TEST_SSH_KEYGEN");
	struct kl_err err = { 0 };

	if (path == NULL) {
		kl_unit_skip(T0400, "KL_TEST_SSH_KEYGEN is not set");
		return;
	}
	CHECK_INT(kl_ssh_keygen(path, &err), 0);
	if (err.msg[0])
		printf("# %s\n", err.msg);
}

KL_TEST(ssh_pin_host_key_on_first_contact)
{
	struct kl_strbuf pins = KL_STRBUF_INIT, again = KL_STRBUF_INIT;
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;

	if (target_from_env(&t, "KL_TEST_SSH_KNOWN_HOSTS") != 0)
		return;
	CHECK(!kl_path_exists(t.known_hosts));
	r = kl_runner_ssh_new(&t, &err);
	CHECK(r != NULL);
	kl_runner_free(r);
	CHECK_INT(file_mode(t.known_hosts), 0600);
	CHECK_INT(kl_read_file(t.known_hosts, &pins, &err), 0);
	CHECK(strncmp(pins.buf, "* ssh-ed25519 AAAA", 18) == 0);
	CHECK(strchr(pins.buf, '\n') == pins.buf + pins.len - 1);
	/* Known now: a second connection checks it and leaves the file alone. */
	r = kl_runner_ssh_new(&t, &err);
	CHECK(r != NULL);
	kl_runner_free(r);
	CHECK_INT(kl_read_file(t.known_hosts, &again, &err), 0);
	CHECK_STR(again.buf, pins.buf);
	kl_strbuf_release(&pins);
	kl_strbuf_release(&again);
}

KL_TEST(ssh_run_hostile_arguments_round_trip)
{
	const char *argv[] = { "printf", "[%s]\\n", "", "a b", "  lead", "it's", "\"dq\"", "$(id -u)",
			       "`id -u`", "$HOME", "${HOME}", "*", "?", "[a]", "~", "~root", "line\nbreak",
			       "-n", "--", "tab\there", "a;b|c&d>e<f", "\\", "#x", "!", "%s", "caf\xc3\xa9",
			       NULL };
	struct kl_runner *r = connect_env("ssh_run_hostile_arguments_round_trip");
	struct kl_strbuf want = KL_STRBUF_INIT;
	struct kl_run_result res;
	struct kl_err err = { 0 };

	if (r == NULL)
		return;
	for (size_t i = 2; argv[i]; i++)
		kl_strbuf_addf(&want, "[%s]\n", argv[i]);
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, argv, NULL, &res, &err), 0);
	CHECK_INT(res.status, 0);
	CHECK_STR(res.out.buf, want.buf);
	CHECK_STR(res.err.buf, "");
	kl_run_result_release(&res);
	kl_strbuf_release(&want);
	kl_runner_free(r);
}

KL_TEST(ssh_run_status_and_streams)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; echo more; exit 3", NULL };
	const char *sig[] = { "sh", "-c", "kill -TERM $$", NULL };
	const char *missing[] = { "kl-no-such-program", NULL };
	const char *root[] = { "id", "-u", NULL };
	struct kl_runner *r = connect_env("ssh_run_status_and_streams");
	struct kl_run_opts sudo = { .sudo = 1 };
	struct kl_run_result res;
	struct kl_err err = { 0 };

	if (r == NULL)
		return;
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, argv, NULL, &res, &err), 0);
	CHECK_INT(res.status, 3);
	CHECK_STR(res.out.buf, "out\nmore\n");
	CHECK_STR(res.err.buf, "err\n");
	kl_run_result_release(&res);

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, sig, NULL, &res, &err), 0);
	CHECK_INT(res.status, 143);
	kl_run_result_release(&res);

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, missing, NULL, &res, &err), 0);
	CHECK_INT(res.status, 127);
	kl_run_result_release(&res);

	/* As root already: no sudo in front. */
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_check(r, root, &sudo, &res, KL_R_GUEST, &err), 0);
	CHECK_STR(res.out.buf, "0\n");
	kl_run_result_release(&res);

	CHECK_INT(kl_runner_check(r, argv, NULL, NULL, KL_R_GUEST, &err), -1);
	CHECK(strstr(err.msg, "exit status 3: err") != NULL);
	kl_runner_free(r);
}

struct chunks {
	struct kl_strbuf seen[3];
	long long first_ms;
};

static void
collect(void *arg, int fd, const char *buf, size_t len)
{
	struct chunks *c = arg;

	if (c->first_ms == 0)
		c->first_ms = now_ms();
	kl_strbuf_add(&c->seen[fd == 2 ? 2 : 1], buf, len);
}

KL_TEST(ssh_run_stdin_and_streaming)
{
	const char *cat[] = { "cat", NULL };
	const char *ignore[] = { "true", NULL };
	const char *slow[] = { "sh", "-c", "echo one; sleep 0.5; echo two; echo oops >&2", NULL };
	struct kl_runner *r = connect_env("ssh_run_stdin_and_streaming");
	struct chunks c = { { KL_STRBUF_INIT, KL_STRBUF_INIT, KL_STRBUF_INIT }, 0 };
	struct kl_run_opts opts = { 0 }, stream = { .on_output = collect, .arg = &c };
	size_t n = 5 * 1024 * 1024 + 3;
	char *data = kl_xmalloc(n);
	struct kl_run_result res;
	struct kl_err err = { 0 };
	long long t0;

	if (r == NULL) {
		free(data);
		return;
	}
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 131 + i / 777);
	opts.stdin_data = data;
	opts.stdin_len = n;
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, cat, &opts, &res, &err), 0);
	CHECK_INT(res.status, 0);
	CHECK(res.out.len == n && memcmp(res.out.buf, data, n) == 0);
	kl_run_result_release(&res);

	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, ignore, &opts, &res, &err), 0);
	CHECK_INT(res.status, 0);
	kl_run_result_release(&res);

	/* The first line arrives while the command still runs (its sleep 0.5 ahead). */
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, slow, &stream, &res, &err), 0);
	t0 = now_ms();
	CHECK(c.first_ms > 0 && t0 - c.first_ms >= 400);
	CHECK_STR(c.seen[1].buf, "one\ntwo\n");
	CHECK_STR(c.seen[2].buf, "oops\n");
	CHECK_STR(res.out.buf, "");
	CHECK_STR(res.err.buf, "oops\n");
	kl_run_result_release(&res);
	for (int i = 0; i < 3; i++)
		kl_strbuf_release(&c.seen[i]);
	free(data);
	kl_runner_free(r);
}

/* Whether a live process runs exactly `argv0 arg1` (sshd's loopback peer is this host). */
static int
process_running(const char *argv0, const char *arg1)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d)) != NULL) {
		struct kl_strbuf sb = KL_STRBUF_INIT;
		char *path;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		path = kl_xasprintf("/proc/%s/cmdline", de->d_name);
		if (kl_read_file(path, &sb, NULL) == 0 && sb.len > strlen(argv0) &&
		    strcmp(sb.buf, argv0) == 0 && strcmp(sb.buf + strlen(argv0) + 1, arg1) == 0) {
			char *stat_path = kl_xasprintf("/proc/%s/stat", de->d_name);
			struct kl_strbuf st = KL_STRBUF_INIT;
			char *p;

			if (kl_read_file(stat_path, &st, NULL) == 0 && (p = strrchr(st.buf, ')')) != NULL &&
			    p[1] == ' ' && p[2] != 'Z')
				found = 1;
			kl_strbuf_release(&st);
			free(stat_path);
		}
		kl_strbuf_release(&sb);
		free(path);
	}
	if (d)
		closedir(d);
	return found;
}

KL_TEST(ssh_run_timeout_ends_the_command)
{
	const char *argv[] = { "sleep", "31.25", NULL };
	const char *after[] = { "echo", "still here", NULL };
	struct kl_runner *r = connect_env("ssh_run_timeout_ends_the_command");
	struct kl_run_opts opts = { .timeout_ms = 1000 };
	struct kl_run_result res;
	struct kl_err err = { 0 };
	long long t0, took;
	int alive = 1;

	if (r == NULL)
		return;
	kl_run_result_init(&res);
	t0 = now_ms();
	CHECK_INT(kl_runner_run(r, argv, &opts, &res, &err), -1);
	took = now_ms() - t0;
	printf("# timed out after %lld ms: %s\n", took, err.msg);
	CHECK_INT(err.reason, KL_R_GUEST_TIMEOUT);
	CHECK(strstr(err.msg, "sleep 31.25") != NULL);
	CHECK(took >= 1000 && took < 2000);
	kl_run_result_release(&res);
	/* The connection stays usable, and the remote command was ended. */
	kl_run_result_init(&res);
	CHECK_INT(kl_runner_run(r, after, NULL, &res, &err), 0);
	CHECK_STR(res.out.buf, "still here\n");
	kl_run_result_release(&res);
	for (int i = 0; i < 200 && (alive = process_running("sleep", "31.25")); i++)
		usleep(10 * 1000);
	CHECK(!alive);
	kl_runner_free(r);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

KL_TEST(ssh_run_signal_interrupts_the_wait)
{
	const char *argv[] = { "sleep", "3", NULL };
	const char *after[] = { "true", NULL };
	struct kl_runner *r = connect_env("ssh_run_signal_interrupts_the_wait");
	struct itimerval it = { { 0, 0 }, { 0, 300 * 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { 0 }, old;
	struct kl_err err = { 0 };
	long long t0;

	if (r == NULL)
		return;
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = now_ms();
	CHECK_INT(kl_runner_run(r, argv, NULL, NULL, &err), -1);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECK_INT(err.reason, KL_R_INTERRUPTED);
	CHECK(strstr(err.msg, "sleep 3") != NULL);
	CHECK(now_ms() - t0 < 2000);
	CHECK_INT(kl_runner_check(r, after, NULL, NULL, KL_R_GUEST, &err), 0);
	kl_runner_free(r);
}

static void
write_pattern(const char *path, size_t size)
{
	unsigned char *buf = kl_xmalloc(1 << 20);
	unsigned long long x = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)getpid();
	FILE *f = fopen(path, "wb");

	for (size_t done = 0; f && done < size; done += 1 << 20) {
		for (size_t i = 0; i < (1 << 20); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char)x;
		}
		fwrite(buf, 1, size - done < (1 << 20) ? size - done : (1 << 20), f);
	}
	if (f)
		fclose(f);
	free(buf);
}

static long
max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

KL_TEST(ssh_copy_large_file_streams_and_skips)
{
	size_t size = 64u << 20;
	char *src = kl_xasprintf("%s/big.src", kl_unit_tmpdir());
	char *dst = kl_xasprintf("%s/remote dir/big.bin", kl_unit_tmpdir());
	struct kl_runner *r = connect_env("ssh_copy_large_file_streams_and_skips");
	char want[65], got[65];
	struct kl_err err = { 0 };
	long long t0, first, second;
	long rss0;
	int copied = -1;

	if (r == NULL)
		goto out;
	write_pattern(src, size);
	rss0 = max_rss_kib();
	t0 = now_ms();
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0644, 1, &copied, &err), 0);
	first = now_ms() - t0;
	CHECK_INT(copied, 1);
	sha256_file(src, want);
	sha256_file(dst, got);
	CHECK_STR(got, want);
	CHECK_INT(file_mode(dst), 0644);
	/* Streamed in chunks: the process never held the 64 MiB file. (ASan's quarantine
	 * keeps freed buffers resident, so the figure means nothing there.) */
	printf("# copied 64 MiB in %lld ms; peak RSS grew by %ld KiB\n", first, max_rss_kib() - rss0);
#ifndef __SANITIZE_ADDRESS__
	CHECK(max_rss_kib() - rss0 < 32 * 1024);
#endif
	t0 = now_ms();
	CHECK_INT(kl_runner_copy_file(r, src, dst, 0644, 1, &copied, &err), 0);
	second = now_ms() - t0;
	CHECK_INT(copied, 0);
	printf("# the identical second copy was skipped in %lld ms\n", second);
	unlink(src);
	unlink(dst);
out:
	kl_runner_free(r);
	free(src);
	free(dst);
}

KL_TEST(ssh_copy_data_to_an_awkward_name)
{
	char *dir = kl_xasprintf("%s/it's a $(dir)", kl_unit_tmpdir());
	char *dst = kl_xasprintf("%s/new/`x` \"y\".conf", dir);
	char *tmp = kl_xasprintf("%s/new/.`x` \"y\".conf.kl-tmp", dir);
	struct kl_runner *r = connect_env("ssh_copy_data_to_an_awkward_name");
	struct kl_strbuf got = KL_STRBUF_INIT, t = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	int copied = -1;

	if (r == NULL)
		goto out;
	kl_runner_set_transcript(r, &t);
	CHECK_INT(kl_runner_copy_data(r, "secret: 1\n", 10, dst, 0600, 1, &copied, &err), 0);
	CHECK_INT(copied, 1);
	CHECK_INT(kl_read_file(dst, &got, &err), 0);
	CHECK_STR(got.buf, "secret: 1\n");
	CHECK_INT(file_mode(dst), 0600);
	CHECK(!kl_path_exists(tmp));
	/* The transcript shows what was sent: a small file goes at once to the install
	 * script, which compares it on the machine. */
	CHECK(strstr(t.buf, "# copy 10 bytes to ") == t.buf);
	CHECK(strstr(t.buf, "sha256sum") == NULL);
	CHECK(strstr(t.buf, "\nsudo -n sh -c ") != NULL);
	CHECK_INT(kl_runner_copy_data(r, "secret: 1\n", 10, dst, 0600, 1, &copied, &err), 0);
	CHECK_INT(copied, 0);
	CHECK_INT(kl_runner_copy_data(r, "secret: 2\n", 10, dst, 0640, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	CHECK_INT(file_mode(dst), 0640);
	CHECK_INT(kl_runner_copy_data(r, "", 0, dst, 0644, 0, &copied, &err), 0);
	CHECK_INT(copied, 1);
	kl_strbuf_reset(&got);
	CHECK_INT(kl_read_file(dst, &got, &err), 0);
	CHECK_INT(got.len, 0);
	/* A destination that cannot be written is an error naming it. */
	CHECK_INT(kl_runner_copy_data(r, "x", 1, "/proc/kl-no/such", 0644, 0, &copied, &err), -1);
	CHECK_INT(err.reason, KL_R_GUEST);
	CHECK(strstr(err.msg, "'/proc/kl-no/such'") != NULL);
	CHECK_INT(copied, 0);
out:
	kl_runner_free(r);
	kl_strbuf_release(&got);
	kl_strbuf_release(&t);
	free(dir);
	free(dst);
	free(tmp);
}

/* t0400 restarts sshd with another host key, keeping the pin file. */
KL_TEST(ssh_hostkey_mismatch_is_refused)
{
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;
	char where[64];
	long long t0;

	if (target_from_env(&t, "KL_TEST_SSH_EXPECT_MISMATCH") != 0)
		return;
	t.retry_ms = 10000;
	t0 = now_ms();
	r = kl_runner_ssh_new(&t, &err);
	CHECK(r == NULL);
	kl_runner_free(r);
	printf("# %s\n", err.msg);
	CHECK_INT(err.reason, KL_R_GUEST_HOSTKEY);
	snprintf(where, sizeof(where), "%s:%d", t.host, t.port);
	CHECK(strstr(err.msg, where) != NULL);
	CHECK(strstr(err.msg, t.known_hosts) != NULL);
	/* Refused at once (retry_ms is 10 s): a changed key is not a machine still booting. */
	CHECK(now_ms() - t0 < 5000);
}

KL_TEST(ssh_unreachable_port_is_guest_ssh)
{
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;
	char where[64];
	long long t0, took;

	if (target_from_env(&t, "KL_TEST_SSH_DEAD_PORT") != 0)
		return;
	t.port = atoi(getenv("KL_TEST_SSH_DEAD_PORT"));
	t.retry_ms = 1500;
	t0 = now_ms();
	r = kl_runner_ssh_new(&t, &err);
	took = now_ms() - t0;
	CHECK(r == NULL);
	kl_runner_free(r);
	printf("# after %lld ms: %s\n", took, err.msg);
	CHECK_INT(err.reason, KL_R_GUEST_SSH);
	snprintf(where, sizeof(where), "%s:%d", t.host, t.port);
	CHECK(strstr(err.msg, where) != NULL);
	CHECK(strstr(err.msg, " ms") != NULL);
	CHECK(took >= 1500 && took < 4000);
}

/* t0400 listens on this port but never says a word (a forwarded port, guest not up). */
KL_TEST(ssh_silent_port_is_guest_ssh)
{
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;
	char where[64];
	long long t0, took;

	if (target_from_env(&t, "KL_TEST_SSH_SILENT_PORT") != 0)
		return;
	t.port = atoi(getenv("KL_TEST_SSH_SILENT_PORT"));
	t.retry_ms = 1500;
	t.connect_timeout_ms = 600;
	t0 = now_ms();
	r = kl_runner_ssh_new(&t, &err);
	took = now_ms() - t0;
	CHECK(r == NULL);
	kl_runner_free(r);
	printf("# after %lld ms: %s\n", took, err.msg);
	CHECK_INT(err.reason, KL_R_GUEST_SSH);
	snprintf(where, sizeof(where), "%s:%d", t.host, t.port);
	CHECK(strstr(err.msg, where) != NULL);
	CHECK(took >= 1500 && took < 4000);
}

/* t0400 starts this sshd a moment after the test begins to connect. */
KL_TEST(ssh_retry_while_sshd_comes_up)
{
	struct kl_ssh_target t;
	struct kl_err err = { 0 };
	struct kl_runner *r;
	long long t0, took;
	const char *argv[] = { "true", NULL };

	if (target_from_env(&t, "KL_TEST_SSH_LATE_PORT") != 0)
		return;
	t.port = atoi(getenv("KL_TEST_SSH_LATE_PORT"));
	t.retry_ms = 20000;
	t0 = now_ms();
	r = kl_runner_ssh_new(&t, &err);
	took = now_ms() - t0;
	printf("# connected after %lld ms%s%s\n", took, r ? "" : ": ", r ? "" : err.msg);
	CHECK(r != NULL);
	CHECK(took >= 500);
	if (r)
		CHECK_INT(kl_runner_check(r, argv, NULL, NULL, KL_R_GUEST, &err), 0);
	kl_runner_free(r);
}

/* bench/ssh.sh: 100 commands over one connection. */
KL_TEST(ssh_bench_100_true)
{
	const char *argv[] = { "true", NULL };
	struct kl_runner *r;
	struct kl_err err = { 0 };
	long long t0, connect_ms;
	int n = 100;

	if (getenv("KL_BENCH") == NULL) {
		kl_unit_skip("a benchmark: bench/ssh.sh runs it", "KL_BENCH is not set");
		return;
	}
	t0 = now_ms();
	r = connect_env("ssh_bench_100_true");
	if (r == NULL)
		return;
	connect_ms = now_ms() - t0;
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		CHECK_INT(kl_runner_check(r, argv, NULL, NULL, KL_R_GUEST, &err), 0);
	printf("# bench: kl connect %lld ms; %d x true over one connection: %lld ms\n", connect_ms, n,
	       now_ms() - t0);
	kl_runner_free(r);
}
