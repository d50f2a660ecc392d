/* ssh.c: the SSH runner (libssh): connect with retries, pin the host key, run, copy; keygen. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "runner-int.h"

#define KL_SSH_DEFAULT_CONNECT_MS 10000
#define KL_SSH_BACKOFF_FIRST_MS 100
#define KL_SSH_BACKOFF_MAX_MS 2000
#define KL_SSH_CHUNK 32768

struct kl_runner_ssh {
	struct kl_runner base;
	ssh_session session;
	char *where;            /* user@host:port, for messages */
	int is_root;
};

/* What one command's channel callbacks fill in. */
struct chan_state {
	struct kl_run_result *res;
	const struct kl_run_opts *opts;
	int exit_status;        /* -1 until the peer sends it */
	int exit_signal;        /* 0, or the signal's number */
	int eof, closed;
};

/* ----- connecting ----- */

/* "<type> SHA256:<fingerprint>" of the server's host key, or "unknown key". */
static char *
host_key_desc(ssh_session s)
{
	unsigned char *hash = NULL;
	ssh_key key = NULL;
	char *fp = NULL, *desc;
	size_t hlen = 0;

	if (ssh_get_server_publickey(s, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	desc = fp ? kl_xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp) :
		    kl_xstrdup("unknown key");
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return desc;
}

/*
 * The pin file belongs to one machine, whatever address and port it answers on this
 * time (a forwarded port changes across boots), so its lines use the host pattern "*".
 * OpenSSH reads the same file with -o UserKnownHostsFile=FILE.
 */
static int
pin_host_key(ssh_session s, const char *file, const char *where, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_err missing;
	ssh_key key = NULL;
	char *b64 = NULL;
	int rc = -1;

	if (ssh_get_server_publickey(s, &key) != SSH_OK || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		kl_err_set(err, KL_R_GUEST_SSH, "cannot read the host key of %s: %s", where, ssh_get_error(s));
		goto out;
	}
	if (kl_read_file(file, &sb, &missing) != 0 && errno != ENOENT) {
		kl_err_set(err, KL_R_HOST_IO, "%s", missing.msg);
		goto out;
	}
	if (sb.len > 0 && sb.buf[sb.len - 1] != '\n')
		kl_strbuf_addch(&sb, '\n');
	kl_strbuf_addf(&sb, "* %s %s\n", ssh_key_type_to_char(ssh_key_type(key)), b64);
	if (kl_write_file_atomic(file, sb.buf, sb.len, 0600, err) != 0)
		goto out;
	kl_debug("runner: ssh: pinned the host key of %s in '%s'", where, file);
	rc = 0;
out:
	ssh_string_free_char(b64);
	ssh_key_free(key);
	kl_strbuf_release(&sb);
	return rc;
}

static int
check_host_key(ssh_session s, const struct kl_ssh_target *t, const char *where, struct kl_err *err)
{
	enum ssh_known_hosts_e known = ssh_session_is_known_server(s);
	char *desc;

	switch (known) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		return pin_host_key(s, t->known_hosts, where, err);
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		desc = host_key_desc(s);
		kl_err_set(err, KL_R_GUEST_HOSTKEY,
			   "host key mismatch for %s:%d: it offers %s, which is not the key pinned in '%s'",
			   t->host, t->port, desc, t->known_hosts);
		free(desc);
		return -1;
	default:
		return kl_err_set(err, KL_R_HOST_IO, "cannot check the host key of %s against '%s': %s",
				  where, t->known_hosts, ssh_get_error(s));
	}
}

/*
 * One attempt. Returns 0 with *out connected and authenticated; -1 with *again set
 * when trying later may help (the machine is still booting), with `why` filled;
 * -1 with err set when it cannot (a host key mismatch).
 */
static int
attempt(const struct kl_ssh_target *t, ssh_key key, long timeout_ms, const char *where,
	ssh_session *out, int *again, struct kl_strbuf *why, struct kl_err *err)
{
	ssh_session s = ssh_new();
	long usec = timeout_ms * 1000;
	int verbosity = SSH_LOG_NOLOG, rc = -1, auth;
	bool no = false, yes = true;

	*again = 0;
	kl_strbuf_reset(why);
	if (s == NULL) {
		kl_err_set(err, KL_R_PROGRAM, "cannot create an ssh session");
		goto out;
	}
	if (ssh_options_set(s, SSH_OPTIONS_HOST, t->host) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &t->port) != 0 ||
	    (t->user && ssh_options_set(s, SSH_OPTIONS_USER, t->user) != 0) ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, t->known_hosts) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, t->known_hosts) != 0) {
		kl_err_set(err, KL_R_PROGRAM, "cannot set the ssh options for %s: %s", where, ssh_get_error(s));
		goto out;
	}
	if (ssh_connect(s) != SSH_OK) {
		kl_strbuf_addstr(why, ssh_get_error(s));
		*again = 1;
		goto out;
	}
	if (check_host_key(s, t, where, err) != 0)
		goto out;
	auth = ssh_userauth_publickey(s, NULL, key);
	if (auth != SSH_AUTH_SUCCESS) {
		if (auth == SSH_AUTH_DENIED)
			kl_strbuf_addf(why, "the key '%s' was refused", t->key_path);
		else
			kl_strbuf_addf(why, "authentication failed: %s", ssh_get_error(s));
		*again = 1;
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s) {
		ssh_disconnect(s);
		ssh_free(s);
	}
	return rc;
}

static int
connect_with_retries(struct kl_runner_ssh *r, const struct kl_ssh_target *t, ssh_key key,
		     struct kl_err *err)
{
	long long start = kl_now_ms(), deadline = start + (t->retry_ms > 0 ? t->retry_ms : 0);
	long connect_ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : KL_SSH_DEFAULT_CONNECT_MS;
	long usec = connect_ms * 1000;
	struct kl_strbuf why = KL_STRBUF_INIT;
	int delay = KL_SSH_BACKOFF_FIRST_MS, attempts = 0, again = 0, rc = -1;

	for (;;) {
		long long left = deadline - kl_now_ms(), nap;
		long this_ms = connect_ms;

		/* No attempt runs far past the deadline (but each gets a fair chance). */
		if (left > 0 && left < this_ms)
			this_ms = left < 500 ? 500 : (long)left;
		attempts++;
		if (attempt(t, key, this_ms, r->where, &r->session, &again, &why, err) == 0)
			break;
		if (!again)
			goto out;
		kl_debug("runner: ssh: %s: attempt %d: %s", r->where, attempts, why.buf);
		left = deadline - kl_now_ms();
		if (left <= 0) {
			kl_err_set(err, KL_R_GUEST_SSH, "cannot reach %s:%d over ssh after %lld ms (%d attempts): %s",
				   t->host, t->port, kl_now_ms() - start, attempts, why.buf);
			goto out;
		}
		if (kl_interrupted()) {
			kl_interrupt_err(err, "waiting for ssh");
			goto out;
		}
		nap = delay < left ? delay : left;
		kl_sleep_ms(nap);
		delay = delay * 2 > KL_SSH_BACKOFF_MAX_MS ? KL_SSH_BACKOFF_MAX_MS : delay * 2;
	}
	/* From now on the timeout bounds blocking steps such as opening a channel. */
	ssh_options_set(r->session, SSH_OPTIONS_TIMEOUT_USEC, &usec);
	kl_debug("runner: ssh: connected to %s after %lld ms (%d attempts)", r->where,
		 kl_now_ms() - start, attempts);
	rc = 0;
out:
	kl_strbuf_release(&why);
	return rc;
}

/* ----- running ----- */

static int
on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *arg)
{
	struct chan_state *st = arg;

	(void)s;
	(void)ch;
	kl_run_result_feed(st->res, st->opts, is_stderr ? 2 : 1, data, len);
	return (int)len;
}

static void
on_eof(ssh_session s, ssh_channel ch, void *arg)
{
	(void)s;
	(void)ch;
	((struct chan_state *)arg)->eof = 1;
}

static void
on_close(ssh_session s, ssh_channel ch, void *arg)
{
	(void)s;
	(void)ch;
	((struct chan_state *)arg)->closed = 1;
}

static void
on_exit_status(ssh_session s, ssh_channel ch, int status, void *arg)
{
	(void)s;
	(void)ch;
	((struct chan_state *)arg)->exit_status = status;
}

/* RFC 4254 names signals without "SIG"; these are the numbers Linux gives them. */
static void
on_exit_signal(ssh_session s, ssh_channel ch, const char *sig, int core, const char *msg,
	       const char *lang, void *arg)
{
	static const struct {
		const char *name;
		int num;
	} sigs[] = {
		{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 }, { "ABRT", 6 }, { "FPE", 8 },
		{ "KILL", 9 }, { "USR1", 10 }, { "SEGV", 11 }, { "USR2", 12 }, { "PIPE", 13 },
		{ "ALRM", 14 }, { "TERM", 15 },
	};
	struct chan_state *st = arg;

	(void)s;
	(void)ch;
	(void)core;
	(void)msg;
	(void)lang;
	st->exit_signal = 127; /* unknown: still a signal */
	for (size_t i = 0; i < KL_ARRAY_SIZE(sigs); i++)
		if (sig && strcmp(sig, sigs[i].name) == 0)
			st->exit_signal = sigs[i].num;
}

/* Send what the channel's window takes now. 1 when all is sent, 0 for more, -1 on a
 * local error (err set), -2 when the channel refused the bytes. */
static int
feed_stdin(ssh_channel ch, const struct kl_run_opts *opts, struct kl_copy_src *in, char *chunk,
	   size_t *off, struct kl_err *err)
{
	size_t total = in ? in->len : opts->stdin_len;

	while (*off < total) {
		uint32_t win = ssh_channel_window_size(ch);
		size_t n = total - *off;
		const char *p;

		if (win == 0)
			return 0;
		if (n > win)
			n = win;
		if (n > KL_SSH_CHUNK)
			n = KL_SSH_CHUNK;
		if (in) {
			ssize_t got = kl_copy_src_read(in, *off, chunk, n, err);

			if (got < 0)
				return -1;
			if (got == 0)
				return kl_err_set(err, KL_R_HOST_IO, "cannot copy '%s': it shrank while being copied",
						  in->path ? in->path : "data");
			n = (size_t)got;
			p = chunk;
		} else {
			p = (const char *)opts->stdin_data + *off;
		}
		if (ssh_channel_write(ch, p, (uint32_t)n) != (int)n)
			return -2;
		*off += n;
	}
	return 1;
}

static int
ssh_run(struct kl_runner *base, const char *const *argv, const struct kl_run_opts *opts,
	struct kl_copy_src *in, struct kl_run_result *res, struct kl_err *err)
{
	struct kl_runner_ssh *r = (struct kl_runner_ssh *)base;
	struct chan_state st = { res, opts, -1, 0, 0, 0 };
	struct ssh_channel_callbacks_struct cb = { 0 };
	long long deadline = opts->timeout_ms > 0 ? kl_now_ms() + opts->timeout_ms : -1;
	struct kl_strbuf line = KL_STRBUF_INIT;
	char *what = kl_runner_describe(argv, 200), *chunk = NULL;
	int fed = 0, rc = -1, have_cb = 0;
	ssh_channel ch = NULL;
	struct pollfd pf = { -1, POLLIN, 0 };
	ssh_event ev = NULL;
	size_t off = 0;

	if (opts->sudo && !r->is_root)
		kl_strbuf_addstr(&line, "sudo -n ");
	/*
	 * Closing the channel does not end the remote command, and sshd refuses "signal"
	 * requests for root logins; so the machine's own timeout(1) ends the command (and
	 * its process group) a second after we give up on it.
	 */
	if (opts->timeout_ms > 0)
		kl_strbuf_addf(&line, "timeout -k 5 %d ", (opts->timeout_ms + 999) / 1000 + 1);
	kl_shell_quote_argv(&line, argv);
	if (in)
		chunk = kl_xmalloc(KL_SSH_CHUNK);
	ch = ssh_channel_new(r->session);
	if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
		kl_err_set(err, KL_R_GUEST_SSH, "cannot run \"%s\" on %s: %s", what, r->where,
			   ssh_get_error(r->session));
		goto out;
	}
	cb.userdata = &st;
	cb.channel_data_function = on_data;
	cb.channel_eof_function = on_eof;
	cb.channel_close_function = on_close;
	cb.channel_exit_status_function = on_exit_status;
	cb.channel_exit_signal_function = on_exit_signal;
	ssh_callbacks_init(&cb);
	ssh_set_channel_callbacks(ch, &cb);
	have_cb = 1;
	if (ssh_channel_request_exec(ch, line.buf) != SSH_OK) {
		kl_err_set(err, KL_R_GUEST_SSH, "cannot run \"%s\" on %s: %s", what, r->where,
			   ssh_get_error(r->session));
		goto out;
	}
	ev = ssh_event_new();
	if (ev == NULL || ssh_event_add_session(ev, r->session) != SSH_OK) {
		kl_err_set(err, KL_R_PROGRAM, "cannot poll the ssh session of %s", r->where);
		goto out;
	}
	for (;;) {
		int wait_ms = 1000;

		if (!fed) {
			int done = feed_stdin(ch, opts, in, chunk, &off, err);

			/* A command that ended without reading all its stdin is no error. */
			if (done == -2 && (st.closed || ssh_channel_is_closed(ch))) {
				fed = 1;
			} else if (done == -2) {
				kl_err_set(err, KL_R_GUEST_SSH, "cannot send stdin to \"%s\" on %s: %s", what,
					   r->where, ssh_get_error(r->session));
				goto out;
			} else if (done < 0) {
				goto out;
			} else if (done > 0) {
				ssh_channel_send_eof(ch);
				fed = 1;
			} else if (ssh_channel_window_size(ch) > 0) {
				wait_ms = 0;
			}
		}
		if (st.closed || (st.eof && (st.exit_status >= 0 || st.exit_signal)) ||
		    ssh_channel_is_closed(ch))
			break;
		if (deadline >= 0) {
			long long left = deadline - kl_now_ms();

			if (left <= 0) {
				kl_err_set(err, KL_R_GUEST_TIMEOUT, "command \"%s\" on %s did not finish in %d ms",
					   what, r->where, opts->timeout_ms);
				goto out;
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		/*
		 * Wait on the socket ourselves: libssh's own wait restarts after a signal, and
		 * a signal with a handler (main's SIGINT and SIGTERM) must end the wait.
		 */
		pf.fd = ssh_get_fd(r->session);
		if (wait_ms > 0 && poll(&pf, 1, wait_ms) < 0 && errno == EINTR) {
			kl_err_set(err, KL_R_INTERRUPTED, "interrupted while running \"%s\" on %s", what,
				   r->where);
			goto out;
		}
		if (pf.fd == SSH_INVALID_SOCKET || ssh_event_dopoll(ev, 0) == SSH_ERROR) {
			kl_err_set(err, KL_R_GUEST_SSH, "lost the ssh connection to %s while running \"%s\": %s",
				   r->where, what, ssh_get_error(r->session));
			goto out;
		}
	}
	if (st.exit_status < 0 && st.exit_signal == 0) {
		kl_err_set(err, KL_R_GUEST_SSH, "\"%s\" on %s ended without an exit status", what, r->where);
		goto out;
	}
	res->status = st.exit_signal ? 128 + st.exit_signal : st.exit_status;
	kl_debug("runner: ssh: %s: \"%s\" exited with status %d", r->where, what, res->status);
	rc = 0;
out:
	if (ev) {
		ssh_event_remove_session(ev, r->session);
		ssh_event_free(ev);
	}
	if (ch) {
		if (have_cb)
			ssh_remove_channel_callbacks(ch, &cb);
		if (ssh_channel_is_open(ch))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	kl_strbuf_release(&line);
	free(what);
	free(chunk);
	return rc;
}

static int
ssh_copy(struct kl_runner *r, struct kl_copy_src *src, const char *dst, mode_t mode, int sudo,
	 int *copied, struct kl_err *err)
{
	return kl_runner_copy_by_commands(r, src, dst, mode, sudo, copied, err);
}

static void
ssh_free_runner(struct kl_runner *base)
{
	struct kl_runner_ssh *r = (struct kl_runner_ssh *)base;

	if (r->session) {
		ssh_disconnect(r->session);
		ssh_free(r->session);
	}
	free(r->where);
	free(r);
}

static const struct kl_runner_ops ssh_ops = {
	.run = ssh_run,
	.copy = ssh_copy,
	.free = ssh_free_runner,
};

struct kl_runner *
kl_runner_ssh_new(const struct kl_ssh_target *t, struct kl_err *err)
{
	struct kl_runner_ssh *r = kl_xcalloc(1, sizeof(*r));
	struct kl_runner *ret = NULL;
	ssh_key key = NULL;

	kl_runner_init(&r->base, &ssh_ops);
	r->where = kl_xasprintf("%s@%s:%d", t->user ? t->user : "(default user)", t->host, t->port);
	r->is_root = t->user ? strcmp(t->user, "root") == 0 : geteuid() == 0;
	if (t->host == NULL || t->key_path == NULL || t->known_hosts == NULL) {
		kl_err_set(err, KL_R_PROGRAM, "cannot connect over ssh: host, key and known_hosts are needed");
		goto out;
	}
	if (ssh_pki_import_privkey_file(t->key_path, NULL, NULL, NULL, &key) != SSH_OK) {
		kl_err_set(err, KL_R_HOST_IO, "cannot read the ssh key '%s'", t->key_path);
		goto out;
	}
	if (connect_with_retries(r, t, key, err) != 0)
		goto out;
	ret = &r->base;
	r = NULL;
out:
	ssh_key_free(key);
	if (r)
		ssh_free_runner(&r->base);
	return ret;
}

/* ----- keys ----- */

int
kl_ssh_keygen(const char *path, struct kl_err *err)
{
	char *priv = NULL, *pub = NULL, *pub_path = kl_xasprintf("%s.pub", path), *line = NULL;
	ssh_key key = NULL;
	int rc = -1;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK) {
		kl_err_set(err, KL_R_PROGRAM, "cannot generate an ed25519 key for '%s'", path);
		goto out;
	}
	/* Written under a 0600 temporary name, then renamed: never readable by others. */
	if (kl_write_file_atomic(path, priv, strlen(priv), 0600, err) != 0)
		goto out;
	line = kl_xasprintf("ssh-ed25519 %s kubelaunch\n", pub);
	if (kl_write_file_atomic(pub_path, line, strlen(line), 0644, err) != 0)
		goto out;
	kl_debug("runner: ssh: new key '%s'", path);
	rc = 0;
out:
	if (priv)
		kl_free_secret(priv, strlen(priv));
	ssh_string_free_char(pub);
	ssh_key_free(key);
	free(pub_path);
	free(line);
	return rc;
}
