/* hash.c: SHA-256 through OpenSSL's EVP interface. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kubelaunch/hash.h"
#include "kubelaunch/xalloc.h"

static void
to_hex(const unsigned char *md, unsigned int len, char hex[KL_SHA256_HEX])
{
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

int
kl_sha256_file(const char *path, char hex[KL_SHA256_HEX], struct kl_err *err)
{
	size_t bufsize = 1 << 20;
	unsigned char *buf = kl_xmalloc(bufsize), md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", path);
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, bufsize)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", path);
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	to_hex(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

void
kl_sha256_buf(const void *data, size_t len, char hex[KL_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, hex);
}

int
kl_sha256_parse(const char *text, char hex[KL_SHA256_HEX])
{
	int i;

	while (isspace((unsigned char)*text))
		text++;
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)text[i]))
			return -1;
		hex[i] = (char)tolower((unsigned char)text[i]);
	}
	if (text[64] != '\0' && !isspace((unsigned char)text[64]))
		return -1;
	hex[64] = '\0';
	return 0;
}
