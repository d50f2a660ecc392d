/*
 * fuzz_yaml.c: the YAML helpers (src/kube/yaml.c) on both halves.
 * Tree: the input as a YAML stream is loaded, edited as kubeconfig edits are (set a
 * key, replace one, remove one, drop a list item), dumped and loaded again.
 * Emitter: the input split on NUL bytes gives strings that are emitted as a mapping
 * (kl_yaml_kv), a sequence of kl_yaml_str and of kl_yaml_guess.
 * Invariants: an edited tree dumps to YAML that loads again, with the key that was set
 * holding its value; every emitted string reads back as exactly itself, and a string
 * libyaml left plain is one that reads as a string under YAML 1.1 and 1.2
 * (kl_yaml_plain_is_string), so no value changes type for Go's readers.
 */
#include "kubelaunch/err.h"
#include "kubelaunch/yaml.h"

#include "fuzz.h"

#define MAX_STRINGS 16

static void
tree(const uint8_t *data, size_t size)
{
	yaml_document_t doc, again;
	struct kl_strbuf out = KL_STRBUF_INIT;
	struct kl_err err = { 0 };
	char why[256];
	int ndocs = 0, root;

	if (kl_yaml_load((const char *)data, size, &doc, &ndocs, why, sizeof(why)) != 0)
		return;
	KL_FUZZ_CHECK(ndocs >= 0);
	root = yaml_document_get_root_node(&doc) ? 1 : 0;
	if (kl_yaml_is_map(&doc, root)) {
		int seq = kl_yaml_map_get(&doc, root, "clusters");

		kl_yaml_node_str(&doc, kl_yaml_map_get(&doc, root, "current-context"));
		kl_yaml_map_set_str(&doc, root, "current-context", "kubelaunch-fuzz");
		kl_yaml_map_remove(&doc, root, "kind");
		if (kl_yaml_is_seq(&doc, seq) && kl_yaml_seq_len(&doc, seq) > 0) {
			kl_yaml_seq_item(&doc, seq, 0);
			kl_yaml_seq_remove(&doc, seq, 0);
		}
		kl_yaml_map_set(&doc, root, "kubelaunch-fuzz", kl_yaml_new_seq(&doc));
	} else if (kl_yaml_is_seq(&doc, root) && kl_yaml_seq_len(&doc, root) > 0) {
		kl_yaml_seq_remove(&doc, root, kl_yaml_seq_len(&doc, root) - 1);
	}
	int was_map = kl_yaml_is_map(&doc, root);
	if (kl_yaml_dump(&doc, &out, &err) != 0) {
		/* Only a tree holding text libyaml cannot emit may fail; never silently. */
		KL_FUZZ_CHECK(err.msg[0] != '\0');
		kl_strbuf_release(&out);
		return;
	}
	KL_FUZZ_CHECK(kl_yaml_load(out.buf, out.len, &again, NULL, why, sizeof(why)) == 0);
	if (was_map) {
		KL_FUZZ_CHECK(kl_yaml_is_map(&again, 1));
		const char *cc = kl_yaml_node_str(&again, kl_yaml_map_get(&again, 1, "current-context"));
		KL_FUZZ_CHECK(cc && strcmp(cc, "kubelaunch-fuzz") == 0);
		KL_FUZZ_CHECK(kl_yaml_is_seq(&again, kl_yaml_map_get(&again, 1, "kubelaunch-fuzz")));
	}
	yaml_document_delete(&again);
	kl_strbuf_release(&out);
}

/* The scalar `node` reads back as `want`; plain only where that is a string. */
static void
reads_back(yaml_document_t *doc, int node, const char *want, int guessed)
{
	yaml_node_t *n = yaml_document_get_node(doc, node);

	KL_FUZZ_CHECK(n && n->type == YAML_SCALAR_NODE);
	KL_FUZZ_CHECK(n->data.scalar.length == strlen(want) && memcmp(n->data.scalar.value, want, n->data.scalar.length) == 0);
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		KL_FUZZ_CHECK(kl_yaml_plain_is_string(want) || (guessed && kl_yaml_plain_is_typed(want)));
}

static void
emitter(const uint8_t *data, size_t size)
{
	char *s[MAX_STRINGS], *buf, why[256];
	int n = kl_fuzz_split(data, size, s, MAX_STRINGS, &buf), seq;
	struct kl_strbuf out = KL_STRBUF_INIT;
	struct kl_yaml_out y;
	struct kl_err err = { 0 };
	yaml_document_t doc;

	kl_yaml_out_init(&y, &out);
	kl_yaml_doc_begin(&y);
	kl_yaml_map_begin(&y);
	kl_yaml_kv(&y, "strings", "follow");
	kl_yaml_str(&y, "str");
	kl_yaml_seq_begin(&y);
	for (int i = 0; i < n; i++)
		kl_yaml_str(&y, s[i]);
	kl_yaml_seq_end(&y);
	kl_yaml_str(&y, "guess");
	kl_yaml_seq_begin(&y);
	for (int i = 0; i < n; i++)
		kl_yaml_guess(&y, s[i]);
	kl_yaml_seq_end(&y);
	kl_yaml_str(&y, "empty");
	kl_yaml_empty_seq(&y);
	kl_yaml_map_end(&y);
	kl_yaml_doc_end(&y);
	if (kl_yaml_out_finish(&y, &err) != 0) {
		/* libyaml refuses text that is not UTF-8 (or has characters YAML cannot hold). */
		KL_FUZZ_CHECK(err.msg[0] != '\0');
		goto out;
	}
	KL_FUZZ_CHECK(kl_yaml_load(out.buf, out.len, &doc, NULL, why, sizeof(why)) == 0);
	seq = kl_yaml_map_get(&doc, 1, "str");
	KL_FUZZ_CHECK(kl_yaml_seq_len(&doc, seq) == (size_t)n);
	for (int i = 0; i < n; i++)
		reads_back(&doc, kl_yaml_seq_item(&doc, seq, (size_t)i), s[i], 0);
	seq = kl_yaml_map_get(&doc, 1, "guess");
	KL_FUZZ_CHECK(kl_yaml_seq_len(&doc, seq) == (size_t)n);
	for (int i = 0; i < n; i++)
		reads_back(&doc, kl_yaml_seq_item(&doc, seq, (size_t)i), s[i], 1);
	KL_FUZZ_CHECK(kl_yaml_seq_len(&doc, kl_yaml_map_get(&doc, 1, "empty")) == 0);
	yaml_document_delete(&doc);
out:
	kl_strbuf_release(&out);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tree(data, size);
	emitter(data, size);
	return 0;
}
