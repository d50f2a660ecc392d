/*
 * preload.c: an image bundle as a ready containerd store (see preload.h).
 *
 * The store is made by a private containerd (its own root, state and socket; the CRI
 * plugin off) that imports the archives the way the machine would, then stops. The
 * cache directory holds tree/var/lib/containerd, manifest.json, the ext4 images made
 * from the tree (data-<MiB>m.raw, read-only) and `complete`, written last.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "kubelaunch/artifacts.h"
#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/hash.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/driver.h"
#include "kubelaunch/log.h"
#include "kubelaunch/node.h"
#include "kubelaunch/preload.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/xalloc.h"

/* Bump when the way the store is made changes: old stores are not reused. */
#define PRELOAD_RECIPE "kubelaunch-preload-1"
#define LOCK_WAIT_MS (20 * 60 * 1000)

/* Run argv on this host; a non-zero status is RUNTIME_IMAGE_IMPORT. */
static int
run(const char *const *argv, int timeout_ms, struct kl_run_result *res, struct kl_err *err)
{
	struct kl_runner *r = kl_runner_local_new();
	struct kl_run_opts opts = { .timeout_ms = timeout_ms };
	int rc = kl_runner_check(r, argv, &opts, res, KL_R_RUNTIME_IMAGE, err);

	kl_runner_free(r);
	return rc;
}

char *
kl_preload_containerd_version(void)
{
	const char *const argv[] = { "containerd", "--version", NULL };
	struct kl_run_result res;
	char *v = NULL, *word[3] = { 0 }, *save = NULL, *p;
	int i = 0;

	kl_run_result_init(&res);
	/* "containerd github.com/containerd/containerd 1.6.20~ds1 <commit>" */
	if (run(argv, 10000, &res, NULL) == 0) {
		for (p = strtok_r(res.out.buf, " \n", &save); p && i < 3; p = strtok_r(NULL, " \n", &save))
			word[i++] = p;
		if (i == 3)
			v = kl_xstrdup(word[2]);
	}
	kl_run_result_release(&res);
	return v;
}

/* The key: the recipe, the containerd version, and each archive by name, size and
 * modification time (hashing a gigabyte on every start would cost more than it saves),
 * plus images.list. */
static void
preload_key(const char *bundle, const struct kl_bundle_archive *a, size_t n, const char *version,
	    char key[KL_SHA256_HEX])
{
	struct kl_strbuf sb = KL_STRBUF_INIT, list = KL_STRBUF_INIT;
	char *listpath = kl_xasprintf("%s/images.list", bundle);
	struct stat st;

	kl_strbuf_addf(&sb, "%s\n%s\n", PRELOAD_RECIPE, version);
	for (size_t i = 0; i < n; i++) {
		if (stat(a[i].path, &st) != 0)
			memset(&st, 0, sizeof(st));
		kl_strbuf_addf(&sb, "%s %lld %lld.%09ld\n", a[i].name, a[i].size, (long long)st.st_mtim.tv_sec,
			       st.st_mtim.tv_nsec);
	}
	if (kl_read_file(listpath, &list, NULL) == 0)
		kl_strbuf_add(&sb, list.buf, list.len);
	kl_sha256_buf(sb.buf, sb.len, key);
	key[16] = '\0';
	kl_strbuf_release(&list);
	kl_strbuf_release(&sb);
	free(listpath);
}

/* A private containerd on `dir`'s socket: started, the archives imported, stopped. */
static int
import_all(const char *dir, const char *root, const struct kl_bundle_archive *a, size_t n, struct kl_err *err)
{
	/* A socket path has at most 104 bytes: the socket and state live in a short
	 * temporary directory, not in the cache. */
	char run_dir[] = "/tmp/kl-preload-XXXXXX";
	char *conf = kl_xasprintf("%s/containerd.toml", dir), *sock = NULL, *state = NULL;
	char *logp = kl_xasprintf("%s/containerd.log", dir);
	const char *const cargv[] = { "containerd", "--config", conf, NULL };
	const char *probe[] = { "ctr", "--address", NULL, "version", NULL };
	/* As many imports at once as the host has cores (each hashes and unpacks on one). */
	const char *head[] = {
		"sh", "-c", "s=$1; shift; printf '%s\\0' \"$@\" | xargs -0 -n 1 -P \"$(nproc)\" "
			    "ctr --address \"$s\" -n k8s.io images import --digests",
		"sh", NULL, NULL,
	};
	const char **iargv = kl_xcalloc(n + 6, sizeof(*iargv));
	struct kl_node_runtime rt = { .no_cri = 1 };
	struct kl_strbuf toml = KL_STRBUF_INIT;
	pid_t pid = -1;
	int rc = -1, up = 0;
	size_t k = 0;

	if (mkdtemp(run_dir) == NULL) {
		kl_err_errno(err, KL_R_HOST_IO, "cannot make a directory for the preload's containerd");
		goto out;
	}
	sock = kl_xasprintf("%s/containerd.sock", run_dir);
	probe[2] = head[4] = sock;
	state = kl_xasprintf("%s/state", run_dir);
	rt.root = root;
	rt.state = state;
	rt.address = sock;
	kl_node_containerd_config(&rt, &toml);
	if (kl_mkdir_p(state, 0700, err) != 0 || kl_mkdir_p(root, 0711, err) != 0 ||
	    kl_write_file_atomic(conf, toml.buf, toml.len, 0600, err) != 0)
		goto out;
	if (kl_spawn_detached(cargv, logp, &pid, err) != 0)
		goto out;
	for (int i = 0; i < 300 && !up; i++) {
		struct kl_run_result res;

		kl_run_result_init(&res);
		up = run(probe, 5000, &res, NULL) == 0;
		kl_run_result_release(&res);
		if (!up) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				pid = -1;
				break;
			}
			kl_sleep_ms(100);
		}
	}
	if (!up) {
		char tail[512];

		kl_file_tail(logp, 1, tail, sizeof(tail));
		kl_err_set(err, KL_R_RUNTIME_IMAGE, "the preload's containerd did not come up: %s", tail);
		goto out;
	}
	for (const char *const *p = head; *p; p++)
		iargv[k++] = *p;
	for (size_t i = 0; i < n; i++)
		iargv[k++] = a[i].path;
	iargv[k] = NULL;
	if (run(iargv, 30 * 60 * 1000, NULL, err) != 0)
		goto out;
	rc = 0;
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 300 && waitpid(pid, NULL, WNOHANG) == 0; i++)
			kl_sleep_ms(100);
		if (waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	if (sock)
		kl_remove_tree(run_dir, NULL);
	kl_strbuf_release(&toml);
	free(iargv);
	free(conf);
	free(sock);
	free(state);
	free(logp);
	return rc;
}

static int
write_manifest(const char *dir, const char *bundle, const struct kl_bundle_archive *a, size_t n,
	       const char *version, struct kl_err *err)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:[]}", "Recipe", PRELOAD_RECIPE, "Containerd", version, "Bundle",
				bundle, "Archives");
	json_t *arr = json_object_get(doc, "Archives");
	char *path = kl_xasprintf("%s/manifest.json", dir), *text;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "Name", a[i].name, "Size", (json_int_t)a[i].size));
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	rc = kl_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	free(path);
	json_decref(doc);
	return rc;
}

static void
fill(struct kl_preload *p, const char *dir, const char *version, size_t n)
{
	p->dir = kl_xstrdup(dir);
	p->root = kl_xasprintf("%s/tree/var/lib/containerd", dir);
	p->version = kl_xstrdup(version);
	p->images = (int)n;
}

int
kl_preload_get(const char *home, const char *bundle, struct kl_preload *p, int *built, struct kl_err *err)
{
	struct kl_bundle_archive *a = NULL;
	char key[KL_SHA256_HEX], *version = NULL, *dir = NULL, *complete = NULL, *lockp = NULL, *tree = NULL;
	char *root = NULL;
	size_t n = 0;
	int lock = -1, rc = -1;

	memset(p, 0, sizeof(*p));
	*built = 0;
	if (geteuid() != 0)
		return kl_err_set(err, KL_R_HOST_PERMISSION, "building the preload needs root (containerd unpacks "
							     "layers with their owners)");
	if ((version = kl_preload_containerd_version()) == NULL)
		return kl_err_set(err, KL_R_RUNTIME, "containerd is not installed on this host");
	if (kl_image_bundle_scan(bundle, 0, &a, &n, err) != 0)
		goto out;
	preload_key(bundle, a, n, version, key);
	dir = kl_home_path(home, KL_HOME_PRELOAD, key, NULL);
	complete = kl_xasprintf("%s/complete", dir);
	lockp = kl_xasprintf("%s.lock", dir);
	if (kl_path_exists(complete)) {
		fill(p, dir, version, n);
		rc = 0;
		goto out;
	}
	if (kl_mkdir_p(dir, 0755, err) != 0 || (lock = kl_lock(lockp, 1, LOCK_WAIT_MS, err)) < 0)
		goto out;
	if (!kl_path_exists(complete)) {
		long long t0 = kl_now_ms();

		/* What a killed build left. */
		tree = kl_xasprintf("%s/tree", dir);
		root = kl_xasprintf("%s/var/lib/containerd", tree);
		if (kl_remove_tree(tree, err) != 0 || import_all(dir, root, a, n, err) != 0 ||
		    write_manifest(dir, bundle, a, n, version, err) != 0 ||
		    kl_write_file_atomic(complete, "", 0, 0644, err) != 0)
			goto out;
		kl_info("preload: %zu archives of %s into %s in %lld ms", n, bundle, dir, kl_now_ms() - t0);
		*built = 1;
	}
	fill(p, dir, version, n);
	rc = 0;
out:
	kl_unlock(lock);
	kl_image_bundle_free(a, n);
	free(root);
	free(tree);
	free(lockp);
	free(complete);
	free(dir);
	free(version);
	return rc;
}

int
kl_preload_disk(const struct kl_preload *p, long long disk_mib, char **path, struct kl_err *err)
{
	char *img = kl_xasprintf("%s/data-%lldm.raw", p->dir, disk_mib), *tmp = NULL, *lockp = NULL;
	char *tree = kl_xasprintf("%s/tree", p->dir), size[32];
	/* Blank blocks are holes already: no inode table or journal zeroing. Older
	 * e2fsprogs lack assume_storage_prezeroed: the lazy options do as well there. */
	static const char *const ext[] = { "lazy_itable_init=1,lazy_journal_init=1,nodiscard,assume_storage_prezeroed=1",
					   "lazy_itable_init=1,lazy_journal_init=1,nodiscard" };
	int lock = -1, rc = -1, made = 0;

	*path = NULL;
	if (kl_path_exists(img))
		goto done;
	lockp = kl_xasprintf("%s.lock", img);
	if ((lock = kl_lock(lockp, 1, LOCK_WAIT_MS, err)) < 0)
		goto out;
	if (!kl_path_exists(img)) {
		tmp = kl_xasprintf("%s.part.%d", img, (int)getpid());
		snprintf(size, sizeof(size), "%lldM", disk_mib);
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			const char *const argv[] = { "mkfs.ext4", "-q", "-F", "-L", "kubelaunch-data", "-m", "1",
						     "-E", ext[i], "-d", tree, tmp, size, NULL };

			unlink(tmp);
			if ((made = run(argv, 30 * 60 * 1000, NULL, err) == 0))
				break;
		}
		if (!made) {
			unlink(tmp);
			goto out;
		}
		if (chmod(tmp, 0444) != 0 || rename(tmp, img) != 0) {
			kl_err_errno(err, KL_R_HOST_IO, "cannot put the preload image '%s' in place", img);
			unlink(tmp);
			goto out;
		}
	}
done:
	*path = img;
	img = NULL;
	rc = 0;
out:
	kl_unlock(lock);
	free(tmp);
	free(lockp);
	free(tree);
	free(img);
	return rc;
}

int
kl_preload_install(const struct kl_preload *p, const char *dst, struct kl_err *err)
{
	/* Content blobs and committed snapshots are never written in place (containerd
	 * unlinks them at garbage collection): hard links share them with the cache. The
	 * bolt databases are written in place: real copies. */
	static const char script[] = "set -e; src=$1 dst=$2; rm -rf \"$dst\"; mkdir -p \"$(dirname \"$dst\")\"; "
				     "cp -al \"$src\" \"$dst\"; cd \"$src\"; "
				     "find . -name '*.db' -type f -exec cp --remove-destination -p {} \"$dst/{}\" \\;";
	const char *const argv[] = { "sh", "-c", script, "sh", p->root, dst, NULL };

	return run(argv, 10 * 60 * 1000, NULL, err);
}

void
kl_preload_release(struct kl_preload *p)
{
	free(p->dir);
	free(p->root);
	free(p->version);
	memset(p, 0, sizeof(*p));
}

/* ---- cache list ---- */

static long long walked_bytes;

static int
add_blocks(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		walked_bytes += (long long)st->st_blocks * 512;
	return 0;
}

int
kl_preload_list(const char *home, struct kl_preload_entry **out, size_t *n, struct kl_err *err)
{
	char *root = kl_home_path(home, KL_HOME_PRELOAD, NULL);
	DIR *d = opendir(root);
	struct dirent *de;

	(void)err;
	*out = NULL;
	*n = 0;
	while (d && (de = readdir(d)) != NULL) {
		char *dir = kl_xasprintf("%s/%s", root, de->d_name), *complete = kl_xasprintf("%s/complete", dir);
		char *manifest = kl_xasprintf("%s/manifest.json", dir);
		struct kl_preload_entry *e;
		json_t *doc;
		DIR *dd;
		struct dirent *f;

		if (de->d_name[0] == '.' || !kl_path_exists(complete)) {
			free(manifest);
			free(complete);
			free(dir);
			continue;
		}
		*out = kl_xrealloc(*out, (*n + 1) * sizeof(**out));
		e = &(*out)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->key = kl_xstrdup(de->d_name);
		e->path = dir;
		doc = json_load_file(manifest, 0, NULL);
		e->archives = (int)json_array_size(json_object_get(doc, "Archives"));
		json_decref(doc);
		for (dd = opendir(dir); dd && (f = readdir(dd)) != NULL;)
			if (strncmp(f->d_name, "data-", 5) == 0 && strstr(f->d_name, ".part.") == NULL &&
			    strcmp(f->d_name + strlen(f->d_name) - 4, ".raw") == 0)
				e->disks++;
		if (dd)
			closedir(dd);
		walked_bytes = 0;
		nftw(dir, add_blocks, 16, FTW_PHYS);
		e->bytes = walked_bytes;
		free(manifest);
		free(complete);
	}
	if (d)
		closedir(d);
	free(root);
	return 0;
}

void
kl_preload_entries_free(struct kl_preload_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].path);
	}
	free(e);
}
