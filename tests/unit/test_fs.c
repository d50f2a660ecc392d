/* Temporary files of killed runs, and what purge may remove. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/home.h"
#include "kubelaunch/xalloc.h"
#include "unit.h"

KL_TEST(temp_file_pid_table)
{
	static const struct {
		const char *name;
		int pid;
	} cases[] = {
		{ "kubelet.part.123", 123 },  { "state.json.tmp.45", 45 }, { "a.part.b.part.7", 7 },
		{ "kubelet", 0 },             { "kubelet.part.", 0 },      { "kubelet.part.12x", 0 },
		{ "kubelet.sha256", 0 },      { "x.tmp.9.part.1", 1 },     { "disk.raw", 0 },
	};

	for (size_t i = 0; i < KL_ARRAY_SIZE(cases); i++)
		if (kl_temp_file_pid(cases[i].name) != cases[i].pid)
			kl_unit_fail(__FILE__, __LINE__, "'%s': got %d, want %d", cases[i].name,
				     kl_temp_file_pid(cases[i].name), cases[i].pid);
}

KL_TEST(stale_temp_files_of_dead_processes_only)
{
	char *dir = kl_xasprintf("%s/stale", kl_unit_tmpdir());
	char *dead = NULL, *alive = kl_xasprintf("%s/kubelet.part.%d", dir, (int)getppid());
	char *ours = kl_xasprintf("%s/kubelet.part.%d", dir, (int)getpid());
	char *other = kl_xasprintf("%s/kubeadm", dir);
	long long bytes = 0;
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	dead = kl_xasprintf("%s/kubelet.part.%d", dir, (int)child);
	CHECK_INT(kl_mkdir_p(dir, 0755, NULL), 0);
	for (const char *p, *const *f = (const char *const[]){ dead, alive, ours, other, NULL }; (p = *f); f++)
		CHECK_INT(kl_write_file_atomic(p, "12345", 5, 0644, NULL), 0);
	CHECK_INT(kl_remove_stale_temp_files(dir, "kubeadm", &bytes), 0);
	CHECK_INT(kl_remove_stale_temp_files(dir, "kubelet.part.", &bytes), 1);
	CHECK_INT(bytes, 5);
	CHECK(!kl_path_exists(dead));
	CHECK(kl_path_exists(alive) && kl_path_exists(ours) && kl_path_exists(other));
	free(dir);
	free(dead);
	free(alive);
	free(ours);
	free(other);
}

KL_TEST(purge_only_a_home_kubelaunch_made)
{
	char *made = kl_xasprintf("%s/made-home", kl_unit_tmpdir());
	char *foreign = kl_xasprintf("%s/user-home", kl_unit_tmpdir());
	char *note = kl_xasprintf("%s/notes.txt", foreign), *cache = kl_xasprintf("%s/cache", foreign);
	struct kl_err err;
	int kept = -1;

	CHECK_INT(kl_home_ensure(made, &err), 0);
	CHECK_INT(kl_home_purge_check(made, &err), 0);
	CHECK_INT(kl_home_purge(made, &kept, &err), 0);
	CHECK_INT(kept, 0);
	CHECK(!kl_path_exists(made));

	CHECK_INT(kl_mkdir_p(cache, 0755, NULL), 0);
	CHECK_INT(kl_write_file_atomic(note, "mine", 4, 0644, NULL), 0);
	CHECK_INT(kl_home_ensure(foreign, &err), 0); /* it existed: no marker */
	CHECK_INT(kl_home_purge(foreign, &kept, &err), -1);
	CHECK_INT(err.reason, KL_R_HOST_HOME_FOREIGN);
	CHECK(kl_path_exists(note) && kl_is_dir(cache));
	free(made);
	free(foreign);
	free(note);
	free(cache);
}

KL_TEST(atomic_write_removes_what_a_killed_writer_left)
{
	char *path = kl_xasprintf("%s/state.json", kl_unit_tmpdir()), *stale = NULL;
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	stale = kl_xasprintf("%s.tmp.%d", path, (int)child);
	CHECK_INT(kl_write_file_atomic(stale, "{", 1, 0600, NULL), 0);
	CHECK_INT(kl_write_file_atomic(path, "{}", 2, 0600, NULL), 0);
	CHECK(!kl_path_exists(stale));
	free(stale);
	free(path);
}
