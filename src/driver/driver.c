/* driver.c: the registry, central dispatch, KVM detection and machine records. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubelaunch/driver.h"
#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/layout.h"
#include "kubelaunch/log.h"
#include "kubelaunch/xalloc.h"

extern const struct kl_driver_ops kl_driver_kvm2;
extern const struct kl_driver_ops kl_driver_qemu;
extern const struct kl_driver_ops kl_driver_none;
extern const struct kl_driver_ops kl_driver_ssh;
extern const struct kl_driver_ops kl_driver_vfkit;

/* By priority, best first. */
const struct kl_driver_ops *const kl_drivers[] = {
	&kl_driver_kvm2,
	&kl_driver_qemu,
	&kl_driver_vfkit,
	&kl_driver_none,
	&kl_driver_ssh,
	NULL,
};

const char *
kl_machine_state_name(enum kl_machine_state st)
{
	static const char *const names[] = { "Nonexistent", "Stopped", "Starting", "Running", "Paused",
					     "Error" };

	return st <= KL_STATE_ERROR ? names[st] : "Unknown";
}

const struct kl_driver_ops *
kl_driver_find(const char *name)
{
	for (const struct kl_driver_ops *const *d = kl_drivers; *d; d++)
		if (strcmp((*d)->name, name) == 0 || ((*d)->alias && strcmp((*d)->alias, name) == 0))
			return *d;
	return NULL;
}

static void
health(const struct kl_driver_ops *d, struct kl_driver_health *h)
{
	memset(h, 0, sizeof(*h));
	if (d->health) {
		d->health(h);
	} else {
		h->installed = h->healthy = 1;
	}
}

int
kl_driver_check(const struct kl_driver_ops *d, struct kl_err *err)
{
	struct kl_driver_health h;

	health(d, &h);
	if (h.healthy)
		return 0;
	if (!h.installed)
		return kl_err_set(err, strstr(h.why, "not supported on this OS") ? KL_R_DRIVER_UNSUPPORTED_OS :
				  KL_R_DRIVER_NOT_FOUND, "the %s driver cannot be used: %s; %s", d->name, h.why, h.fix);
	return kl_err_set(err, strstr(h.why, "not running") ? KL_R_PROVIDER_NOT_RUNNING : KL_R_DRIVER_UNHEALTHY,
			  "the %s driver is not healthy: %s; %s", d->name, h.why, h.fix);
}

const struct kl_driver_ops *
kl_driver_choose(char *why, size_t len, struct kl_err *err)
{
	struct kl_strbuf skipped = KL_STRBUF_INIT;

	for (const struct kl_driver_ops *const *d = kl_drivers; *d; d++) {
		struct kl_driver_health h;

		if (!((*d)->caps & KL_CAP_AUTO))
			continue;
		health(*d, &h);
		if (h.healthy) {
			snprintf(why, len, "the %s driver was chosen automatically%s%s", (*d)->name,
				 skipped.len ? "; " : "", skipped.buf);
			kl_strbuf_release(&skipped);
			return *d;
		}
		kl_strbuf_addf(&skipped, "%s%s: %s", skipped.len ? "; " : "", (*d)->name, h.why);
	}
	kl_err_set(err, KL_R_DRIVER_NOT_FOUND, "no usable driver found (%s)", skipped.buf);
	kl_strbuf_release(&skipped);
	return NULL;
}

static int
unsupported(const struct kl_machine *m, const char *op, struct kl_err *err)
{
	return kl_err_set(err, KL_R_UNSUPPORTED, "the %s driver cannot %s '%s'", m->driver->name, op, m->name);
}

#define DISPATCH(op, ...) \
	(m->driver->op ? m->driver->op(m, __VA_ARGS__) : unsupported(m, #op, err))

int kl_driver_create(struct kl_machine *m, struct kl_err *err) { return DISPATCH(create, err); }
int kl_driver_start(struct kl_machine *m, struct kl_err *err) { return DISPATCH(start, err); }
int kl_driver_stop(struct kl_machine *m, int timeout_ms, struct kl_err *err) { return DISPATCH(stop, timeout_ms, err); }
int kl_driver_kill(struct kl_machine *m, struct kl_err *err) { return DISPATCH(kill, err); }
int kl_driver_remove(struct kl_machine *m, struct kl_err *err) { return DISPATCH(remove, err); }
int kl_driver_state(struct kl_machine *m, enum kl_machine_state *st, struct kl_err *err) { return DISPATCH(state, st, err); }
int kl_driver_ip(struct kl_machine *m, char *buf, size_t len, struct kl_err *err) { return DISPATCH(ip, buf, len, err); }
int kl_driver_ssh_endpoint(struct kl_machine *m, struct kl_ssh_endpoint *ep, struct kl_err *err) { return DISPATCH(ssh_endpoint, ep, err); }
int kl_driver_endpoint(struct kl_machine *m, int guest_port, struct kl_endpoint *ep, struct kl_err *err) { return DISPATCH(endpoint, guest_port, ep, err); }
int kl_driver_pause(struct kl_machine *m, struct kl_err *err) { return DISPATCH(pause, err); }
int kl_driver_unpause(struct kl_machine *m, struct kl_err *err) { return DISPATCH(unpause, err); }

int
kl_kvm_usable(char *why, size_t len)
{
	struct kl_strbuf cpuinfo = KL_STRBUF_INIT;
	int fd, flag = 0;

	if (kl_read_file("/proc/cpuinfo", &cpuinfo, NULL) == 0)
		flag = strstr(cpuinfo.buf, " vmx") != NULL || strstr(cpuinfo.buf, " svm") != NULL;
	kl_strbuf_release(&cpuinfo);
	if (!flag) {
		snprintf(why, len, "the CPU shows no vmx or svm flag");
		return 0;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "/dev/kvm cannot be opened: %s", strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

struct kl_machine *
kl_machine_new(const char *home, const char *name, const struct kl_driver_ops *d)
{
	struct kl_machine *m = kl_xcalloc(1, sizeof(*m));

	m->name = kl_xstrdup(name);
	m->dir = kl_home_path(home, KL_HOME_MACHINES, name, NULL);
	m->driver = d;
	m->state = json_object();
	return m;
}

char *
kl_machine_path(const struct kl_machine *m, const char *file)
{
	return kl_xasprintf("%s/%s", m->dir, file);
}

int
kl_machine_load_state(struct kl_machine *m, struct kl_err *err)
{
	char *path = kl_machine_path(m, "state.json");
	json_t *st = NULL;
	int rc = kl_json_load_file(path, 1, &st, err);

	if (rc == 0) {
		json_decref(m->state);
		m->state = st;
	}
	free(path);
	return rc;
}

int
kl_machine_save_state(struct kl_machine *m, struct kl_err *err)
{
	char *path = kl_machine_path(m, "state.json");
	int rc = kl_mkdir_p(m->dir, 0700, err);

	if (rc == 0) {
		json_object_set_new(m->state, "Driver", json_string(m->driver->name));
		rc = kl_json_save_file(path, m->state, 0600, err);
	}
	free(path);
	return rc;
}

void
kl_machine_share(struct kl_machine *m, const char *tag, const char *host)
{
	struct kl_machine_spec *s = &m->spec;
	int i = 0;

	while (i < s->nshares && strcmp(s->shares[i].tag, tag) != 0)
		i++;
	if (i == KL_SHARES_MAX)
		return;
	if (i == s->nshares)
		s->shares[s->nshares++].tag = kl_xstrdup(tag);
	free(s->shares[i].host);
	s->shares[i].host = kl_xstrdup(host);
}

void
kl_machine_record_shares(struct kl_machine *m)
{
	json_t *shares = json_object();

	for (int i = 0; i < m->spec.nshares; i++)
		json_object_set_new(shares, m->spec.shares[i].tag, json_string(m->spec.shares[i].host));
	json_object_set_new(m->state, "Shares", shares);
}

const char *
kl_machine_shared(const struct kl_machine *m, const char *host)
{
	json_t *shares = json_object_get(m->state, "Shares"), *v;
	const char *tag;

	if (!(m->driver->caps & KL_CAP_SHARE))
		return NULL;
	json_object_foreach(shares, tag, v)
		if (json_is_string(v) && strcmp(json_string_value(v), host) == 0)
			return tag;
	return NULL;
}

void
kl_machine_free(struct kl_machine *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->dir);
	free(m->spec.iso_path);
	free(m->spec.disk_base);
	free(m->spec.libvirt_uri);
	free(m->spec.ssh_ip);
	free(m->spec.ssh_user);
	free(m->spec.ssh_key);
	for (int i = 0; i < m->spec.nshares; i++) {
		free(m->spec.shares[i].tag);
		free(m->spec.shares[i].host);
	}
	json_decref(m->state);
	free(m);
}

int
kl_free_port(struct kl_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		kl_err_errno(err, KL_R_NET, "cannot find a free port on 127.0.0.1");
	else
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int
kl_port_free(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

void
kl_file_tail(const char *path, int lines, char *buf, size_t len)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	const char *p;
	int seen = 0;

	buf[0] = '\0';
	if (kl_read_file(path, &sb, NULL) != 0) {
		kl_strbuf_release(&sb);
		return;
	}
	/* Terminal escapes (colours in boot messages) and carriage returns go. */
	{
		size_t w = 0;
		for (size_t r = 0; r < sb.len; r++) {
			if (sb.buf[r] == '\033' && r + 1 < sb.len && sb.buf[r + 1] == '[') {
				r += 2;
				while (r < sb.len && !(sb.buf[r] >= '@' && sb.buf[r] <= '~'))
					r++;
				continue;
			}
			if (sb.buf[r] != '\r')
				sb.buf[w++] = sb.buf[r];
		}
		kl_strbuf_setlen(&sb, w);
	}
	kl_strbuf_rtrim(&sb);
	for (p = sb.buf + sb.len; p > sb.buf; p--)
		if (p[-1] == '\n' && ++seen == lines)
			break;
	snprintf(buf, len, "%s", p);
	kl_strbuf_release(&sb);
}
