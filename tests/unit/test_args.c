/* Option parsing against tables: forms, values, errors. */
#include <stdlib.h>

#include "kubelaunch/cmd.h"
#include "unit.h"

static const struct kl_opt opts[] = {
	{ "profile", 'p', KL_OPT_STRING, "NAME", "", NULL },
	{ "memory", 0, KL_OPT_SIZE, "SIZE", "", NULL },
	{ "force", 'f', KL_OPT_BOOL, NULL, "", NULL },
	{ "cpus", 0, KL_OPT_INT, "N", "", NULL },
	{ "addons", 0, KL_OPT_LIST, "A,B", "", NULL },
	{ "wait-timeout", 0, KL_OPT_DURATION, "D", "", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
parse(struct kl_args *a, struct kl_err *err, int argc, char **argv)
{
	const struct kl_opt *tables[] = { opts, NULL };

	*a = (struct kl_args){ 0 };
	return kl_args_parse(a, tables, argc, argv, err);
}

KL_TEST(args_forms)
{
	char *argv[] = { "-p", "dev", "--memory=4g", "pos1", "--force", "--cpus", "4", "--addons",
			 "a,b", "--addons=c", "--wait-timeout", "90s", "--", "--not-a-flag", NULL };
	struct kl_args a;
	struct kl_err err;
	char **items;

	CHECK_INT(parse(&a, &err, 14, argv), 0);
	CHECK_STR(kl_args_str(&a, "profile", NULL), "dev");
	CHECK_INT(kl_args_int(&a, "memory", 0), 4096);
	CHECK_INT(kl_args_bool(&a, "force"), 1);
	CHECK_INT(kl_args_int(&a, "cpus", 0), 4);
	CHECK_INT(kl_args_int(&a, "wait-timeout", 0), 90000);
	CHECK_INT(kl_args_list(&a, "addons", &items), 3);
	CHECK_STR(items[2], "c");
	kl_strv_free(items);
	CHECK_INT(a.argc, 2);
	CHECK_STR(a.argv[0], "pos1");
	CHECK_STR(a.argv[1], "--not-a-flag");
	kl_args_release(&a);
}

KL_TEST(args_short_forms)
{
	char *argv[] = { "-pdev", "-f", NULL };
	struct kl_args a;
	struct kl_err err;

	CHECK_INT(parse(&a, &err, 2, argv), 0);
	CHECK_STR(kl_args_str(&a, "profile", NULL), "dev");
	CHECK_INT(kl_args_bool(&a, "force"), 1);
	kl_args_release(&a);
}

KL_TEST(args_errors)
{
	static const struct {
		const char *argv[3];
		int argc;
		enum kl_reason reason;
		const char *msg;
	} cases[] = {
		{ { "--memroy", "4g" }, 2, KL_R_USAGE_FLAG, "unknown flag '--memroy'; did you mean '--memory'?" },
		{ { "--xyzzy" }, 1, KL_R_USAGE_FLAG, "unknown flag '--xyzzy'" },
		{ { "-q" }, 1, KL_R_USAGE_FLAG, "unknown flag '-q'" },
		{ { "--profile" }, 1, KL_R_USAGE_VALUE, "flag '--profile' needs a value: NAME" },
		{ { "--memory", "lots" }, 2, KL_R_USAGE_VALUE,
		  "'--memory': invalid size 'lots': use a number of MiB or a unit, such as 4096, 4g or 4GiB" },
		{ { "--cpus=two" }, 1, KL_R_USAGE_VALUE, "invalid value 'two' for '--cpus': use a whole number" },
		{ { "--force=yes" }, 1, KL_R_USAGE_VALUE, "invalid value 'yes' for '--force': use true or false" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_args a;
		struct kl_err err;

		CHECK_INT(parse(&a, &err, cases[i].argc, (char **)cases[i].argv), -1);
		CHECK_INT(err.reason, cases[i].reason);
		CHECK_STR(err.msg, cases[i].msg);
		kl_args_release(&a);
	}
}
