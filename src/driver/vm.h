/* vm.h (private to the drivers): what the VM drivers (qemu, kvm2, vfkit) share. */
#ifndef KL_DRIVER_VM_H
#define KL_DRIVER_VM_H

#include "kubelaunch/driver.h"
#include "kubelaunch/proc.h"
#include "kubelaunch/strbuf.h"
#include "kubelaunch/strvec.h"

#define KL_GUEST_USER "kubelaunch"
#define KL_FWCFG_PREFIX "opt/io.kubelaunch/"

/* A stable MAC from the profile name (52:54:00 is QEMU's prefix): a recreated
 * machine keeps its DHCP lease. */
void kl_vm_mac(const char *name, char mac[18]);
/* CPUs, memory and disk against the host; a missing or unreadable ISO. */
int kl_vm_check(const struct kl_machine *m, struct kl_err *err);
/* The machine directory, the SSH key pair and the data disk: sparse (disk.raw), or a
 * qcow2 overlay over spec.disk_base (disk.qcow2) when the driver can and one is given. */
int kl_vm_prepare(struct kl_machine *m, struct kl_err *err);
/* The data disk the machine was created with: its path (a new string) and format. */
char *kl_vm_disk(const struct kl_machine *m, const char **format);
/* The accelerator to use: "kvm" when it really works, else "tcg"; recorded in the
 * machine's state with the reason (Accel, AccelWhy) so start can say it once. */
const char *kl_vm_accel(struct kl_machine *m);
/* The SSH endpoint every VM driver gives: user, key and pin file in the machine dir. */
void kl_vm_ssh_files(const struct kl_machine *m, struct kl_ssh_endpoint *ep);

/* qemu-system-x86_64's argv for a machine (golden-tested). */
void kl_qemu_argv(const struct kl_machine *m, const char *qemu, const char *accel, int ssh_port,
		  int api_port, struct kl_strvec *argv);
/* libvirt domain and network XML (golden-tested). */
void kl_libvirt_domain_xml(const struct kl_machine *m, const char *domain_type, const char *network,
			   struct kl_strbuf *xml);
void kl_libvirt_network_xml(const char *name, const char *bridge, int subnet, struct kl_strbuf *xml);
/* vfkit's argv (golden-tested). */
void kl_vfkit_argv(const struct kl_machine *m, const char *vfkit, struct kl_strvec *argv);

#endif
