/*
 * manifest.c: a YAML stream of Kubernetes objects as JSON objects, scalars typed as
 * the API server's YAML reader (sigs.k8s.io/yaml, YAML 1.1 rules) would type them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kubelaunch/xalloc.h"
#include "kubelaunch/yaml.h"
#include "kube-int.h"

static const char *const true_words[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
static const char *const false_words[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };

static int
in(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* A plain scalar by YAML 1.1's resolution. */
static json_t *
plain(const char *s)
{
	char *digits, *end;
	size_t w = 0;
	json_t *v = NULL;

	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return json_null();
	if (in(s, true_words, KL_ARRAY_SIZE(true_words)))
		return json_true();
	if (in(s, false_words, KL_ARRAY_SIZE(false_words)))
		return json_false();
	if (!kl_yaml_plain_is_typed(s) || strchr(s, ':'))
		return json_string(s); /* sexagesimal numbers are left as text */
	digits = kl_xstrdup(s);
	for (const char *p = s; *p; p++)
		if (*p != '_')
			digits[w++] = *p;
	digits[w] = '\0';
	errno = 0;
	{
		const char *d = digits;
		int neg = 0;
		long long iv;

		if (*d == '+' || *d == '-')
			neg = *d++ == '-';
		/* 0o17 and 0b101 as Go reads them; strtoll knows 0x and a leading 0. */
		if (d[0] == '0' && (d[1] == 'o' || d[1] == 'b'))
			iv = strtoll(d + 2, &end, d[1] == 'o' ? 8 : 2);
		else
			iv = strtoll(d, &end, 0);
		if (*end == '\0' && errno == 0 && end != d)
			v = json_integer(neg ? -iv : iv);
	}
	if (v == NULL && !strcasestr(digits, "inf") && !strcasestr(digits, "nan")) {
		/* .inf and .nan have no JSON form: they stay text. */
		double dv;

		errno = 0;
		dv = strtod(digits, &end);
		if (*end == '\0' && errno == 0 && end != digits)
			v = json_real(dv);
	}
	free(digits);
	return v ? v : json_string(s);
}

static json_t *
convert(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	json_t *v;

	if (n == NULL || depth > 64)
		return json_null();
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)n->data.scalar.value;
		/* Quoted and block scalars are strings. */
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return json_stringn(s, n->data.scalar.length);
		return plain(s);
	}
	case YAML_SEQUENCE_NODE:
		v = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			json_array_append_new(v, convert(doc, yaml_document_get_node(doc, *it), depth + 1));
		return v;
	case YAML_MAPPING_NODE:
		v = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *key = yaml_document_get_node(doc, p->key);

			if (key == NULL || key->type != YAML_SCALAR_NODE)
				continue;
			json_object_set_new(v, (const char *)key->data.scalar.value,
					    convert(doc, yaml_document_get_node(doc, p->value), depth + 1));
		}
		return v;
	default:
		return json_null();
	}
}

int
kl_kube_yaml_objects(const char *buf, size_t len, const char *name, json_t **objs, struct kl_err *err)
{
	yaml_parser_t parser;
	int rc = 0;

	if (*objs == NULL)
		*objs = json_array();
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		json_t *v;

		if (!yaml_parser_load(&parser, &doc)) {
			rc = kl_err_set(err, KL_R_USAGE_VALUE, "%s:%zu:%zu: %s%s%s", name ? name : "(manifest)",
					parser.problem_mark.line + 1, parser.problem_mark.column + 1,
					parser.problem ? parser.problem : "cannot parse",
					parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL) {
			yaml_document_delete(&doc);
			break; /* the end of the stream */
		}
		v = convert(&doc, root, 0);
		if (json_is_object(v) && json_object_size(v))
			json_array_append(*objs, v);
		else if (!json_is_null(v))
			rc = kl_err_set(err, KL_R_USAGE_VALUE, "%s:%zu: a document that is not a mapping",
					name ? name : "(manifest)", root->start_mark.line + 1);
		json_decref(v);
		yaml_document_delete(&doc);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}
