/* virt.c: libvirt through dlopen, on first use. */
#include <dlfcn.h>
#include <stddef.h>

#include "virt.h"

struct kl_virt kl_virt;

int
kl_virt_load(struct kl_err *err)
{
	static void *lib;
	void *sym;

	if (lib)
		return 0;
	lib = dlopen("libvirt.so.0", RTLD_NOW | RTLD_GLOBAL);
	if (lib == NULL)
		return kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "libvirt is not installed (%s); install it: "
				  "apt-get install libvirt0, or use --driver=qemu", dlerror());
#define KL_VIRT_SYM(f)                                                                               \
	if ((sym = dlsym(lib, #f)) == NULL) {                                                        \
		dlclose(lib);                                                                        \
		lib = NULL;                                                                          \
		return kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "libvirt has no '%s': too old", #f);  \
	}                                                                                            \
	*(void **)&kl_virt.f = sym;
	KL_VIRT_FUNCS(KL_VIRT_SYM)
#undef KL_VIRT_SYM
	return 0;
}
