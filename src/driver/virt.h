/*
 * virt.h (private to the drivers): libvirt, loaded when the kvm2 driver is first used.
 * Linking libvirt into every process would cost every command ~9 ms of start-up (it
 * pulls in some fifty libraries); `kubelaunch config get` should not pay for it.
 */
#ifndef KL_DRIVER_VIRT_H
#define KL_DRIVER_VIRT_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "kubelaunch/err.h"

#define KL_VIRT_FUNCS(X) \
	X(virConnectClose) \
	X(virConnectListAllDomains) \
	X(virConnectOpen) \
	X(virDomainCreate) \
	X(virDomainDefineXML) \
	X(virDomainDestroy) \
	X(virDomainFree) \
	X(virDomainGetName) \
	X(virDomainGetState) \
	X(virDomainGetXMLDesc) \
	X(virDomainInterfaceAddresses) \
	X(virDomainInterfaceFree) \
	X(virDomainIsActive) \
	X(virDomainLookupByName) \
	X(virDomainResume) \
	X(virDomainShutdown) \
	X(virDomainSuspend) \
	X(virDomainUndefine) \
	X(virDomainUndefineFlags) \
	X(virGetLastError) \
	X(virNetworkCreate) \
	X(virNetworkDefineXML) \
	X(virNetworkDestroy) \
	X(virNetworkFree) \
	X(virNetworkIsActive) \
	X(virNetworkLookupByName) \
	X(virNetworkUndefine) \
	X(virSetErrorFunc) \

struct kl_virt {
#define KL_VIRT_PTR(f) __typeof__(&f) f;
	KL_VIRT_FUNCS(KL_VIRT_PTR)
#undef KL_VIRT_PTR
};

/* The functions, valid after kl_virt_load succeeded. */
extern struct kl_virt kl_virt;
/* dlopen libvirt once; DRIVER_NOT_FOUND with advice when it is not installed. */
int kl_virt_load(struct kl_err *err);

#endif
