/* fuzz_tree.h: a YAML node tree as text that only equal trees share, to compare them. */
#ifndef KL_FUZZ_TREE_H
#define KL_FUZZ_TREE_H

#include <yaml.h>

#include "kubelaunch/strbuf.h"

#define KL_FUZZ_TREE_MAX 65536

/* The node's kinds, mapping keys and, with `values`, its scalars (no styles, no
 * anchors); cut at KL_FUZZ_TREE_MAX bytes and 64 levels (aliases can make cycles). */
static void
kl_fuzz_tree_text(yaml_document_t *doc, int node, int values, struct kl_strbuf *sb, int depth)
{
	yaml_node_t *n = node > 0 ? yaml_document_get_node(doc, node) : NULL;

	if (sb->len > KL_FUZZ_TREE_MAX || depth > 64) {
		kl_strbuf_addstr(sb, "...");
	} else if (n == NULL) {
		kl_strbuf_addstr(sb, "<none>");
	} else if (n->type == YAML_SCALAR_NODE) {
		kl_strbuf_addf(sb, "s%zu", values ? n->data.scalar.length : 0);
		if (values) {
			kl_strbuf_addstr(sb, ":");
			kl_strbuf_add(sb, n->data.scalar.value, n->data.scalar.length);
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		kl_strbuf_addstr(sb, "[");
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
			kl_fuzz_tree_text(doc, *i, values, sb, depth + 1);
			kl_strbuf_addstr(sb, ",");
		}
		kl_strbuf_addstr(sb, "]");
	} else {
		kl_strbuf_addstr(sb, "{");
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			kl_fuzz_tree_text(doc, p->key, 1, sb, depth + 1);
			kl_strbuf_addstr(sb, ":");
			kl_fuzz_tree_text(doc, p->value, values, sb, depth + 1);
			kl_strbuf_addstr(sb, ",");
		}
		kl_strbuf_addstr(sb, "}");
	}
}

#endif
