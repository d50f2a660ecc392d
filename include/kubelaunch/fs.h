/* fs.h: files and directories: atomic writes, advisory locks, whole-file reads. */
#ifndef KL_FS_H
#define KL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

/* mkdir -p with `mode` for the directories it creates. */
int kl_mkdir_p(const char *path, mode_t mode, struct kl_err *err);
/* Read a whole file. Missing file: -1 with errno ENOENT and err set. */
int kl_read_file(const char *path, struct kl_strbuf *out, struct kl_err *err);
/* Write atomically: temp file in the same directory, fsync, rename, fsync dir. */
int kl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct kl_err *err);
/* Remove a directory tree (no symlink following). Missing is fine. */
int kl_remove_tree(const char *path, struct kl_err *err);
int kl_path_exists(const char *path);
/* The full path of an executable found in $PATH, or NULL; a new string. */
char *kl_find_program(const char *name);
int kl_is_dir(const char *path);

/* Advisory lock on `path` (created 0600 if missing). timeout_ms < 0 waits forever,
 * 0 tries once. Returns the fd (>= 0) to pass to kl_unlock, or -1 with err set; errno
 * is EWOULDBLOCK then only when another holds the lock (not when it cannot be opened). */
int kl_lock(const char *path, int exclusive, int timeout_ms, struct kl_err *err);
void kl_unlock(int fd);

#endif
