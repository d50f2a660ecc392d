/*
 * yaml.h: YAML through libyaml, never by pasting text.
 *
 * Two halves:
 *  - an event emitter for generated files (kubeadm config, manifests): begin/end
 *    documents, mappings and sequences, and typed scalars. A string whose plain
 *    form would read back as something else (true, 8443, 1.5, null, 0x1f, ~) is
 *    quoted by libyaml; everything else is left plain, as a person would write it.
 *  - helpers on libyaml's node tree (yaml_document_t) for files that are edited in
 *    place (kubeconfig): look up, set and remove mapping keys, emit the tree back.
 *    Order, styles and tags of the nodes that are not touched survive; comments do
 *    not (libyaml's tree has no place for them).
 */
#ifndef KL_YAML_H
#define KL_YAML_H

#include <stddef.h>

#include <yaml.h>

#include "kubelaunch/err.h"
#include "kubelaunch/strbuf.h"

/* ---- event emitter ---- */

struct kl_yaml_out {
	yaml_emitter_t em;
	struct kl_strbuf *sb; /* the output is appended here */
	int failed;           /* the first failure is kept; later calls do nothing */
	char problem[160];
};

/* Start a stream that appends to sb. */
void kl_yaml_out_init(struct kl_yaml_out *y, struct kl_strbuf *sb);
/* End the stream and release the emitter. -1 (reason PROGRAM) if any event failed. */
int kl_yaml_out_finish(struct kl_yaml_out *y, struct kl_err *err);

void kl_yaml_doc_begin(struct kl_yaml_out *y);
void kl_yaml_doc_end(struct kl_yaml_out *y);
void kl_yaml_map_begin(struct kl_yaml_out *y);
void kl_yaml_map_end(struct kl_yaml_out *y);
void kl_yaml_seq_begin(struct kl_yaml_out *y);
void kl_yaml_seq_end(struct kl_yaml_out *y);
/* An empty flow sequence: "[]". */
void kl_yaml_empty_seq(struct kl_yaml_out *y);

/* Scalars. kl_yaml_str always reads back as a string. */
void kl_yaml_str(struct kl_yaml_out *y, const char *s);
void kl_yaml_int(struct kl_yaml_out *y, long long v);
void kl_yaml_bool(struct kl_yaml_out *y, int v);
/* A value typed by its look: plain when it reads as int, bool or float, else a string. */
void kl_yaml_guess(struct kl_yaml_out *y, const char *s);
/* key: value pairs inside a mapping. */
void kl_yaml_kv(struct kl_yaml_out *y, const char *key, const char *value);
void kl_yaml_kv_int(struct kl_yaml_out *y, const char *key, long long v);
void kl_yaml_kv_bool(struct kl_yaml_out *y, const char *key, int v);

/* 1 when `s` written plain would read back as a string under YAML 1.1 and 1.2
 * (Go's yaml.v2 and sigs.k8s.io/yaml use 1.1 rules: yes/no/on/off are booleans). */
int kl_yaml_plain_is_string(const char *s);
/* 1 when `s` written plain reads as an int, float or bool (not null). */
int kl_yaml_plain_is_typed(const char *s);

/* ---- node tree ---- */

/* Parse the first document of buf. A stream with no document gives an empty
 * document (no root). *ndocs (may be NULL) is the number of documents in the stream.
 * On a parse error returns -1 and describes it in why ("line L, column C: problem"). */
int kl_yaml_load(const char *buf, size_t len, yaml_document_t *doc, int *ndocs, char *why,
		 size_t whylen);
/* Emit the tree (the document is consumed: deleted, even on error). A node that is
 * referred to more than once gets an anchor (id001, ...) and aliases, as libyaml's
 * dumper does. */
int kl_yaml_dump(yaml_document_t *doc, struct kl_strbuf *sb, struct kl_err *err);

/* The anchor names the text gave its first document's nodes (libyaml's loader drops
 * them), by node index; names[i] is NULL for a node without one. */
struct kl_yaml_anchors {
	char **names;
	size_t n;
};
void kl_yaml_anchors_read(const char *buf, size_t len, struct kl_yaml_anchors *a);
void kl_yaml_anchors_release(struct kl_yaml_anchors *a);
/* kl_yaml_dump keeping those names: a node the text anchored keeps its anchor, even
 * when nothing refers to it any more. `names` may be NULL. */
int kl_yaml_dump_anchored(yaml_document_t *doc, const struct kl_yaml_anchors *names, struct kl_strbuf *sb,
			  struct kl_err *err);

/* Copy on write, for edits that must not reach through aliases: the value of `key`
 * in `map` (or item `index` of `seq`), replaced first by a copy of itself (children
 * shared) when anything else refers to it too. 0 when there is no such value. */
int kl_yaml_map_own(yaml_document_t *doc, int map, const char *key);
int kl_yaml_seq_own(yaml_document_t *doc, int seq, size_t index);

/* A node's scalar value, or NULL when it is not a scalar. */
const char *kl_yaml_node_str(yaml_document_t *doc, int node);
/* The value node of `key` in a mapping, or 0. */
int kl_yaml_map_get(yaml_document_t *doc, int map, const char *key);
/* Set `key` to `value` (a node index), replacing the old value in place, else
 * appending the pair at the end. */
void kl_yaml_map_set(yaml_document_t *doc, int map, const char *key, int value);
/* Set `key` to a string scalar. */
void kl_yaml_map_set_str(yaml_document_t *doc, int map, const char *key, const char *value);
/* Remove `key`; 1 when it was there. */
int kl_yaml_map_remove(yaml_document_t *doc, int map, const char *key);
/* New nodes. */
int kl_yaml_new_str(yaml_document_t *doc, const char *value);
int kl_yaml_new_map(yaml_document_t *doc);
int kl_yaml_new_seq(yaml_document_t *doc);
/* Remove the item at `index` from a sequence. */
void kl_yaml_seq_remove(yaml_document_t *doc, int seq, size_t index);
size_t kl_yaml_seq_len(yaml_document_t *doc, int seq);
int kl_yaml_seq_item(yaml_document_t *doc, int seq, size_t index);
int kl_yaml_is_map(yaml_document_t *doc, int node);
int kl_yaml_is_seq(yaml_document_t *doc, int node);

#endif
