/* What kubelaunch writes on the machine (src/bootstrap/node.c): goldens of containerd's
 * configuration, the CNI conflist, the units and the node's setup script
 * (tests/golden/node/; KL_TEST_REGENERATE=1 rewrites them), and the shell in them
 * checked by `sh -n`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/node.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static void
golden(const char *name, void (*render)(struct kl_strbuf *))
{
	struct kl_strbuf sb = KL_STRBUF_INIT;

	render(&sb);
	kl_unit_golden(name, sb.buf);
	kl_strbuf_release(&sb);
}

static void
containerd_vm(struct kl_strbuf *sb)
{
	struct kl_node_runtime rt = { .pause_image = "registry.k8s.io/pause:3.10.1", .systemd_cgroup = 1 };

	kl_node_containerd_config(&rt, sb);
}

static void
containerd_host(struct kl_strbuf *sb)
{
	struct kl_node_runtime rt = { .pause_image = "registry.k8s.io/pause:3.10.1",
				      .root = KL_NODE_DIR "/containerd",
				      .state = "/run/kubelaunch/containerd" };

	kl_node_containerd_config(&rt, sb);
}

static void
cni(struct kl_strbuf *sb)
{
	kl_node_cni_conflist(KL_NODE_POD_SUBNET, sb);
}

static void
kubelet_unit(struct kl_strbuf *sb)
{
	kl_node_kubelet_unit(KL_NODE_BIN_DIR "/v1.37.2", sb);
}

static void
setup_unit(struct kl_strbuf *sb)
{
	kl_node_setup_unit("10.0.2.15", sb);
}

static void
setup_script(struct kl_strbuf *sb)
{
	kl_strbuf_addstr(sb, kl_node_setup_script);
}

static void
boot_files(struct kl_strbuf *sb)
{
	for (const char *const *f = kl_node_boot_files; *f; f++)
		kl_strbuf_addf(sb, "%s\n", *f);
	kl_strbuf_addstr(sb, "--- saved by:\n");
	kl_strbuf_addstr(sb, kl_node_boot_save_script);
}

KL_TEST(node_files_goldens)
{
	golden("node/containerd-vm.toml", containerd_vm);
	golden("node/containerd-host.toml", containerd_host);
	golden("node/bridge.conflist", cni);
	golden("node/kubelet.service", kubelet_unit);
	golden("node/kubelaunch-node.service", setup_unit);
	golden("node/node-setup.sh", setup_script);
	golden("node/boot-files.txt", boot_files);
	kl_unit_golden("node/registry-hosts.toml", kl_node_registry_hosts_toml);
}

/* The shell the machine runs parses (dash, as the guest's /bin/sh). */
KL_TEST(node_scripts_parse)
{
	const char *scripts[] = { kl_node_setup_script, kl_node_boot_save_script, kl_node_kubelet_script,
				  kl_node_host_cleanup_script };

	for (size_t i = 0; i < KL_ARRAY_SIZE(scripts); i++) {
		char cmd[] = "sh -n";
		FILE *p = popen(cmd, "w");

		CHECK(p != NULL);
		if (p == NULL)
			continue;
		fputs(scripts[i], p);
		CHECK_INT(pclose(p), 0);
	}
}

/* Every boot file is under /etc (the image's data-disk script restores only those),
 * and the units it names are among them. */
KL_TEST(node_boot_files_are_under_etc)
{
	int kubelet = 0, setup = 0;

	for (const char *const *f = kl_node_boot_files; *f; f++) {
		CHECK(strncmp(*f, "/etc/", 5) == 0);
		kubelet |= strcmp(*f, KL_NODE_KUBELET_UNIT) == 0;
		setup |= strcmp(*f, KL_NODE_SETUP_UNIT) == 0;
	}
	CHECK(kubelet && setup);
}
