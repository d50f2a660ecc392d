/*
 * kvm2.c: libvirt through its C API (alias "libvirt"). The URI comes from
 * --libvirt-uri (default qemu:///system). Each machine gets a private network
 * kl-<profile> with DHCP beside libvirt's "default" NAT network; its MAC comes from
 * the profile name so a recreated machine keeps its lease. The domain is "kvm" only
 * when KVM really works, else "qemu" (software emulation).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kubelaunch/clock.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/interrupt.h"
#include "kubelaunch/json.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"
#include "virt.h"
#include "vm.h"

#define DEFAULT_URI "qemu:///system"

static void
quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	kl_debug("libvirt: %s", e && e->message ? e->message : "?");
}

static const char *
uri_of(const struct kl_machine *m)
{
	const char *u = kl_json_str(m->state, "LibvirtURI");

	if (m->spec.libvirt_uri && *m->spec.libvirt_uri)
		return m->spec.libvirt_uri;
	return u ? u : DEFAULT_URI;
}

static const char *
last_error(void)
{
	virErrorPtr e = kl_virt.virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

static virConnectPtr
connect_uri(const char *uri, struct kl_err *err)
{
	virConnectPtr c;

	if (kl_virt_load(err) != 0)
		return NULL;
	kl_virt.virSetErrorFunc(NULL, quiet);
	c = kl_virt.virConnectOpen(uri);
	if (c == NULL)
		kl_err_set(err, KL_R_PROVIDER_NOT_RUNNING, "cannot connect to libvirt at '%s': %s", uri,
			   last_error());
	return c;
}

static void
health(struct kl_driver_health *h)
{
	const char *uri = getenv("LIBVIRT_DEFAULT_URI");
	virConnectPtr c;

	if (kl_virt_load(NULL) != 0) {
		snprintf(h->why, sizeof(h->why), "libvirt is not installed");
		snprintf(h->fix, sizeof(h->fix), "install it (apt-get install libvirt-daemon-system) or use --driver=qemu");
		return;
	}
	h->installed = 1;
	kl_virt.virSetErrorFunc(NULL, quiet);
	c = kl_virt.virConnectOpen(uri ? uri : DEFAULT_URI);
	h->healthy = c != NULL;
	if (c == NULL) {
		snprintf(h->why, sizeof(h->why), "libvirt is not running at %s", uri ? uri : DEFAULT_URI);
		snprintf(h->fix, sizeof(h->fix), "start libvirtd and virtlogd, or use --driver=qemu");
	} else {
		kl_virt.virConnectClose(c);
	}
}

static void
xml_text(struct kl_strbuf *xml, const char *pre, const char *value, const char *post)
{
	kl_strbuf_addstr(xml, pre);
	kl_strbuf_add_xml_escaped(xml, value);
	kl_strbuf_addstr(xml, post);
}

void
kl_libvirt_domain_xml(const struct kl_machine *m, const char *domain_type, const char *network,
		      struct kl_strbuf *xml)
{
	struct kl_strbuf pubkey = KL_STRBUF_INIT;
	const char *mac = kl_json_str(m->state, "MAC"), *format;
	char *keypath = kl_machine_path(m, "id_ed25519.pub"), *disk;

	kl_read_file(keypath, &pubkey, NULL);
	kl_strbuf_rtrim(&pubkey);
	kl_strbuf_addf(xml, "<domain type='%s'>\n", domain_type);
	xml_text(xml, "  <name>kl-", m->name, "</name>\n");
	kl_strbuf_addf(xml, "  <memory unit='MiB'>%lld</memory>\n  <vcpu>%d</vcpu>\n", m->spec.memory_mib,
		       m->spec.cpus);
	kl_strbuf_addstr(xml, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n"
			      "    <boot dev='cdrom'/>\n    <boot dev='hd'/>\n    <bootmenu enable='no'/>\n  </os>\n"
			      "  <features><acpi/><apic/></features>\n");
	if (strcmp(domain_type, "kvm") == 0)
		kl_strbuf_addstr(xml, "  <cpu mode='host-passthrough'/>\n");
	kl_strbuf_addstr(xml, "  <sysinfo type='fwcfg'>\n");
	xml_text(xml, "    <entry name='" KL_FWCFG_PREFIX "authorized_keys'>", pubkey.buf, "</entry>\n");
	xml_text(xml, "    <entry name='" KL_FWCFG_PREFIX "hostname'>", m->name, "</entry>\n");
	kl_strbuf_addstr(xml, "    <entry name='" KL_FWCFG_PREFIX "user'>" KL_GUEST_USER "</entry>\n  </sysinfo>\n");
	kl_strbuf_addstr(xml, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
			      "  <on_crash>destroy</on_crash>\n  <devices>\n"
			      "    <disk type='file' device='cdrom'>\n");
	xml_text(xml, "      <source file='", m->spec.iso_path ? m->spec.iso_path : "", "'/>\n");
	kl_strbuf_addstr(xml, "      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n"
			      "    <disk type='file' device='disk'>\n"
			      "      <driver name='qemu' type='");
	disk = kl_vm_disk(m, &format);
	kl_strbuf_addstr(xml, format);
	kl_strbuf_addstr(xml, "' cache='unsafe' discard='unmap'/>\n");
	xml_text(xml, "      <source file='", disk, "'/>\n");
	free(disk);
	kl_strbuf_addstr(xml, "      <target dev='vda' bus='virtio'/>\n    </disk>\n");
	/* Host directories, read-only over 9p (squash: QEMU's security_model=none), as the
	 * qemu driver's -virtfs. */
	for (int i = 0; i < m->spec.nshares; i++) {
		kl_strbuf_addstr(xml, "    <filesystem type='mount' accessmode='squash'>\n");
		xml_text(xml, "      <source dir='", m->spec.shares[i].host, "'/>\n");
		xml_text(xml, "      <target dir='", m->spec.shares[i].tag, "'/>\n");
		kl_strbuf_addstr(xml, "      <readonly/>\n    </filesystem>\n");
	}
	/* libvirt's NAT network is the way out; an isolated machine has only its own network,
	 * which forwards nothing. */
	if (!m->spec.isolated)
		kl_strbuf_addstr(xml, "    <interface type='network'>\n      <source network='default'/>\n"
				      "      <model type='virtio'/>\n    </interface>\n");
	kl_strbuf_addstr(xml, "    <interface type='network'>\n");
	xml_text(xml, "      <source network='", network, "'/>\n");
	xml_text(xml, "      <mac address='", mac ? mac : "52:54:00:00:00:01", "'/>\n");
	kl_strbuf_addstr(xml, "      <model type='virtio'/>\n    </interface>\n    <serial type='file'>\n");
	xml_text(xml, "      <source path='", m->dir, "/serial.log'/>\n");
	kl_strbuf_addstr(xml, "      <target port='0'/>\n    </serial>\n"
			      "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
			      "  </devices>\n");
	/* qemu runs as the user who runs kubelaunch, so it can read that user's files. */
	kl_strbuf_addf(xml, "  <seclabel type='static' model='dac' relabel='no'><label>+%d:+%d</label></seclabel>\n",
		       (int)getuid(), (int)getgid());
	kl_strbuf_addstr(xml, "</domain>\n");
	kl_strbuf_release(&pubkey);
	free(keypath);
}

void
kl_libvirt_network_xml(const char *name, const char *bridge, int subnet, struct kl_strbuf *xml)
{
	xml_text(xml, "<network>\n  <name>", name, "</name>\n");
	xml_text(xml, "  <bridge name='", bridge, "' stp='on' delay='0'/>\n");
	kl_strbuf_addf(xml, "  <dns enable='no'/>\n"
			    "  <ip address='192.168.%d.1' netmask='255.255.255.0'>\n"
			    "    <dhcp>\n      <range start='192.168.%d.2' end='192.168.%d.253'/>\n    </dhcp>\n"
			    "  </ip>\n</network>\n", subnet, subnet, subnet);
}

/* A /24 for the private network: 192.168.39.0 first (minikube's habit), then others
 * that no host interface uses. */
static int
pick_subnet(void)
{
	struct ifaddrs *ifs = NULL;

	getifaddrs(&ifs);
	for (int third = 39; third < 255; third += 11) {
		int used = 0;
		for (struct ifaddrs *i = ifs; i && !used; i = i->ifa_next) {
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
				unsigned a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
				used = (a >> 8) == ((192u << 16) | (168u << 8) | (unsigned)third);
			}
		}
		if (!used) {
			freeifaddrs(ifs);
			return third;
		}
	}
	freeifaddrs(ifs);
	return 200;
}

static char *
network_name(const struct kl_machine *m)
{
	return kl_xasprintf("kl-%s", m->name);
}

static int
ensure_network(virConnectPtr c, struct kl_machine *m, struct kl_err *err)
{
	char *name = network_name(m), bridge[16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct kl_strbuf xml = KL_STRBUF_INIT;
	virNetworkPtr net = kl_virt.virNetworkLookupByName(c, name);
	int rc = -1;

	if (net == NULL) {
		EVP_Digest(m->name, strlen(m->name), md, &mdlen, EVP_sha256(), NULL);
		snprintf(bridge, sizeof(bridge), "virbr-kl%02x%02x", md[0], md[1]);
		kl_libvirt_network_xml(name, bridge, pick_subnet(), &xml);
		net = kl_virt.virNetworkDefineXML(c, xml.buf);
		if (net == NULL) {
			kl_err_set(err, KL_R_NET, "cannot define the network '%s': %s", name, last_error());
			goto out;
		}
	}
	if (kl_virt.virNetworkIsActive(net) != 1 && kl_virt.virNetworkCreate(net) != 0) {
		kl_err_set(err, KL_R_NET, "cannot start the network '%s': %s", name, last_error());
		goto out;
	}
	/* The NAT network gives the machine its way out; start it when it is defined. */
	if (!m->spec.isolated) {
		virNetworkPtr def = kl_virt.virNetworkLookupByName(c, "default");
		if (def == NULL) {
			kl_err_set(err, KL_R_NET, "libvirt has no 'default' network: define it (virsh net-define "
				   "/usr/share/libvirt/networks/default.xml) and start it");
			goto out;
		}
		if (kl_virt.virNetworkIsActive(def) != 1 && kl_virt.virNetworkCreate(def) != 0) {
			kl_err_set(err, KL_R_NET, "cannot start libvirt's 'default' network: %s", last_error());
			kl_virt.virNetworkFree(def);
			goto out;
		}
		kl_virt.virNetworkFree(def);
	}
	rc = 0;
out:
	if (net)
		kl_virt.virNetworkFree(net);
	kl_strbuf_release(&xml);
	free(name);
	return rc;
}

/* The domain, or NULL (with err) when it does not exist. */
static virDomainPtr
lookup(virConnectPtr c, const struct kl_machine *m, struct kl_err *err)
{
	char *name = kl_xasprintf("kl-%s", m->name);
	virDomainPtr d = kl_virt.virDomainLookupByName(c, name);

	if (d == NULL)
		kl_err_set(err, KL_R_GUEST_NOT_FOUND, "libvirt has no domain '%s'", name);
	free(name);
	return d;
}

static int
create(struct kl_machine *m, struct kl_err *err)
{
	struct kl_strbuf xml = KL_STRBUF_INIT;
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	char *net = network_name(m);
	int rc = -1;

	if (kl_vm_check(m, err) != 0 || kl_vm_prepare(m, err) != 0)
		goto out;
	if ((c = connect_uri(uri_of(m), err)) == NULL || ensure_network(c, m, err) != 0)
		goto out;
	kl_libvirt_domain_xml(m, strcmp(kl_vm_accel(m), "kvm") == 0 ? "kvm" : "qemu", net, &xml);
	if ((d = kl_virt.virDomainDefineXML(c, xml.buf)) == NULL) {
		kl_err_set(err, KL_R_DRIVER, "cannot define the domain of '%s': %s", m->name, last_error());
		goto out;
	}
	json_object_set_new(m->state, "LibvirtURI", json_string(uri_of(m)));
	json_object_set_new(m->state, "Network", json_string(net));
	/* The domain keeps the shares it was defined with: a later start that asks for
	 * other directories finds them not shared and copies instead. */
	kl_machine_record_shares(m);
	rc = kl_machine_save_state(m, err);
out:
	if (d)
		kl_virt.virDomainFree(d);
	if (c)
		kl_virt.virConnectClose(c);
	kl_strbuf_release(&xml);
	free(net);
	return rc;
}

static int
start(struct kl_machine *m, struct kl_err *err)
{
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	int rc = -1;

	if ((c = connect_uri(uri_of(m), err)) == NULL)
		goto out;
	if ((d = lookup(c, m, NULL)) == NULL) {
		kl_virt.virConnectClose(c);
		c = NULL;
		if (create(m, err) != 0 || (c = connect_uri(uri_of(m), err)) == NULL ||
		    (d = lookup(c, m, err)) == NULL)
			goto out;
	}
	if (ensure_network(c, m, err) != 0)
		goto out;
	if (kl_virt.virDomainIsActive(d) == 1) {
		rc = 0;
		goto out;
	}
	if (kl_virt.virDomainCreate(d) != 0) {
		kl_err_set(err, KL_R_GUEST_BOOT, "cannot start '%s': %s", m->name, last_error());
		goto out;
	}
	json_object_del(m->state, "IP");
	rc = kl_machine_save_state(m, err);
out:
	if (d)
		kl_virt.virDomainFree(d);
	if (c)
		kl_virt.virConnectClose(c);
	return rc;
}

static int
state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err)
{
	virConnectPtr c = connect_uri(uri_of(m), err);
	virDomainPtr d;
	int s = 0, reason = 0;

	if (c == NULL)
		return -1;
	d = lookup(c, m, NULL);
	if (d == NULL) {
		*st = KL_STATE_NONEXISTENT;
	} else if (kl_virt.virDomainGetState(d, &s, &reason, 0) != 0) {
		*st = KL_STATE_ERROR;
	} else {
		*st = s == VIR_DOMAIN_RUNNING ? KL_STATE_RUNNING :
		      s == VIR_DOMAIN_PAUSED ? KL_STATE_PAUSED :
		      s == VIR_DOMAIN_SHUTOFF || s == VIR_DOMAIN_SHUTDOWN ? KL_STATE_STOPPED :
		      s == VIR_DOMAIN_CRASHED ? KL_STATE_ERROR : KL_STATE_STARTING;
	}
	if (d)
		kl_virt.virDomainFree(d);
	kl_virt.virConnectClose(c);
	return 0;
}

/* Run one domain call that takes no arguments but the domain. */
static int
with_domain(struct kl_machine *m, int (*fn)(virDomainPtr), const char *what, struct kl_err *err)
{
	virConnectPtr c = connect_uri(uri_of(m), err);
	virDomainPtr d;
	int rc = -1;

	if (c == NULL)
		return -1;
	if ((d = lookup(c, m, err)) != NULL) {
		rc = fn(d) == 0 ? 0 : kl_err_set(err, KL_R_DRIVER, "cannot %s '%s': %s", what, m->name, last_error());
		kl_virt.virDomainFree(d);
	}
	kl_virt.virConnectClose(c);
	return rc;
}

static int
kill_machine(struct kl_machine *m, struct kl_err *err)
{
	enum kl_machine_state st;

	if (state(m, &st, err) != 0)
		return -1;
	if (st == KL_STATE_NONEXISTENT || st == KL_STATE_STOPPED)
		return 0;
	return with_domain(m, kl_virt.virDomainDestroy, "destroy", err);
}

static int
stop(struct kl_machine *m, int timeout_ms, struct kl_err *err)
{
	enum kl_machine_state st;

	if (state(m, &st, err) != 0)
		return -1;
	if (st == KL_STATE_NONEXISTENT || st == KL_STATE_STOPPED)
		return 0;
	/* ACPI shutdown with a deadline, then destroy. */
	if (with_domain(m, kl_virt.virDomainShutdown, "shut down", NULL) == 0) {
		for (int waited = 0; waited < timeout_ms; waited += 100) {
			if (state(m, &st, NULL) == 0 && st == KL_STATE_STOPPED)
				return 0;
			kl_sleep_ms(100);
		}
		kl_warn("'%s' did not shut down in %d ms; destroying it", m->name, timeout_ms);
	}
	return kill_machine(m, err);
}

/* Whether any other domain still uses the network. */
static int
network_in_use(virConnectPtr c, const char *net, const char *self)
{
	virDomainPtr *doms = NULL;
	char *needle = kl_xasprintf("network='%s'", net);
	int n = kl_virt.virConnectListAllDomains(c, &doms, 0), used = 0;

	for (int i = 0; i < n; i++) {
		char *xml = kl_virt.virDomainGetXMLDesc(doms[i], 0);
		if (xml && strcmp(kl_virt.virDomainGetName(doms[i]), self) != 0 && strstr(xml, needle))
			used = 1;
		free(xml);
		kl_virt.virDomainFree(doms[i]);
	}
	free(doms);
	free(needle);
	return used;
}

static int
remove_machine(struct kl_machine *m, struct kl_err *err)
{
	char *net = network_name(m), *domname = kl_xasprintf("kl-%s", m->name);
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	virNetworkPtr n = NULL;
	int rc = -1;

	if (kill_machine(m, err) != 0 || (c = connect_uri(uri_of(m), err)) == NULL)
		goto out;
	if ((d = lookup(c, m, NULL)) != NULL &&
	    kl_virt.virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) != 0 &&
	    kl_virt.virDomainUndefine(d) != 0) {
		kl_err_set(err, KL_R_DRIVER, "cannot undefine '%s': %s", m->name, last_error());
		goto out;
	}
	/* Networks go with the last machine that uses them. */
	if ((n = kl_virt.virNetworkLookupByName(c, net)) != NULL && !network_in_use(c, net, domname)) {
		if (kl_virt.virNetworkIsActive(n) == 1)
			kl_virt.virNetworkDestroy(n);
		if (kl_virt.virNetworkUndefine(n) != 0) {
			kl_err_set(err, KL_R_NET, "cannot remove the network '%s': %s", net, last_error());
			goto out;
		}
	}
	rc = kl_remove_tree(m->dir, err);
out:
	if (n)
		kl_virt.virNetworkFree(n);
	if (d)
		kl_virt.virDomainFree(d);
	if (c)
		kl_virt.virConnectClose(c);
	free(domname);
	free(net);
	return rc;
}

/* The private network's DHCP lease for our MAC, retried for up to 120 s. */
static int
ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err)
{
	const char *mac = kl_json_str(m->state, "MAC"), *known = kl_json_str(m->state, "IP");
	virConnectPtr c;
	virDomainPtr d;
	int rc = -1, waited;

	if (known) {
		snprintf(buf, len, "%s", known);
		return 0;
	}
	if ((c = connect_uri(uri_of(m), err)) == NULL)
		return -1;
	if ((d = lookup(c, m, err)) == NULL) {
		kl_virt.virConnectClose(c);
		return -1;
	}
	for (waited = 0; waited <= 120 && rc != 0; waited++) {
		virDomainInterfacePtr *ifaces = NULL;
		int n = kl_virt.virDomainInterfaceAddresses(d, &ifaces, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0);

		for (int i = 0; i < n; i++) {
			if (rc != 0 && ifaces[i]->hwaddr && mac && strcasecmp(ifaces[i]->hwaddr, mac) == 0)
				for (unsigned j = 0; j < ifaces[i]->naddrs; j++)
					if (ifaces[i]->addrs[j].type == VIR_IP_ADDR_TYPE_IPV4) {
						snprintf(buf, len, "%s", ifaces[i]->addrs[j].addr);
						rc = 0;
						break;
					}
			kl_virt.virDomainInterfaceFree(ifaces[i]);
		}
		free(ifaces);
		if (rc != 0 && kl_interrupted())
			break;
		if (rc != 0 && waited < 120)
			kl_sleep_ms(1000);
	}
	if (rc != 0 && kl_interrupted())
		kl_interrupt_err(err, "waiting for an IP address");
	else if (rc != 0)
		kl_err_set(err, KL_R_GUEST_TIMEOUT,
			   "'%s' got no IP address from network 'kl-%s' in 120 s (MAC %s); look at its serial log "
			   "and at libvirt's dnsmasq", m->name, m->name, mac ? mac : "?");
	else
		json_object_set_new(m->state, "IP", json_string(buf));
	kl_virt.virDomainFree(d);
	kl_virt.virConnectClose(c);
	return rc;
}

static int
endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err)
{
	ep->port = guest_port;
	return ip(m, ep->host, sizeof(ep->host), err);
}

static int
ssh_endpoint(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err)
{
	kl_vm_ssh_files(m, ep);
	return endpoint(m, 22, &ep->addr, err);
}

static int
pause_machine(struct kl_machine *m, struct kl_err *err)
{
	return with_domain(m, kl_virt.virDomainSuspend, "pause", err);
}

static int
unpause_machine(struct kl_machine *m, struct kl_err *err)
{
	return with_domain(m, kl_virt.virDomainResume, "unpause", err);
}

const struct kl_driver_ops kl_driver_kvm2 = {
	.name = "kvm2",
	.alias = "libvirt",
	.priority = 40,
	.caps = KL_CAP_VM | KL_CAP_AUTO | KL_CAP_SHARE | KL_CAP_DISK_BASE,
	.health = health,
	.create = create,
	.start = start,
	.stop = stop,
	.kill = kill_machine,
	.remove = remove_machine,
	.state = state,
	.ip = ip,
	.ssh_endpoint = ssh_endpoint,
	.endpoint = endpoint,
	.pause = pause_machine,
	.unpause = unpause_machine,
};
