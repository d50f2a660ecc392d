/* json.c: JSON state files through jansson. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubelaunch/fs.h"
#include "kubelaunch/json.h"
#include "kubelaunch/xalloc.h"

int
kl_json_load_file(const char *path, int missing_ok, json_t **out, struct kl_err *err)
{
	struct kl_strbuf sb = KL_STRBUF_INIT;
	json_error_t jerr;
	json_t *obj;

	*out = NULL;
	if (kl_read_file(path, &sb, err) != 0) {
		kl_strbuf_release(&sb);
		if (errno == ENOENT && missing_ok) {
			*out = json_object();
			return 0;
		}
		return -1;
	}
	obj = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, &jerr);
	kl_strbuf_release(&sb);
	if (obj == NULL) {
		/* jansson's text quotes the bytes "near" the fault: never show what a file holds
		 * (it may be a symlink to /etc/shadow), only where it is not JSON. */
		char *near = strstr(jerr.text, " near ");

		if (near)
			*near = '\0';
		return kl_err_set(err, KL_R_CONFIG_CORRUPT, "cannot parse '%s' at line %d, column %d: %s",
				  path, jerr.line, jerr.column, jerr.text);
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		return kl_err_set(err, KL_R_CONFIG_CORRUPT, "cannot parse '%s': not a JSON object", path);
	}
	*out = obj;
	return 0;
}

int
kl_json_save_file(const char *path, json_t *obj, mode_t mode, struct kl_err *err)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t len;
	int rc;

	if (text == NULL)
		return kl_err_set(err, KL_R_PROGRAM, "cannot encode '%s'", path);
	len = strlen(text);
	text = kl_xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	rc = kl_write_file_atomic(path, text, len, mode, err);
	free(text);
	return rc;
}

const char *
kl_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

long long
kl_json_int(json_t *obj, const char *key, long long def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}
