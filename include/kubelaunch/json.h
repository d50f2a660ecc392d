/* json.h: jansson helpers for state files. */
#ifndef KL_JSON_H
#define KL_JSON_H

#include <jansson.h>

#include "kubelaunch/err.h"

/* Load a JSON object from `path`. A missing file gives an empty object when
 * `missing_ok`, else GUEST_NOT_FOUND-free ENOENT error. A parse error names the
 * file, the line and column, and is CONFIG_CORRUPT. *out is a new reference. */
int kl_json_load_file(const char *path, int missing_ok, json_t **out, struct kl_err *err);
/* Write `obj` (sorted keys, indented, trailing newline) atomically. */
int kl_json_save_file(const char *path, json_t *obj, mode_t mode, struct kl_err *err);
/* A string member or NULL. */
const char *kl_json_str(json_t *obj, const char *key);
/* An integer member or `def`. */
long long kl_json_int(json_t *obj, const char *key, long long def);
/* 1 when s[0..len) is UTF-8 that JSON and YAML can hold: jansson's strict check (no
 * overlong forms, no surrogates, nothing past U+10FFFF). libyaml's own check lets
 * surrogates and code points past U+10FFFF through, and its parser refuses them. */
int kl_utf8_valid(const char *s, size_t len);

#endif
