/* image.h: the guest image: found by URL (file://, http://, https://), verified
 * against the .sha256 beside it before anything boots, cached. */
#ifndef KL_IMAGE_H
#define KL_IMAGE_H

#include "kubelaunch/err.h"

/* The image this tree builds (make iso), else the released one. */
const char *kl_image_default_url(void);
/* A verified local path for `url` (a new string in *path). http(s) images are
 * downloaded to $home/cache/iso/; a checksum mismatch is GUEST_IMAGE (87) naming
 * the URL, and nothing boots. A verification is remembered (path, size, mtime). */
int kl_image_resolve(const char *home, const char *url, char **path, struct kl_err *err);

#endif
