/* qmp.h (private to the drivers): a QEMU Machine Protocol client over a unix socket. */
#ifndef KL_DRIVER_QMP_H
#define KL_DRIVER_QMP_H

#include <jansson.h>

#include "kubelaunch/err.h"

/* Connect, read the greeting, negotiate capabilities, run `command` (with `args`, may
 * be NULL; stolen), return its "return" member in *ret (new reference, may be NULL). */
int kl_qmp_execute(const char *socket_path, const char *command, json_t *args, json_t **ret,
		   int timeout_ms, struct kl_err *err);

#endif
