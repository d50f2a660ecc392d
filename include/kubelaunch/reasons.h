/*
 * reasons.h: the one table of failure reasons.
 *
 * Each row: enum suffix, stable ID, exit code, advice. The exit code sits in the
 * family REFERENCE.md gives (tests/unit/test_reasons.c checks it):
 *   1 generic, 2 interrupted, 10s program/usage, 20s resources, 30s host,
 *   40s internet, 50s driver, 60s provider, 70s local network, 80s guest,
 *   90s container runtime, 100s control plane, 110s services/addons.
 * docs/exitcodes.md is generated from this table (`kubelaunch help exit-codes`).
 */
#ifndef KL_REASONS_H
#define KL_REASONS_H

#define KL_REASON_MAP(X)                                                                 \
	X(GENERIC, "GENERIC", 1, "run again with -v=2 and look at the log under $KUBELAUNCH_HOME/logs")  \
	X(INTERRUPTED, "INTERRUPTED", 2, "the command was interrupted; run it again to finish")          \
	X(PROGRAM, "PROGRAM_ERROR", 10, "this is a bug in kubelaunch; please report it with the log file") \
	X(CONFLICT, "PROGRAM_CONFLICT", 11, "the options given contradict each other; drop one of them") \
	X(USAGE, "USAGE", 14, "see 'kubelaunch help' for the commands and their flags")                  \
	X(USAGE_COMMAND, "USAGE_UNKNOWN_COMMAND", 14, "see 'kubelaunch help' for the list of commands")  \
	X(USAGE_FLAG, "USAGE_UNKNOWN_FLAG", 14, "see 'kubelaunch <command> --help' for the flags")        \
	X(USAGE_VALUE, "USAGE_BAD_VALUE", 14, "see 'kubelaunch <command> --help' for the allowed form")  \
	X(PROFILE_NAME, "PROFILE_NAME_INVALID", 14,                                                      \
	  "use a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters")             \
	X(CONFIG_KEY, "CONFIG_UNKNOWN_KEY", 14, "see 'kubelaunch config --help' for the known keys")     \
	X(UNSUPPORTED, "PROGRAM_UNSUPPORTED", 16, "this combination is not supported; see the README")  \
	X(CONFIG_CORRUPT, "CONFIG_CORRUPT", 18,                                                          \
	  "fix the file by hand or move it away; kubelaunch left it untouched")                         \
	X(RSRC, "RSRC_INSUFFICIENT", 20, "free some resources on the host or ask for less")             \
	X(RSRC_MEMORY, "RSRC_INSUFFICIENT_MEMORY", 23, "ask for less with --memory or free memory on the host") \
	X(RSRC_DISK, "RSRC_INSUFFICIENT_DISK", 26, "free disk space or ask for less with --disk-size")   \
	X(RSRC_CORES, "RSRC_INSUFFICIENT_CORES", 29, "ask for fewer with --cpus (at least 2)")          \
	X(HOST, "HOST_ERROR", 30, "check the host: run again with -v=2 for details")                    \
	X(HOST_HOME, "HOST_HOME_NOT_WRITABLE", 31,                                                       \
	  "make the directory writable or point KUBELAUNCH_HOME at one that is")                        \
	X(HOST_LOCK, "HOST_LOCK_TIMEOUT", 32,                                                            \
	  "another kubelaunch command holds the profile; wait for it or stop it")                       \
	X(HOST_IO, "HOST_IO", 33, "check the file system: space, permissions and mounts")               \
	X(HOST_HOME_FOREIGN, "HOST_HOME_FOREIGN", 34,                                                    \
	  "kubelaunch removes only a home it created: remove the directory yourself, or delete its profiles without --purge") \
	X(HOST_CLUSTER_FOREIGN, "HOST_CLUSTER_FOREIGN", 35,                                              \
	  "this host runs a Kubernetes that is not this profile's: remove it as the message says, then start again") \
	X(HOST_PERMISSION, "HOST_PERMISSION", 37, "run as root or with the needed permissions")         \
	X(INET, "INET_ERROR", 40, "check the network and any proxy settings (HTTPS_PROXY)")              \
	X(INET_DOWNLOAD, "INET_DOWNLOAD", 41,                                                            \
	  "check the URL and the network, or use --binary-mirror / --image-bundle for offline use")     \
	X(INET_CHECKSUM, "INET_CHECKSUM_MISMATCH", 42,                                                   \
	  "the file changed on the server or in transit; try again or use another mirror")              \
	X(INET_UNREACHABLE, "INET_UNREACHABLE", 44,                                                      \
	  "the server cannot be reached; for offline use pass --binary-mirror and --image-bundle")      \
	X(INET_NOT_FOUND, "INET_NOT_FOUND", 45, "check the version and the mirror's layout")            \
	X(INET_ADDON_PROGRAM, "INET_ADDON_PROGRAM", 46,                                                  \
	  "the addon's program cannot be downloaded: give a mirror with the official layout, 'kubelaunch addons configure NAME mirror=URL'") \
	X(DRIVER, "DRIVER_ERROR", 50, "run again with -v=2; try another --driver")                      \
	X(DRIVER_MISMATCH, "DRIVER_MISMATCH", 51,                                                        \
	  "delete the profile first ('kubelaunch delete -p NAME') or start with its existing driver")   \
	X(DRIVER_TIMEOUT, "DRIVER_TIMEOUT", 52, "the hypervisor is slow or stuck; try again")          \
	X(DRIVER_UNHEALTHY, "DRIVER_UNHEALTHY", 54, "see 'kubelaunch start --help' and fix the driver") \
	X(DRIVER_NOT_FOUND, "DRIVER_NOT_FOUND", 55,                                                      \
	  "install the driver's software or choose another with --driver")                              \
	X(DRIVER_UNSUPPORTED_OS, "DRIVER_UNSUPPORTED_OS", 56, "choose a driver for this OS (qemu, kvm2, none, ssh)") \
	X(PROVIDER, "PROVIDER_ERROR", 60, "check the hypervisor service")                              \
	X(PROVIDER_NOT_RUNNING, "PROVIDER_NOT_RUNNING", 64,                                              \
	  "start the hypervisor service (for libvirt: libvirtd and virtlogd)")                          \
	X(NET, "NET_ERROR", 70, "check the host's network configuration")                               \
	X(NET_PORT, "NET_PORT_IN_USE", 71, "choose another port or stop what uses it")                  \
	X(GUEST, "GUEST_ERROR", 80, "look at the machine's log: kubelaunch logs")                       \
	X(GUEST_BOOT, "GUEST_BOOT", 81, "look at the serial log in the machine directory; try 'kubelaunch delete' then start") \
	X(GUEST_TIMEOUT, "GUEST_TIMEOUT", 82, "the machine is slow to answer; raise --wait-timeout")   \
	X(GUEST_SSH, "GUEST_SSH", 83, "check that the machine is running: kubelaunch status")          \
	X(GUEST_HOSTKEY, "GUEST_HOST_KEY_MISMATCH", 84,                                                  \
	  "the machine's host key changed; if you recreated it, run 'kubelaunch delete' and start again") \
	X(GUEST_NOT_FOUND, "GUEST_NOT_FOUND", 85, "create it with 'kubelaunch start -p NAME'")          \
	X(GUEST_NOT_RUNNING, "GUEST_NOT_RUNNING", 86, "start it with 'kubelaunch start -p NAME'")       \
	X(GUEST_IMAGE, "GUEST_IMAGE", 87, "check --iso-url and its .sha256, or rebuild with 'make iso'") \
	X(RUNTIME, "RUNTIME_ERROR", 90, "look at containerd's log: kubelaunch logs")                    \
	X(RUNTIME_IMAGE, "RUNTIME_IMAGE_IMPORT", 91, "check the archives given with --image-bundle")   \
	X(K8S, "K8S_ERROR", 100, "look at 'kubelaunch logs'; then 'kubelaunch delete' and start again") \
	X(K8S_INIT, "K8S_KUBEADM_INIT", 101, "look at 'kubelaunch logs' for kubeadm's output")          \
	X(K8S_APISERVER, "K8S_APISERVER", 102, "the API server is not healthy: kubelaunch logs")        \
	X(K8S_VERSION, "K8S_VERSION_UNKNOWN", 103, "choose a known version with --kubernetes-version") \
	X(K8S_KUBECONFIG, "K8S_KUBECONFIG", 104,                                                         \
	  "fix or move the kubeconfig file; kubelaunch never overwrites one it cannot parse")           \
	X(K8S_CERTS, "K8S_CERTS", 105, "fix or move the file under $KUBELAUNCH_HOME/certs; it is never replaced silently") \
	X(K8S_WAIT, "K8S_WAIT_TIMEOUT", 106, "raise --wait-timeout or look at 'kubelaunch logs'")       \
	X(K8S_APISERVER_TLS, "K8S_APISERVER_TLS", 107,                                                   \
	  "the API server's certificate is not from the profile's CA: 'kubelaunch update-context' or start again") \
	X(K8S_API_REJECTED, "K8S_API_REJECTED", 108, "the API server refused the object: fix what its message names") \
	X(K8S_API_NOT_FOUND, "K8S_API_NOT_FOUND", 109, "the object or kind does not exist on this cluster") \
	X(SVC, "SVC_ERROR", 110, "look at 'kubelaunch logs'")                                           \
	X(SVC_ADDON, "SVC_ADDON", 111, "see 'kubelaunch addons list'")                                  \
	X(SVC_ADDON_PROGRAM, "SVC_ADDON_PROGRAM", 111,                                                   \
	  "the program that installs the addon failed: its last lines are in the message, all of it in the run log (-v=2)") \
	X(SVC_ADDON_UNKNOWN, "SVC_ADDON_UNKNOWN", 114, "see the addons there are: kubelaunch addons list") \
	X(SVC_ADDON_USAGE, "SVC_ADDON_USAGE", 114,                                                       \
	  "check the names and values: 'kubelaunch addons images NAME' and 'addons configure NAME' show what there is") \
	X(SVC_ADDON_MANIFEST, "SVC_ADDON_MANIFEST", 118,                                                 \
	  "fix the manifest the message names (KUBELAUNCH_ADDONS_DIR, or the option that set the value)") \
	X(SVC_ADDON_CLUSTER, "SVC_ADDON_CLUSTER", 119,                                                   \
	  "start the cluster first: kubelaunch start -p NAME; 'kubelaunch status' tells what is down")  \
	X(SVC_TIMEOUT, "SVC_TIMEOUT", 112, "the service did not answer in time; look at its pods")       \
	X(SVC_NO_NODE_PORT, "SVC_NO_NODE_PORT", 113,                                                     \
	  "expose it with a node port: kubectl expose ... --type=NodePort")                              \
	X(SVC_NOT_FOUND, "SVC_NOT_FOUND", 115, "list the services: kubelaunch kubectl -- get services -A") \
	X(SVC_UNAVAILABLE, "SVC_UNAVAILABLE", 116, "look at the pod the message names: kubelaunch kubectl -- describe pod") \
	X(SVC_IMAGE_PULL, "SVC_IMAGE_PULL", 117,                                                         \
	  "the node cannot pull the image: give another with --images, or bring it with 'kubelaunch image load' or --image-bundle")

enum kl_reason {
#define KL_REASON_ENUM(sym, id, code, advice) KL_R_##sym,
	KL_REASON_MAP(KL_REASON_ENUM)
#undef KL_REASON_ENUM
	KL_R__COUNT
};

#endif
