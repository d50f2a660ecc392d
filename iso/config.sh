# Image identity. Bump KL_ISO_VERSION when the recipe changes in a user-visible way;
# KL_ISO_EPOCH (SOURCE_DATE_EPOCH) pins every timestamp in the image.
KL_ISO_VERSION=v0.1.0
KL_ISO_EPOCH=1748736000
KL_ISO_SUITE=bookworm
KL_ISO_MIRROR=${KL_ISO_MIRROR:-http://deb.debian.org/debian}
KL_ISO_SECURITY_MIRROR=${KL_ISO_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
