/* hash.h: SHA-256 of files and buffers (OpenSSL EVP), as lowercase hex. */
#ifndef KL_HASH_H
#define KL_HASH_H

#include <stddef.h>

#include "kubelaunch/err.h"

#define KL_SHA256_HEX 65

/* Lowercase hex of n bytes into out (2n + 1 chars): the one hex encoder. */
void kl_hex_encode(const unsigned char *bytes, size_t n, char *out);
int kl_sha256_file(const char *path, char hex[KL_SHA256_HEX], struct kl_err *err);
/* All of fd from offset 0 (pread: its offset is left alone); `what` names it in errors. */
int kl_sha256_fd(int fd, const char *what, char hex[KL_SHA256_HEX], struct kl_err *err);
void kl_sha256_buf(const void *data, size_t len, char hex[KL_SHA256_HEX]);
/* The first 64 hex digits of a ".sha256" file's text ("<hex>" or "<hex>  name"),
 * lowercased; -1 when it holds none. */
int kl_sha256_parse(const char *text, char hex[KL_SHA256_HEX]);

#endif
