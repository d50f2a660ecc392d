/*
 * fuzz_state.c: a profile's record as the commands read it: profiles/<p>/config.json
 * (kl_cluster_open: the driver, the machine's spec) with machines/<p>/state.json (what
 * the driver recorded: ports, forwards, shares, phases), then the settings an existing
 * profile gives a start (kl_settings_decode with the profile as source), and the
 * addresses status, ssh and service would use.
 * Input: the profile's config.json, a NUL byte, the state.json.
 * Invariants: a record that cannot be used is refused as the file's fault
 * (CONFIG_CORRUPT, ...; never a usage error or a bug) and says why; an address read
 * from state.json is a TCP port in 1..65535 or an error; a decoded profile setting
 * formats as text that parses back to the same value.
 */
#include <unistd.h>

#include "kubelaunch/cluster.h"
#include "kubelaunch/settings.h"

#include "fuzz.h"
#include "fuzz_home.h"

static void
file_fault(const struct kl_err *err)
{
	KL_FUZZ_CHECK(err->msg[0] != '\0');
	KL_FUZZ_CHECK(kl_reason_exit(err->reason) != kl_reason_exit(KL_R_USAGE) && err->reason != KL_R_PROGRAM);
}

/* Only drivers whose endpoints come from the record alone (qemu asks QMP for other
 * ports, kvm2 asks libvirt): ssh and the API server's port. */
static void
endpoints(struct kl_cluster *c)
{
	struct kl_machine *m = c->machine;
	struct kl_ssh_endpoint ep;
	struct kl_endpoint api;
	struct kl_err err = { 0 };
	const char *d = m->driver->name;

	if (strcmp(d, "qemu") != 0 && strcmp(d, "ssh") != 0)
		return;
	memset(&ep, 0, sizeof(ep));
	if (kl_driver_ssh_endpoint(m, &ep, &err) == 0)
		KL_FUZZ_CHECK(ep.addr.port >= 1 && ep.addr.port <= 65535);
	if (strcmp(d, "qemu") == 0 && m->spec.apiserver_port > 0 && m->spec.apiserver_port != 22 &&
	    kl_driver_endpoint(m, m->spec.apiserver_port, &api, &err) == 0)
		KL_FUZZ_CHECK(api.port >= 1 && api.port <= 65535);
	kl_machine_shared(m, "/tmp");
}

static void
settings(struct kl_cluster *c, const char *home)
{
	struct kl_settings_src src = { .profile = c->profile.cfg, .profile_name = c->profile.name,
				       .env = { .home = home } };
	struct kl_settings set;
	struct kl_err err = { 0 };

	if (kl_settings_decode(&set, &src, &err) != 0) {
		file_fault(&err);
		return;
	}
	for (const struct kl_setting *s = kl_settings_table; s->name; s++) {
		json_t *got = json_object_get(set.values, s->name);

		if (got && (s->flags & KL_SETF_SAVED) && json_object_get(c->profile.cfg, s->field))
			kl_fuzz_round_trip(s, got, &src.env);
	}
	kl_settings_release(&set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *home = kl_fuzz_home();
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	char profile[128], state[128];
	struct kl_cluster c;
	struct kl_err err = { 0 };

	snprintf(profile, sizeof(profile), "%s/profiles/dev/config.json", home);
	snprintf(state, sizeof(state), "%s/machines/dev/state.json", home);
	kl_fuzz_write(profile, data, plen);
	if (nul)
		kl_fuzz_write(state, nul + 1, size - plen - 1);
	else
		unlink(state);
	if (kl_cluster_open(home, "dev", &c, &err) != 0) {
		file_fault(&err);
	} else {
		endpoints(&c);
		settings(&c, home);
	}
	kl_cluster_release(&c);
	return 0;
}
