/* strbuf, shell quoting, printable text, hex and SHA-256. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kubelaunch/hash.h"
#include "kubelaunch/strbuf.h"
#include "unit.h"

KL_TEST(strbuf_grows_and_detaches)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	char *s;
	size_t len;

	CHECK_STR(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		kl_strbuf_addf(&sb, "%d,", i % 10);
	CHECK_INT(sb.len, 2000);
	kl_strbuf_addstr(&sb, "  \n");
	kl_strbuf_rtrim(&sb);
	CHECK_INT(sb.len, 2000);
	s = kl_strbuf_detach(&sb, &len);
	CHECK_INT(len, 2000);
	CHECK_STR(sb.buf, "");
	free(s);
	kl_strbuf_release(&sb);
}

KL_TEST(shell_quoting_table)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "'plain'" },
		{ "", "''" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "$(rm -rf /)", "'$(rm -rf /)'" },
		{ "line\nbreak", "'line\nbreak'" },
		{ "\"q\" `x` \\", "'\"q\" `x` \\'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_strbuf sb = KL_STRBUF_INIT;

		kl_strbuf_add_shquoted(&sb, cases[i].in);
		CHECK_STR(sb.buf, cases[i].out);
		kl_strbuf_release(&sb);
	}
}

KL_TEST(strbuf_printable_table)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "two\nlines\tand a tab", "two\nlines\tand a tab" },
		{ "a\033[31mb", "a\\x1b[31mb" },
		{ "bell\a del\177", "bell\\x07 del\\x7f" },
		{ "caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x98\x84", "caf\xc3\xa9 \xe2\x9c\xa8 \xf0\x9f\x98\x84" },
		{ "csi\xc2\x9b", "csi\\xc2\\x9b" },       /* C1 control */
		{ "bad\xff", "bad\\xff" },
		{ "overlong\xc0\xaf", "overlong\\xc0\\xaf" },
		{ "surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80" },
		{ "cut\xe2\x9c", "cut\\xe2\\x9c" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kl_strbuf sb = KL_STRBUF_INIT;

		kl_strbuf_add_printable(&sb, cases[i].in);
		CHECK_STR(sb.buf, cases[i].out);
		kl_strbuf_release(&sb);
	}
}

/* One hex encoder and one SHA-256 of a file: the buffer, the file and the fd agree. */
KL_TEST(hash_one_way)
{
	static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	char path[4096], a[KL_SHA256_HEX], b[KL_SHA256_HEX], c[KL_SHA256_HEX], hex[9];
	struct kl_err err;
	FILE *fp;
	int fd;

	kl_hex_encode((const unsigned char *)"\x00\x9f\xff\x10", 4, hex);
	CHECK_STR(hex, "009fff10");
	kl_sha256_buf("abc", 3, a);
	CHECK_STR(a, abc);
	snprintf(path, sizeof(path), "%s/abc", kl_unit_tmpdir());
	fp = fopen(path, "w");
	fputs("abc", fp);
	fclose(fp);
	CHECK_INT(kl_sha256_file(path, b, &err), 0);
	CHECK_STR(b, abc);
	fd = open(path, O_RDONLY);
	CHECK_INT(lseek(fd, 2, SEEK_SET), 2);
	CHECK_INT(kl_sha256_fd(fd, path, c, &err), 0);
	CHECK_STR(c, abc);
	CHECK_INT(lseek(fd, 0, SEEK_CUR), 2);
	close(fd);
	CHECK_INT(kl_sha256_file("/nonexistent/x", b, &err), -1);
	CHECK_INT(err.reason, KL_R_HOST_IO);
}
