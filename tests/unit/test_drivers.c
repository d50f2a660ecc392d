/* Drivers: generated command lines and XML (golden files), the registry, and the
 * kvm2 driver's whole lifecycle against libvirt's own test hypervisor. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "../../src/driver/vm.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/runner.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

static struct kl_machine *
sample(const char *driver)
{
	struct kl_machine *m = kl_machine_new("/home/dev/.kubelaunch", "dev", kl_driver_find(driver));

	m->spec.cpus = 2;
	m->spec.memory_mib = 4096;
	m->spec.disk_mib = 20480;
	m->spec.apiserver_port = 8443;
	m->spec.iso_path = kl_xstrdup("/cache/kubelaunch-v0.1.0.iso");
	json_object_set_new(m->state, "MAC", json_string("52:54:00:aa:bb:cc"));
	return m;
}

static void
golden_argv(const char *name, const struct kl_strvec *argv)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;

	for (size_t i = 0; i < argv->n; i++)
		kl_strbuf_addf(&sb, "%s\n", argv->v[i]);
	kl_unit_golden(name, sb.buf);
	kl_strbuf_release(&sb);
}

KL_TEST(qemu_argv_golden)
{
	struct kl_machine *m = sample("qemu");
	struct kl_strvec argv = KL_STRVEC_INIT;

	kl_qemu_argv(m, "qemu-system-x86_64", "tcg", 40022, 48443, &argv);
	golden_argv("drivers/qemu-tcg.argv", &argv);
	kl_strvec_clear(&argv);
	/* With shares; a comma in a path is doubled inside QEMU's option list. */
	kl_machine_share(m, "kl-images", "/srv/images,v1");
	kl_machine_share(m, "kl-binaries", "/srv/bin");
	kl_machine_share(m, "kl-images", "/srv/images,v2");
	m->spec.isolated = 1;
	CHECK_INT(m->spec.nshares, 2);
	kl_qemu_argv(m, "qemu-system-x86_64", "kvm", 40022, 48443, &argv);
	golden_argv("drivers/qemu-kvm.argv", &argv);
	kl_strvec_clear(&argv);
	kl_machine_free(m);
}

KL_TEST(preloaded_disk_is_a_qcow2_overlay)
{
	struct kl_machine *m = sample("qemu");
	struct kl_strvec argv = KL_STRVEC_INIT;
	struct kl_strbuf xml = KL_STRBUF_INIT;
	const char *format;
	char *disk = kl_vm_disk(m, &format);

	CHECK_STR(format, "raw");
	CHECK(strstr(disk, "/disk.raw") != NULL);
	free(disk);
	/* A machine created over a base records it; its disk is the overlay from then on. */
	json_object_set_new(m->state, "DiskBase", json_string("/cache/preload/k/data-20480m.raw"));
	disk = kl_vm_disk(m, &format);
	CHECK_STR(format, "qcow2");
	CHECK(strstr(disk, "/disk.qcow2") != NULL);
	free(disk);
	kl_qemu_argv(m, "qemu-system-x86_64", "tcg", 40022, 48443, &argv);
	golden_argv("drivers/qemu-preload.argv", &argv);
	kl_strvec_clear(&argv);
	kl_machine_free(m);
	m = sample("kvm2");
	json_object_set_new(m->state, "DiskBase", json_string("/cache/preload/k/data-20480m.raw"));
	m->spec.isolated = 1;
	kl_machine_share(m, "kl-binaries", "/srv/bin's");
	kl_libvirt_domain_xml(m, "qemu", "kl-dev", &xml);
	CHECK(strstr(xml.buf, "network='default'") == NULL); /* no way out */
	CHECK(strstr(xml.buf, "<filesystem type='mount' accessmode='squash'>\n      <source dir='/srv/bin&apos;s'/>\n"
			      "      <target dir='kl-binaries'/>\n      <readonly/>\n    </filesystem>\n") != NULL);
	CHECK(strstr(xml.buf, "<driver name='qemu' type='qcow2' cache='unsafe' discard='unmap'/>") != NULL);
	CHECK(strstr(xml.buf, "/disk.qcow2'/>") != NULL);
	kl_strbuf_release(&xml);
	kl_machine_free(m);
}

KL_TEST(machine_shared_reads_the_last_boot)
{
	struct kl_machine *m = sample("qemu");

	CHECK(kl_machine_shared(m, "/srv/bin") == NULL);
	json_object_set_new(m->state, "Shares", json_pack("{s:s}", "kl-binaries", "/srv/bin"));
	CHECK_STR(kl_machine_shared(m, "/srv/bin"), "kl-binaries");
	CHECK(kl_machine_shared(m, "/srv/other") == NULL);
	kl_machine_free(m);
	m = sample("none");
	json_object_set_new(m->state, "Shares", json_pack("{s:s}", "kl-binaries", "/srv/bin"));
	CHECK(kl_machine_shared(m, "/srv/bin") == NULL); /* the driver cannot share */
	kl_machine_free(m);
}

KL_TEST(vfkit_argv_golden)
{
	struct kl_machine *m = sample("vfkit");
	struct kl_strvec argv = KL_STRVEC_INIT;

	kl_vfkit_argv(m, "vfkit", &argv);
	golden_argv("drivers/vfkit.argv", &argv);
	kl_strvec_clear(&argv);
	kl_machine_free(m);
}

KL_TEST(libvirt_xml_golden)
{
	struct kl_machine *m = sample("kvm2");
	struct kl_strbuf xml = KL_STRBUF_INIT;
	char *s;

	kl_libvirt_domain_xml(m, "qemu", "kl-dev", &xml);
	/* The DAC label carries the caller's IDs: make it stable for the golden file. */
	s = strstr(xml.buf, "<label>");
	if (s)
		memcpy(s, "<label>+U:+G</label></seclabel>\n</domain>\n", strlen("<label>+U:+G</label></seclabel>\n</domain>\n") + 1);
	kl_unit_golden("drivers/libvirt-domain.xml", xml.buf);
	kl_strbuf_reset(&xml);
	kl_libvirt_network_xml("kl-dev", "virbr-kl0102", 39, &xml);
	kl_unit_golden("drivers/libvirt-network.xml", xml.buf);
	kl_strbuf_release(&xml);
	kl_machine_free(m);
}

KL_TEST(xml_escaping_of_names)
{
	struct kl_machine *m = sample("kvm2");
	struct kl_strbuf xml = KL_STRBUF_INIT;

	free(m->spec.iso_path);
	m->spec.iso_path = kl_xstrdup("/tmp/a'b<c>&\".iso");
	kl_libvirt_domain_xml(m, "qemu", "kl-dev", &xml);
	CHECK(strstr(xml.buf, "/tmp/a&apos;b&lt;c&gt;&amp;&quot;.iso") != NULL);
	kl_strbuf_release(&xml);
	kl_machine_free(m);
}

KL_TEST(driver_registry)
{
	struct kl_machine *m = kl_machine_new("/nonexistent", "x", kl_driver_find("none"));
	struct kl_err err;
	char mac1[18], mac2[18];

	CHECK(kl_driver_find("libvirt") == kl_driver_find("kvm2"));
	CHECK(kl_driver_find("qemu2") == kl_driver_find("qemu"));
	CHECK(kl_driver_find("virtualbox") == NULL);
	/* An operation the driver lacks is answered centrally. */
	CHECK_INT(kl_driver_pause(m, &err), -1);
	CHECK_INT(err.reason, KL_R_UNSUPPORTED);
	CHECK_STR(err.msg, "the none driver cannot pause 'x'");
	/* vfkit is for macOS. */
	CHECK_INT(kl_driver_check(kl_driver_find("vfkit"), &err), -1);
	CHECK_INT(kl_reason_exit(err.reason), 56);
	kl_vm_mac("dev", mac1);
	kl_vm_mac("dev", mac2);
	CHECK_STR(mac1, mac2);
	kl_vm_mac("other", mac2);
	CHECK(strcmp(mac1, mac2) != 0);
	CHECK(strncmp(mac1, "52:54:00:", 9) == 0);
	kl_machine_free(m);
}

/* The kvm2 driver against libvirt's built-in test hypervisor: one process, so all
 * calls share its in-memory state. */
KL_TEST(kvm2_lifecycle_on_libvirt_test_driver)
{
	const char *home = kl_unit_tmpdir();
	struct kl_machine *m = kl_machine_new(home, "dev", kl_driver_find("kvm2"));
	enum kl_machine_state st;
	struct kl_err err;
	char *iso = kl_xasprintf("%s/fake.iso", home);
	virConnectPtr c;

	/* libvirt keeps test:///default's state while a connection to it is open. */
	c = virConnectOpen("test:///default");
	CHECK(c != NULL);
	CHECK_INT(kl_write_file_atomic(iso, "x", 1, 0644, &err), 0);
	m->spec.cpus = 2;
	m->spec.memory_mib = 2048;
	m->spec.disk_mib = 2048;
	m->spec.apiserver_port = 8443;
	m->spec.iso_path = iso;
	m->spec.libvirt_uri = kl_xstrdup("test:///default");
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_NONEXISTENT);
	if (kl_driver_create(m, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "create: %s", err.msg);
	{
		char *key = kl_machine_path(m, "id_ed25519");
		struct stat st_key;

		CHECK(stat(key, &st_key) == 0 && (st_key.st_mode & 0777) == 0600);
		free(key);
	}
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_STOPPED);
	if (kl_driver_start(m, &err) != 0)
		kl_unit_fail(__FILE__, __LINE__, "start: %s", err.msg);
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_RUNNING);
	CHECK_INT(kl_driver_pause(m, &err), 0);
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_PAUSED);
	CHECK_INT(kl_driver_unpause(m, &err), 0);
	CHECK_INT(kl_driver_stop(m, 2000, &err), 0);
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_STOPPED);
	/* The private network exists while the machine does. */
	if (c) {
		virNetworkPtr n = virNetworkLookupByName(c, "kl-dev");
		CHECK(n != NULL);
		if (n)
			virNetworkFree(n);
	}
	CHECK_INT(kl_driver_remove(m, &err), 0);
	CHECK_INT(kl_driver_state(m, &st, &err), 0);
	CHECK_INT(st, KL_STATE_NONEXISTENT);
	CHECK(!kl_path_exists(m->dir));
	if (c) {
		virNetworkPtr n = virNetworkLookupByName(c, "kl-dev");
		CHECK(n == NULL);
		if (n)
			virNetworkFree(n);
		virConnectClose(c);
	}
	kl_machine_free(m);
}
