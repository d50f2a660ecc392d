/*
 * layout.h: where things live under $KUBELAUNCH_HOME, the one place that spells it out:
 *
 *   config/config.json          the user's defaults (`config set`)
 *   profiles/NAME/config.json   a profile's settings; profiles/NAME/certs/ its client
 *   profiles/NAME.lock          the profile's lock
 *   machines/NAME/              what the driver keeps of a machine (state.json, disk ...)
 *   certs/                      the CAs the profiles share
 *   cache/binaries/VERSION/linux/ARCH/, cache/iso/, cache/preload/KEY/ (preload.h)
 *   cache/programs/NAME/VERSION/linux-ARCH/   an addon's program (istioctl; artifacts.h)
 *   logs/                       one file per run
 */
#ifndef KL_LAYOUT_H
#define KL_LAYOUT_H

#define KL_HOME_CONFIG "config"
#define KL_HOME_PROFILES "profiles"
#define KL_HOME_MACHINES "machines"
#define KL_HOME_CERTS "certs"
#define KL_HOME_CACHE "cache"
#define KL_HOME_BINARIES KL_HOME_CACHE "/binaries"
#define KL_HOME_ISO KL_HOME_CACHE "/iso"
#define KL_HOME_PRELOAD KL_HOME_CACHE "/preload"
#define KL_HOME_PROGRAMS KL_HOME_CACHE "/programs"
#define KL_HOME_LOGS "logs"

/* The file of settings in config/ and in a profile's directory. */
#define KL_HOME_CONFIG_JSON "config.json"

/* The top-level entries kubelaunch makes (created by kl_home_ensure, the only ones
 * purge removes), NULL-terminated. */
extern const char *const kl_home_dirs[];

/* home/PART/PART...: the parts (up to a NULL) joined with '/'. A new string. */
char *kl_home_path(const char *home, ...) __attribute__((sentinel));

#endif
