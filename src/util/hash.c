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

void
kl_hex_encode(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int
kl_sha256_fd(int fd, const char *what, char hex[KL_SHA256_HEX], struct kl_err *err)
{
	size_t bufsize = 1 << 20;
	unsigned char *buf = kl_xmalloc(bufsize), md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	off_t off = 0;
	ssize_t n;
	int rc = -1;

	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		kl_err_set(err, KL_R_PROGRAM, "cannot hash '%s': OpenSSL's sha256 failed", what);
		goto out;
	}
	/* pread from the start: the fd's own offset stays where it was. */
	while ((n = pread(fd, buf, bufsize, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", what);
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		kl_err_set(err, KL_R_PROGRAM, "cannot hash '%s': OpenSSL's sha256 failed", what);
		goto out;
	}
	kl_hex_encode(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

int
kl_sha256_file(const char *path, char hex[KL_SHA256_HEX], struct kl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", path);
	rc = kl_sha256_fd(fd, path, hex, err);
	close(fd);
	return rc;
}

void
kl_sha256_buf(const void *data, size_t len, char hex[KL_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	kl_hex_encode(md, mdlen, hex);
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
