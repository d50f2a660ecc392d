/* fs.c: atomic writes, advisory locks, whole-file reads, tree removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/log.h"
#include "kubelaunch/units.h"
#include "kubelaunch/xalloc.h"

/* ENOSPC and EDQUOT are "disk", everything else is host I/O. */
static enum kl_reason
io_reason(int e)
{
	return (e == ENOSPC || e == EDQUOT) ? KL_R_RSRC_DISK :
	       (e == EACCES || e == EPERM || e == EROFS) ? KL_R_HOST_HOME : KL_R_HOST_IO;
}

int
kl_mkdir_p(const char *path, mode_t mode, struct kl_err *err)
{
	char *p = kl_xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = kl_err_errno(err, io_reason(errno), "cannot create directory '%s'", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (rc == 0 && !kl_is_dir(path))
		rc = kl_err_set(err, KL_R_HOST_IO, "'%s' exists and is not a directory", path);
	free(p);
	return rc;
}

int
kl_read_file(const char *path, struct kl_strbuf *out, struct kl_err *err)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kl_err_errno(err, KL_R_HOST_IO, "cannot read '%s'", path);
			close(fd);
			return -1;
		}
		kl_strbuf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
fsync_dir(const char *path)
{
	char *copy = kl_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int
kl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		     struct kl_err *err)
{
	return kl_write_file_atomic_owned(path, data, len, mode, (uid_t)-1, (gid_t)-1, err);
}

int
kl_write_file_atomic_owned(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid,
			   struct kl_err *err)
{
	char *tmp = kl_xasprintf("%s.tmp.%d", path, (int)getpid()), *dir = kl_xstrdup(path), *slash;
	int fd, rc = -1;

	/* What a killed writer of this file left goes first. */
	if ((slash = strrchr(dir, '/')) != NULL) {
		char *prefix = kl_xasprintf("%s.tmp.", slash + 1);

		*slash = '\0';
		kl_remove_stale_temp_files(*dir ? dir : "/", prefix, NULL);
		free(prefix);
	}
	free(dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		kl_err_errno(err, io_reason(errno), "cannot write '%s'", path);
		goto out;
	}
	/* The owner first: fchown clears the set-id bits that fchmod then sets. */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		kl_err_errno(err, io_reason(errno), "cannot give '%s' back to its owner (uid %d)", path, (int)uid);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		kl_err_errno(err, io_reason(errno), "cannot write '%s'", path);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		kl_err_errno(err, io_reason(errno), "cannot write '%s'", path);
		unlink(tmp);
		goto out;
	}
	fsync_dir(path);
	rc = 0;
out:
	free(tmp);
	return rc;
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int
kl_remove_tree(const char *path, struct kl_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : kl_err_errno(err, KL_R_HOST_IO, "cannot remove '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) != 0)
			return kl_err_errno(err, KL_R_HOST_IO, "cannot remove '%s'", path);
		return 0;
	}
	if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return kl_err_errno(err, KL_R_HOST_IO, "cannot remove '%s'", path);
	return 0;
}

int
kl_temp_file_pid(const char *name)
{
	static const char *const marks[] = { ".part.", ".tmp." };
	long long pid;

	for (size_t i = 0; i < KL_ARRAY_SIZE(marks); i++) {
		const char *at = strstr(name, marks[i]), *p;

		while (at && strstr(at + 1, marks[i]))
			at = strstr(at + 1, marks[i]);
		if (at == NULL || at[strlen(marks[i])] == '\0')
			continue;
		for (p = at + strlen(marks[i]); *p >= '0' && *p <= '9'; p++)
			;
		if (*p == '\0' && kl_parse_int(at + strlen(marks[i]), 1, INT_MAX, &pid) == 0)
			return (int)pid;
	}
	return 0;
}

int
kl_remove_stale_temp_files(const char *dir, const char *prefix, long long *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int removed = 0;

	while (d && (de = readdir(d)) != NULL) {
		int pid = kl_temp_file_pid(de->d_name);
		struct stat st;
		char *path;

		if (pid <= 0 || pid == (int)getpid() || (prefix && strncmp(de->d_name, prefix, strlen(prefix)) != 0))
			continue;
		/* Alive (or not ours to ask): its writer may still be at work. */
		if (kill(pid, 0) == 0 || errno == EPERM)
			continue;
		path = kl_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0) {
			kl_debug("removed %s, left by process %d that is gone", path, pid);
			if (bytes)
				*bytes += (long long)st.st_size;
			removed++;
		}
		free(path);
	}
	if (d)
		closedir(d);
	return removed;
}

int
kl_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *
kl_find_program(const char *name)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? kl_xstrdup(name) : NULL;
	for (p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		char *cand = kl_xasprintf("%.*s/%s", (int)len, p, name);

		if (len > 0 && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

int
kl_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
kl_lock(const char *path, int exclusive, int timeout_ms, struct kl_err *err)
{
	long long start;
	int fd, op = exclusive ? LOCK_EX : LOCK_SH;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return kl_err_errno(err, io_reason(errno), "cannot open lock '%s'", path);
	if (timeout_ms < 0) {
		while (flock(fd, op) != 0) {
			if (errno != EINTR || kl_interrupted()) {
				if (errno == EINTR)
					kl_interrupt_err(err, "waiting for a lock");
				else
					kl_err_errno(err, KL_R_HOST_LOCK, "cannot lock '%s'", path);
				close(fd);
				return -1;
			}
		}
		return fd;
	}
	start = kl_now_ms();
	while (flock(fd, op | LOCK_NB) != 0) {
		long long waited;

		if (kl_interrupted()) {
			kl_interrupt_err(err, "waiting for a lock");
			close(fd);
			return -1;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			kl_err_errno(err, KL_R_HOST_LOCK, "cannot lock '%s'", path);
			close(fd);
			return -1;
		}
		waited = kl_now_ms() - start;
		if (waited >= timeout_ms) {
			kl_err_set(err, KL_R_HOST_LOCK, "'%s' is locked by another kubelaunch (waited %lld ms)",
				   path, waited);
			close(fd);
			errno = EWOULDBLOCK; /* held: the caller may say so and wait longer */
			return -1;
		}
		kl_sleep_ms(20);
	}
	kl_debug("locked %s", path);
	return fd;
}

void
kl_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
