/*
 * artifacts.h: what a start needs from outside the machine: kubeadm, kubelet and
 * kubectl for a version, and image archives from --image-bundle.
 *
 * Binaries come from <base>/<version>/bin/linux/<arch>/<name>, where <base> is
 * https://dl.k8s.io/release or --binary-mirror, each checked against <name>.sha256
 * beside it (the hex digest, maybe followed by a file name). They are fetched in
 * parallel (libcurl multi), hashed while they arrive, written to a temporary name and
 * renamed into $KUBELAUNCH_HOME/cache/binaries/<version>/linux/<arch>/<name> (0755),
 * with <name>.sha256 beside. A cached file is used with no network at all: its size
 * and mtime are compared to a stamp written after verification (.<name>.verified),
 * and only when they differ is it hashed again.
 *
 * Errors name the URL: INET_UNREACHABLE, INET_CHECKSUM_MISMATCH (after one retry),
 * INET_DOWNLOAD, RSRC_INSUFFICIENT_DISK (no partial file is left), and
 * K8S_VERSION_UNKNOWN when the mirror has no such version (404 on the .sha256),
 * raised before anything is created and listing the versions known here.
 * Proxies: libcurl's environment rules (http_proxy, https_proxy/HTTPS_PROXY,
 * all_proxy, no_proxy/NO_PROXY; not upper-case HTTP_PROXY, which libcurl ignores
 * on purpose). TLS is always verified.
 */
#ifndef KL_ARTIFACTS_H
#define KL_ARTIFACTS_H

#include <stddef.h>

#include <curl/curl.h>

#include "kubelaunch/err.h"

#define KL_K8S_RELEASE_URL "https://dl.k8s.io/release"
#define KL_K8S_DEFAULT_VERSION "v1.37.2"
#define KL_BINARY_COUNT 3

/* kubeadm, kubelet, kubectl */
extern const char *const kl_binary_names[KL_BINARY_COUNT];

struct kl_artifacts_opts {
	const char *home;   /* $KUBELAUNCH_HOME */
	const char *mirror; /* --binary-mirror (replaces KL_K8S_RELEASE_URL), or NULL */
	const char *arch;   /* NULL: amd64 */
	/* Called as bytes arrive (often: the caller throttles its bar or JSON events). */
	void (*progress)(void *arg, const char *name, curl_off_t now, curl_off_t total);
	void *progress_arg;
};

/* "stable" / "latest" from <base>/stable.txt / latest.txt; "v1.34.2" or "1.34.2" as
 * they are (normalised to start with v). Anything else is K8S_VERSION_UNKNOWN. */
int kl_k8s_version_resolve(const struct kl_artifacts_opts *o, const char *want, char **version,
			   struct kl_err *err);

struct kl_binaries {
	char *version;
	char *dir;                         /* .../cache/binaries/<version>/linux/<arch> */
	char *paths[KL_BINARY_COUNT];      /* in kl_binary_names order */
	int downloaded;                    /* files fetched now (0: all from the cache) */
};

/* The three binaries of `version` (vX.Y.Z), from the cache or downloaded. */
int kl_binaries_fetch(const struct kl_artifacts_opts *o, const char *version, struct kl_binaries *out,
		      struct kl_err *err);
void kl_binaries_release(struct kl_binaries *b);
/* A cheap check for start's first step: 0 when `version` is cached, or when the
 * mirror has its kubeadm.sha256 (one small request); else K8S_VERSION_UNKNOWN listing
 * the known versions, or the download error (INET_UNREACHABLE ...). Creates nothing,
 * so the machine can boot while kl_binaries_fetch runs. */
int kl_k8s_version_check(const struct kl_artifacts_opts *o, const char *version, struct kl_err *err);
/* Whether all three binaries of `version` are in the cache (checked by size and stamp). */
int kl_binaries_cached(const struct kl_artifacts_opts *o, const char *version);

/* ---- the cache ---- */

struct kl_cache_file {
	char *version;
	char *name;  /* linux/amd64/kubeadm */
	char *path;
	long long size;
	int partial_pid; /* a download still running in that process (NAME.part.PID), else 0 */
};
/* Every cached binary, sorted by version then name, with the partial downloads of
 * running processes. */
int kl_cache_list(const char *home, struct kl_cache_file **files, size_t *n, struct kl_err *err);
/* Remove the partial downloads and temporary files that killed runs left in the cache
 * (binaries and images); returns how many, their sizes added to *bytes. */
int kl_cache_clean(const char *home, long long *bytes);
void kl_cache_files_free(struct kl_cache_file *files, size_t n);
/* Delete one version (GUEST_NOT_FOUND-free: a version not cached is USAGE_VALUE), or
 * all when version is NULL: every version and the cached programs (the preloads stay:
 * a machine's disk may be built on one). *freed (may be NULL) gets the bytes removed. */
int kl_cache_delete(const char *home, const char *version, long long *freed, struct kl_err *err);
/* The versions with all three binaries cached, plus the default: "v1.37.2, v1.34.2". */
char *kl_known_versions(const char *home, const char *arch);

/* ---- programs that install addons (istioctl), from their release archives ---- */

/* Istio 1.31.0 (31 August 2026) is the newest release: its commit, eed52eb, is the
 * snapshot the test bench builds (docs/testbench.md). */
#define KL_ISTIOCTL_VERSION "1.31.0"
#define KL_ISTIO_RELEASE_URL "https://github.com/istio/istio/releases/download"

/* A program as its project publishes it: <site>/<archive>, where the archive's path
 * (with {version} and {arch}) is a .tar.gz holding the program at its top, and
 * <archive>.sha256 beside it ("<hex>  <file name>"). */
struct kl_program_kind {
	const char *name;    /* "istioctl" */
	const char *site;    /* KL_ISTIO_RELEASE_URL */
	const char *archive; /* "{version}/istioctl-{version}-linux-{arch}.tar.gz" */
};
/* The programs kubelaunch fetches (istioctl), or NULL. */
const struct kl_program_kind *kl_program_kind(const char *name);

struct kl_program_opts {
	const char *home;
	const char *name;    /* a kl_program_kind's */
	const char *version; /* letters, digits, '.', '-', '+', '_' */
	const char *mirror;  /* a site with the official layout; NULL or "": the official site */
	const char *arch;    /* NULL: amd64 */
};

/* The archive's URL and its checksum's: new strings. USAGE_VALUE for an unknown
 * program or a version that cannot go into a URL. */
int kl_program_urls(const struct kl_program_opts *o, char **archive_url, char **sha256_url, struct kl_err *err);
/* The program from the cache (cache/programs/NAME/VERSION/linux-ARCH/NAME, checked by
 * its stamp as the binaries are), else downloaded: the .sha256 first (404:
 * INET_NOT_FOUND naming the version and the site), the archive verified against it
 * (INET_CHECKSUM_MISMATCH), unpacked with the system tar, the program's own digest
 * recorded. A site that cannot be reached or answers wrongly is INET_ADDON_PROGRAM,
 * one line naming the URL and why. *path is a new string; *downloaded (may be NULL)
 * says whether it was fetched now. */
int kl_program_fetch(const struct kl_program_opts *o, char **path, int *downloaded, struct kl_err *err);

/* The programs in the cache (cache/programs/NAME/VERSION/linux-ARCH/NAME): version, and
 * name as "linux-amd64/istioctl". Free with kl_cache_files_free. */
int kl_program_cache_list(const char *home, struct kl_cache_file **files, size_t *n);

/* ---- image bundle (--image-bundle DIR) ---- */

struct kl_bundle_archive {
	char *path;
	char *name;       /* the file name */
	long long size;
	char sha256[65];  /* empty unless hashed */
};
/* The *.tar archives in dir, sorted by name. A missing or empty directory, or one with
 * no archive, is RUNTIME_IMAGE_IMPORT naming it. hash: fill sha256 as well. */
int kl_image_bundle_scan(const char *dir, int hash, struct kl_bundle_archive **out, size_t *n,
			 struct kl_err *err);
void kl_image_bundle_free(struct kl_bundle_archive *a, size_t n);

#endif
