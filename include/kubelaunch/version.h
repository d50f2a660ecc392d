/* version.h: what this build is; the Makefile passes the commit. */
#ifndef KL_VERSION_H
#define KL_VERSION_H

#define KL_VERSION "v0.1.0"
#define KL_ISO_VERSION "v0.1.0"
#ifndef KL_GIT_COMMIT
#define KL_GIT_COMMIT "unknown"
#endif

#endif
