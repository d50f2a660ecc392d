/* yaml.c: libyaml's emitter for generated YAML, and small edits on its node tree. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"

/* ---- resolving plain scalars, as YAML 1.1 (Go's yaml.v2) and 1.2 read them ---- */

static const char *const typed_patterns[] = {
	/* booleans (1.1 and 1.2) */
	"^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
	/* integers: binary, octal (0o and 1.1's leading 0), decimal, hex, sexagesimal */
	"^[-+]?(0b[01_]+|0o?[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	/* floats, and their special values */
	"^[-+]?(\\.[0-9_]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?$",
	"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*$",
	"^[-+]?\\.(inf|Inf|INF)$",
	"^\\.(nan|NaN|NAN)$",
};
static const char *const other_patterns[] = {
	"^(~|null|Null|NULL)$",
	"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?", /* timestamps */
	"^(<<|=)$",                                      /* merge and value keys of 1.1 */
};

static regex_t typed_re[KL_ARRAY_SIZE(typed_patterns)];
static regex_t other_re[KL_ARRAY_SIZE(other_patterns)];
static int compiled;

static void
compile_patterns(void)
{
	if (compiled)
		return;
	for (size_t i = 0; i < KL_ARRAY_SIZE(typed_patterns); i++)
		if (regcomp(&typed_re[i], typed_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			abort();
	for (size_t i = 0; i < KL_ARRAY_SIZE(other_patterns); i++)
		if (regcomp(&other_re[i], other_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			abort();
	compiled = 1;
}

int
kl_yaml_plain_is_typed(const char *s)
{
	compile_patterns();
	for (size_t i = 0; i < KL_ARRAY_SIZE(typed_re); i++)
		if (regexec(&typed_re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int
kl_yaml_plain_is_string(const char *s)
{
	if (*s == '\0' || kl_yaml_plain_is_typed(s))
		return 0;
	for (size_t i = 0; i < KL_ARRAY_SIZE(other_re); i++)
		if (regexec(&other_re[i], s, 0, NULL, 0) == 0)
			return 0;
	return 1;
}

/* ---- event emitter ---- */

static int
append_output(void *data, unsigned char *buffer, size_t size)
{
	kl_strbuf_add(data, buffer, size);
	return 1;
}

static void
emit(struct kl_yaml_out *y, yaml_event_t *ev, int ok)
{
	if (y->failed) {
		if (ok)
			yaml_event_delete(ev);
		return;
	}
	if (!ok || !yaml_emitter_emit(&y->em, ev)) {
		y->failed = 1;
		snprintf(y->problem, sizeof(y->problem), "%s",
			 y->em.problem ? y->em.problem : "cannot build a YAML event");
	}
}

void
kl_yaml_out_init(struct kl_yaml_out *y, struct kl_strbuf *sb)
{
	yaml_event_t ev;

	memset(y, 0, sizeof(*y));
	y->sb = sb;
	if (!yaml_emitter_initialize(&y->em))
		abort();
	yaml_emitter_set_output(&y->em, append_output, sb);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_emitter_set_width(&y->em, -1);
	yaml_emitter_set_indent(&y->em, 2);
	emit(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
}

int
kl_yaml_out_finish(struct kl_yaml_out *y, struct kl_err *err)
{
	yaml_event_t ev;
	int rc = 0;

	emit(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->failed && !yaml_emitter_flush(&y->em)) {
		y->failed = 1;
		snprintf(y->problem, sizeof(y->problem), "cannot flush the YAML emitter");
	}
	if (y->failed)
		rc = kl_err_set(err, KL_R_PROGRAM, "cannot emit YAML: %s", y->problem);
	yaml_emitter_delete(&y->em);
	return rc;
}

void
kl_yaml_doc_begin(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0));
}

void
kl_yaml_doc_end(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_document_end_event_initialize(&ev, 1));
}

void
kl_yaml_map_begin(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void
kl_yaml_map_end(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

void
kl_yaml_seq_begin(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

void
kl_yaml_seq_end(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

void
kl_yaml_empty_seq(struct kl_yaml_out *y)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE));
	kl_yaml_seq_end(y);
}

static void
scalar(struct kl_yaml_out *y, const char *s, int plain)
{
	yaml_event_t ev;

	emit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain, 1,
						  plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

void
kl_yaml_str(struct kl_yaml_out *y, const char *s)
{
	scalar(y, s, kl_yaml_plain_is_string(s));
}

void
kl_yaml_int(struct kl_yaml_out *y, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	scalar(y, buf, 1);
}

void
kl_yaml_bool(struct kl_yaml_out *y, int v)
{
	scalar(y, v ? "true" : "false", 1);
}

void
kl_yaml_guess(struct kl_yaml_out *y, const char *s)
{
	scalar(y, s, kl_yaml_plain_is_typed(s) || kl_yaml_plain_is_string(s));
}

void
kl_yaml_kv(struct kl_yaml_out *y, const char *key, const char *value)
{
	kl_yaml_str(y, key);
	kl_yaml_str(y, value);
}

void
kl_yaml_kv_int(struct kl_yaml_out *y, const char *key, long long v)
{
	kl_yaml_str(y, key);
	kl_yaml_int(y, v);
}

void
kl_yaml_kv_bool(struct kl_yaml_out *y, const char *key, int v)
{
	kl_yaml_str(y, key);
	kl_yaml_bool(y, v);
}

/* ---- node tree ---- */

int
kl_yaml_load(const char *buf, size_t len, yaml_document_t *doc, int *ndocs, char *why, size_t whylen)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int n = 0, rc = -1;

	memset(doc, 0, sizeof(*doc));
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, doc))
		goto out;
	/* Count the documents after the first: kubeconfig has one. */
	for (n = yaml_document_get_root_node(doc) != NULL; n > 0; n++) {
		if (!yaml_parser_load(&parser, &extra)) {
			yaml_document_delete(doc);
			memset(doc, 0, sizeof(*doc));
			goto out;
		}
		if (yaml_document_get_root_node(&extra) == NULL) {
			yaml_document_delete(&extra);
			break;
		}
		yaml_document_delete(&extra);
	}
	if (ndocs)
		*ndocs = n;
	rc = 0;
out:
	if (rc != 0)
		snprintf(why, whylen, "line %zu, column %zu: %s%s%s", parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
	yaml_parser_delete(&parser);
	return rc;
}

/* The anchor names of the first document, by node index: the loader numbers the
 * nodes in the order of their events (scalars, sequence and mapping starts). */
void
kl_yaml_anchors_read(const char *buf, size_t len, struct kl_yaml_anchors *a)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t index = 0;

	memset(a, 0, sizeof(*a));
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t t = ev.type;
		const yaml_char_t *anchor = t == YAML_SCALAR_EVENT ? ev.data.scalar.anchor :
					    t == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor :
					    t == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor : NULL;

		if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			index++;
			if (anchor) {
				a->names = kl_xrealloc(a->names, (index + 1) * sizeof(*a->names));
				for (size_t i = a->n; i <= index; i++)
					a->names[i] = NULL;
				a->n = index + 1;
				a->names[index] = kl_xstrdup((const char *)anchor);
			}
		}
		yaml_event_delete(&ev);
		if (t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
}

void
kl_yaml_anchors_release(struct kl_yaml_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->names[i]);
	free(a->names);
	memset(a, 0, sizeof(*a));
}

/* ---- emitting a tree, as libyaml's dumper does, but keeping the anchor names ---- */

struct dumper {
	yaml_emitter_t em;
	yaml_document_t *doc;
	const struct kl_yaml_anchors *names;
	int *refs;      /* references to each node from the tree under the root */
	char **anchor;  /* the name given to a node that needs one */
	char *emitted;
	int last_id;
	int failed;
};

static void
count_refs(struct dumper *d, int index)
{
	yaml_node_t *n = yaml_document_get_node(d->doc, index);

	if (n == NULL || ++d->refs[index] > 1)
		return;
	if (n->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			count_refs(d, *i);
	else if (n->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			count_refs(d, p->key);
			count_refs(d, p->value);
		}
}

static void
dump_event(struct dumper *d, yaml_event_t *ev, int ok)
{
	if (!ok)
		abort();
	if (d->failed || !yaml_emitter_emit(&d->em, ev))
		d->failed = 1;
}

static void
dump_node(struct dumper *d, int index)
{
	yaml_node_t *n = yaml_document_get_node(d->doc, index);
	const char *name = d->names && (size_t)index < d->names->n ? d->names->names[index] : NULL;
	yaml_char_t *anchor;
	yaml_event_t ev;

	if (d->emitted[index]) {
		dump_event(d, &ev, yaml_alias_event_initialize(&ev, (yaml_char_t *)d->anchor[index]));
		return;
	}
	/* With the file's names, a name stays even if nothing refers to it any more (the
	 * alias was ours), and a node the edit shared (a copy's children) is written out
	 * at each place, as the file had it. Without them, libyaml's way: id001... */
	if (name || (!d->names && d->refs[index] > 1)) {
		d->anchor[index] = name ? kl_xstrdup(name) : kl_xasprintf("id%03d", ++d->last_id);
		d->emitted[index] = 1;
	}
	anchor = (yaml_char_t *)d->anchor[index];
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		int implicit = strcmp((char *)n->tag, YAML_DEFAULT_SCALAR_TAG) == 0;
		dump_event(d, &ev, yaml_scalar_event_initialize(&ev, anchor, n->tag, n->data.scalar.value,
							       (int)n->data.scalar.length, implicit, implicit,
							       n->data.scalar.style));
		break;
	}
	case YAML_SEQUENCE_NODE:
		dump_event(d, &ev, yaml_sequence_start_event_initialize(&ev, anchor, n->tag,
			   strcmp((char *)n->tag, YAML_DEFAULT_SEQUENCE_TAG) == 0, n->data.sequence.style));
		for (size_t i = 0; i < (size_t)(n->data.sequence.items.top - n->data.sequence.items.start); i++)
			dump_node(d, yaml_document_get_node(d->doc, index)->data.sequence.items.start[i]);
		dump_event(d, &ev, yaml_sequence_end_event_initialize(&ev));
		break;
	case YAML_MAPPING_NODE:
		dump_event(d, &ev, yaml_mapping_start_event_initialize(&ev, anchor, n->tag,
			   strcmp((char *)n->tag, YAML_DEFAULT_MAPPING_TAG) == 0, n->data.mapping.style));
		for (size_t i = 0; i < (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start); i++) {
			yaml_node_pair_t p = yaml_document_get_node(d->doc, index)->data.mapping.pairs.start[i];
			dump_node(d, p.key);
			dump_node(d, p.value);
		}
		dump_event(d, &ev, yaml_mapping_end_event_initialize(&ev));
		break;
	default:
		abort();
	}
}

int
kl_yaml_dump_anchored(yaml_document_t *doc, const struct kl_yaml_anchors *names, struct kl_strbuf *sb,
		      struct kl_err *err)
{
	size_t count = (size_t)(doc->nodes.top - doc->nodes.start) + 1;
	struct dumper d = { .doc = doc, .names = names };
	yaml_event_t ev;
	int rc = 0;

	if (yaml_document_get_root_node(doc) == NULL)
		goto out;
	d.refs = kl_xcalloc(count, sizeof(*d.refs));
	d.anchor = kl_xcalloc(count, sizeof(*d.anchor));
	d.emitted = kl_xcalloc(count, 1);
	count_refs(&d, 1);
	if (!yaml_emitter_initialize(&d.em))
		abort();
	yaml_emitter_set_output(&d.em, append_output, sb);
	yaml_emitter_set_unicode(&d.em, 1);
	yaml_emitter_set_width(&d.em, -1);
	yaml_emitter_set_indent(&d.em, 2);
	dump_event(&d, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	dump_event(&d, &ev, yaml_document_start_event_initialize(&ev, doc->version_directive,
		   doc->tag_directives.start, doc->tag_directives.end, doc->start_implicit));
	dump_node(&d, 1);
	dump_event(&d, &ev, yaml_document_end_event_initialize(&ev, doc->end_implicit));
	dump_event(&d, &ev, yaml_stream_end_event_initialize(&ev));
	if (d.failed || !yaml_emitter_flush(&d.em))
		rc = kl_err_set(err, KL_R_PROGRAM, "cannot emit YAML: %s", d.em.problem ? d.em.problem : "unknown");
	yaml_emitter_delete(&d.em);
	for (size_t i = 0; i < count; i++)
		free(d.anchor[i]);
	free(d.anchor);
	free(d.refs);
	free(d.emitted);
out:
	yaml_document_delete(doc);
	return rc;
}

int
kl_yaml_dump(yaml_document_t *doc, struct kl_strbuf *sb, struct kl_err *err)
{
	return kl_yaml_dump_anchored(doc, NULL, sb, err);
}

static yaml_node_t *
node_of(yaml_document_t *doc, int node, yaml_node_type_t type)
{
	yaml_node_t *n = node > 0 ? yaml_document_get_node(doc, node) : NULL;

	return n && n->type == type ? n : NULL;
}

const char *
kl_yaml_node_str(yaml_document_t *doc, int node)
{
	yaml_node_t *n = node_of(doc, node, YAML_SCALAR_NODE);

	return n ? (const char *)n->data.scalar.value : NULL;
}

int
kl_yaml_is_map(yaml_document_t *doc, int node)
{
	return node_of(doc, node, YAML_MAPPING_NODE) != NULL;
}

int
kl_yaml_is_seq(yaml_document_t *doc, int node)
{
	return node_of(doc, node, YAML_SEQUENCE_NODE) != NULL;
}

/* The pair's position in the mapping, or -1. */
static long
pair_index(yaml_document_t *doc, int map, const char *key)
{
	yaml_node_t *m = node_of(doc, map, YAML_MAPPING_NODE);

	if (m == NULL)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = kl_yaml_node_str(doc, p->key);
		if (k && strcmp(k, key) == 0)
			return p - m->data.mapping.pairs.start;
	}
	return -1;
}

int
kl_yaml_map_get(yaml_document_t *doc, int map, const char *key)
{
	long i = pair_index(doc, map, key);

	return i < 0 ? 0 : node_of(doc, map, YAML_MAPPING_NODE)->data.mapping.pairs.start[i].value;
}

void
kl_yaml_map_set(yaml_document_t *doc, int map, const char *key, int value)
{
	long i = pair_index(doc, map, key);
	int k;

	if (i >= 0) {
		node_of(doc, map, YAML_MAPPING_NODE)->data.mapping.pairs.start[i].value = value;
		return;
	}
	k = kl_yaml_new_str(doc, key);
	if (!yaml_document_append_mapping_pair(doc, map, k, value))
		abort();
}

void
kl_yaml_map_set_str(yaml_document_t *doc, int map, const char *key, const char *value)
{
	const char *old = kl_yaml_node_str(doc, kl_yaml_map_get(doc, map, key));

	if (old && strcmp(old, value) == 0)
		return; /* keep its style */
	kl_yaml_map_set(doc, map, key, kl_yaml_new_str(doc, value));
}

int
kl_yaml_map_remove(yaml_document_t *doc, int map, const char *key)
{
	long i = pair_index(doc, map, key);
	yaml_node_t *m;
	size_t n;

	if (i < 0)
		return 0;
	/* The pair's nodes stay in the document unreferenced; the emitter skips them. */
	m = node_of(doc, map, YAML_MAPPING_NODE);
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	memmove(&m->data.mapping.pairs.start[i], &m->data.mapping.pairs.start[i + 1],
		(n - (size_t)i - 1) * sizeof(yaml_node_pair_t));
	m->data.mapping.pairs.top--;
	return 1;
}

int
kl_yaml_new_str(yaml_document_t *doc, const char *value)
{
	int n = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)value, (int)strlen(value),
					 kl_yaml_plain_is_string(value) ? YAML_ANY_SCALAR_STYLE :
									  YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	if (n == 0)
		abort();
	return n;
}

int
kl_yaml_new_map(yaml_document_t *doc)
{
	int n = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);

	if (n == 0)
		abort();
	return n;
}

int
kl_yaml_new_seq(yaml_document_t *doc)
{
	int n = yaml_document_add_sequence(doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);

	if (n == 0)
		abort();
	return n;
}

size_t
kl_yaml_seq_len(yaml_document_t *doc, int seq)
{
	yaml_node_t *s = node_of(doc, seq, YAML_SEQUENCE_NODE);

	return s ? (size_t)(s->data.sequence.items.top - s->data.sequence.items.start) : 0;
}

int
kl_yaml_seq_item(yaml_document_t *doc, int seq, size_t index)
{
	yaml_node_t *s = node_of(doc, seq, YAML_SEQUENCE_NODE);

	return s && index < kl_yaml_seq_len(doc, seq) ? s->data.sequence.items.start[index] : 0;
}

void
kl_yaml_seq_remove(yaml_document_t *doc, int seq, size_t index)
{
	yaml_node_t *s = node_of(doc, seq, YAML_SEQUENCE_NODE);
	size_t n = kl_yaml_seq_len(doc, seq);

	if (s == NULL || index >= n)
		return;
	memmove(&s->data.sequence.items.start[index], &s->data.sequence.items.start[index + 1],
		(n - index - 1) * sizeof(yaml_node_item_t));
	s->data.sequence.items.top--;
}

/* How many times the mapping and sequence nodes of the document refer to `node`. */
static int
refs_to(yaml_document_t *doc, int node)
{
	int refs = 0;

	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
				refs += *i == node;
		else if (n->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
				refs += (p->key == node) + (p->value == node);
	}
	return refs;
}

/* A new node with the same tag, style and content; children are shared. */
static int
copy_shallow(yaml_document_t *doc, int node)
{
	yaml_node_t *n = yaml_document_get_node(doc, node);
	int copy = 0;

	switch (n->type) {
	case YAML_SCALAR_NODE:
		copy = yaml_document_add_scalar(doc, n->tag, n->data.scalar.value, (int)n->data.scalar.length,
						n->data.scalar.style);
		break;
	case YAML_SEQUENCE_NODE:
		copy = yaml_document_add_sequence(doc, n->tag, n->data.sequence.style);
		for (size_t i = 0; copy && i < kl_yaml_seq_len(doc, node); i++)
			if (!yaml_document_append_sequence_item(doc, copy, kl_yaml_seq_item(doc, node, i)))
				abort();
		break;
	case YAML_MAPPING_NODE:
		copy = yaml_document_add_mapping(doc, n->tag, n->data.mapping.style);
		for (size_t i = 0; copy; i++) {
			yaml_node_t *m = yaml_document_get_node(doc, node); /* adding nodes moves them */
			yaml_node_pair_t p;

			if (i >= (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start))
				break;
			p = m->data.mapping.pairs.start[i];
			if (!yaml_document_append_mapping_pair(doc, copy, p.key, p.value))
				abort();
		}
		break;
	default:
		abort();
	}
	if (copy == 0)
		abort();
	return copy;
}

int
kl_yaml_map_own(yaml_document_t *doc, int map, const char *key)
{
	long i = pair_index(doc, map, key);
	int v, copy;

	if (i < 0)
		return 0;
	v = node_of(doc, map, YAML_MAPPING_NODE)->data.mapping.pairs.start[i].value;
	if (refs_to(doc, v) < 2)
		return v;
	copy = copy_shallow(doc, v);
	node_of(doc, map, YAML_MAPPING_NODE)->data.mapping.pairs.start[i].value = copy;
	return copy;
}

int
kl_yaml_seq_own(yaml_document_t *doc, int seq, size_t index)
{
	int v = kl_yaml_seq_item(doc, seq, index), copy;

	if (v == 0 || refs_to(doc, v) < 2)
		return v;
	copy = copy_shallow(doc, v);
	node_of(doc, seq, YAML_SEQUENCE_NODE)->data.sequence.items.start[index] = copy;
	return copy;
}
