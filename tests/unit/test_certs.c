/* Certificates: creation, reuse, replacement, corrupt CA files. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kubelaunch/certs.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static char *
serial_of(const char *path)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	X509 *x = NULL;
	BIO *bio;
	char *hex = NULL;

	if (kl_read_file(path, &sb, NULL) == 0) {
		bio = BIO_new_mem_buf(sb.buf, (int)sb.len);
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (x) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *h = BN_bn2hex(bn);
		hex = kl_xstrdup(h);
		OPENSSL_free(h);
		BN_free(bn);
		X509_free(x);
	}
	kl_strbuf_release(&sb);
	return hex ? hex : kl_xstrdup("none");
}

static int
mode_of(const char *dir, const char *name)
{
	char *p = kl_xasprintf("%s/%s", dir, name);
	struct stat st;
	int m = stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;

	free(p);
	return m;
}

KL_TEST(certs_create_reuse_replace)
{
	char *home = kl_xasprintf("%s/certs-home", kl_unit_tmpdir());
	const char *node_ips[] = { "192.168.39.10", NULL }, *names[] = { "dev.example", NULL },
		   *names2[] = { "other.example", NULL };
	struct kl_certs_params p = { home, "dev", "kubelaunch", node_ips, NULL, names, 0 };
	struct kl_certs c;
	struct kl_err err;
	char *api, *s1, *s2, *s3, *client1, *client2;

	CHECK_INT(kl_certs_ensure(&p, &c, &err), 0);
	CHECK_INT(c.apiserver_issued, 1);
	api = kl_xasprintf("%s/apiserver.crt", c.dir);
	s1 = serial_of(api);
	client1 = serial_of(c.client_crt);
	CHECK_INT(mode_of(c.ca_dir, "ca.key"), 0600);
	CHECK_INT(mode_of(c.ca_dir, "ca.crt"), 0644);
	CHECK_INT(mode_of(c.dir, "apiserver.key"), 0600);
	CHECK_INT(mode_of(c.dir, "sa.key"), 0600);
	CHECK_INT(mode_of(c.dir, "sa.pub"), 0644);
	CHECK_INT(mode_of(c.dir, "front-proxy-client.crt"), 0644);
	kl_certs_release(&c);

	/* Same SANs (given in another order, with a duplicate): kept. */
	{
		const char *ips[] = { "127.0.0.1", "192.168.39.10", NULL };
		p.extra_ips = ips;
		CHECK_INT(kl_certs_ensure(&p, &c, &err), 0);
		p.extra_ips = NULL;
	}
	CHECK_INT(c.apiserver_issued, 0);
	s2 = serial_of(api);
	CHECK_STR(s2, s1);
	kl_certs_release(&c);

	/* Different names: replaced; the client certificate is kept. */
	p.extra_names = names2;
	CHECK_INT(kl_certs_ensure(&p, &c, &err), 0);
	CHECK_INT(c.apiserver_issued, 1);
	s3 = serial_of(api);
	CHECK(strcmp(s3, s1) != 0);
	client2 = serial_of(c.client_crt);
	CHECK_STR(client2, client1);
	kl_certs_release(&c);

	free(api);
	free(s1);
	free(s2);
	free(s3);
	free(client1);
	free(client2);
	free(home);
}

KL_TEST(certs_new_ca_reissues_the_leaves)
{
	char *home = kl_xasprintf("%s/certs-newca", kl_unit_tmpdir()), *crt, *key, *s1, *s2;
	struct kl_certs_params p = { home, "dev", "node", NULL, NULL, NULL, 0 };
	struct kl_certs c;
	struct kl_err err;

	CHECK_INT(kl_certs_ensure(&p, &c, &err), 0);
	s1 = serial_of(c.client_crt);
	crt = kl_xasprintf("%s/ca.crt", c.ca_dir);
	key = kl_xasprintf("%s/ca.key", c.ca_dir);
	unlink(crt);
	unlink(key);
	kl_certs_release(&c);
	CHECK_INT(kl_certs_ensure(&p, &c, &err), 0);
	CHECK_INT(c.apiserver_issued, 1);
	s2 = serial_of(c.client_crt);
	CHECK(strcmp(s1, s2) != 0);
	kl_certs_release(&c);
	free(s1);
	free(s2);
	free(crt);
	free(key);
	free(home);
}

KL_TEST(certs_corrupt_ca_is_an_error_naming_the_file)
{
	char *home = kl_xasprintf("%s/certs-corrupt", kl_unit_tmpdir()), *crt, *key;
	struct kl_certs_params p = { home, "dev", "node", NULL, NULL, NULL, 0 };
	struct kl_strbuf sb = KL_STRBUF_INIT;
	struct kl_certs c;
	struct kl_err err;

	CHECK_INT(kl_certs_ensure_ca(home, &err), 0);
	crt = kl_xasprintf("%s/certs/ca.crt", home);
	key = kl_xasprintf("%s/certs/ca.key", home);
	kl_write_file_atomic(crt, "garbage\n", 8, 0644, NULL);
	CHECK_INT(kl_certs_ensure(&p, &c, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_CERTS);
	CHECK(strstr(err.msg, crt) != NULL);
	kl_read_file(crt, &sb, NULL);
	CHECK_STR(sb.buf, "garbage\n");
	/* A corrupt key, too, and a certificate without its key. */
	kl_write_file_atomic(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 58, 0600, NULL);
	CHECK_INT(kl_certs_ensure_ca(home, &err), -1);
	CHECK(strstr(err.msg, key) != NULL);
	unlink(crt);
	unlink(key);
	CHECK_INT(kl_certs_ensure_ca(home, &err), 0);
	unlink(key);
	CHECK_INT(kl_certs_ensure_ca(home, &err), -1);
	CHECK_INT(err.reason, KL_R_K8S_CERTS);
	CHECK(strstr(err.msg, "has no key") != NULL);
	kl_strbuf_release(&sb);
	free(crt);
	free(key);
	free(home);
}

KL_TEST(certs_bad_ip_creates_nothing)
{
	char *home = kl_xasprintf("%s/certs-badip", kl_unit_tmpdir());
	const char *ips[] = { "10.0.0.300", NULL };
	struct kl_certs_params p = { home, "dev", "node", NULL, ips, NULL, 0 };
	struct kl_certs c;
	struct kl_err err;

	CHECK_INT(kl_certs_ensure(&p, &c, &err), -1);
	CHECK_INT(err.reason, KL_R_USAGE_VALUE);
	CHECK(strstr(err.msg, "10.0.0.300") != NULL);
	CHECK(!kl_path_exists(home));
	free(home);
}

KL_TEST(certs_kubeadm_files)
{
	struct kl_certs c = { "/h/certs", "/h/profiles/p/certs", NULL, NULL, NULL, 0 };
	struct kl_cert_file *f;
	size_t n;

	kl_certs_kubeadm_files(&c, &f, &n);
	CHECK_INT(n, 12);
	CHECK_STR(f[0].src, "/h/certs/ca.crt");
	CHECK_STR(f[1].name, "ca.key");
	CHECK_INT(f[1].mode, 0600);
	CHECK_STR(f[6].src, "/h/profiles/p/certs/apiserver.crt");
	kl_cert_files_free(f, n);
}

/* A hook for tests/t/t0600-certs.sh: with KL_CERTS_HOME set, run kl_certs_ensure with
 * KL_CERTS_PROFILE, KL_CERTS_NODE_NAME, KL_CERTS_NODE_IP, KL_CERTS_IPS and
 * KL_CERTS_NAMES (comma separated), KL_CERTS_EXPIRATION (a duration); print
 * "# apiserver issued" when it was. */
static const char **
split(const char *s, char **buf)
{
	const char **v;
	size_t n = 1;
	char *save = NULL, *tok;

	*buf = NULL;
	if (s == NULL || *s == '\0')
		return NULL;
	for (const char *c = s; *c; c++)
		n += *c == ',';
	v = kl_xcalloc(n + 1, sizeof(*v));
	*buf = kl_xstrdup(s);
	n = 0;
	for (tok = strtok_r(*buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		v[n++] = tok;
	return v;
}

KL_TEST(certs_helper_from_env)
{
	const char *home = getenv("KL_CERTS_HOME"), *node_ip = getenv("KL_CERTS_NODE_IP");
	const char *node_ips[] = { node_ip, NULL };
	struct kl_certs_params p = { home, getenv("KL_CERTS_PROFILE"), getenv("KL_CERTS_NODE_NAME"),
				     node_ip ? node_ips : NULL, NULL, NULL, 0 };
	struct kl_err err = { KL_R_GENERIC, "" };
	char *b1 = NULL, *b2 = NULL;
	struct kl_certs c;

	if (home == NULL) {
		kl_unit_skip("a hook: tests/t/t0600-certs.sh and t0610 drive it", "KL_CERTS_HOME is not set");
		return;
	}
	p.extra_ips = split(getenv("KL_CERTS_IPS"), &b1);
	p.extra_names = split(getenv("KL_CERTS_NAMES"), &b2);
	if (getenv("KL_CERTS_EXPIRATION") &&
	    kl_parse_duration_ms(getenv("KL_CERTS_EXPIRATION"), &p.expiration_ms, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s", err.msg);
	else if (kl_certs_ensure(&p, &c, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "%s: %s", kl_reason_id(err.reason), err.msg);
	else {
		if (c.apiserver_issued)
			printf("# apiserver issued\n");
		kl_certs_release(&c);
	}
	free((void *)p.extra_ips);
	free((void *)p.extra_names);
	free(b1);
	free(b2);
}
