/* hash.h: SHA-256 of files and buffers (OpenSSL EVP), as lowercase hex. */
#ifndef KL_HASH_H
#define KL_HASH_H

#include <stddef.h>

#include "kubelaunch/err.h"

#define KL_SHA256_HEX 65

int kl_sha256_file(const char *path, char hex[KL_SHA256_HEX], struct kl_err *err);
void kl_sha256_buf(const void *data, size_t len, char hex[KL_SHA256_HEX]);
/* The first 64 hex digits of a ".sha256" file's text ("<hex>" or "<hex>  name"),
 * lowercased; -1 when it holds none. */
int kl_sha256_parse(const char *text, char hex[KL_SHA256_HEX]);

#endif
