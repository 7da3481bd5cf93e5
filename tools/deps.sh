#!/bin/sh
# Install every Debian package the project needs; idempotent.
# `deps.sh --bench` adds the PC tools make bench compares against.
# Runs apt-get update only when a package is missing, and adds a deb-src
# entry (for `apt-get source lwip`) only when none exists.
set -eu

PKGS="build-essential pkg-config dpkg-dev clang llvm
libmbedtls-dev libjpeg62-turbo-dev libtiff-dev zlib1g-dev libcmocka-dev
libslirp-dev libpng-dev valgrind fonts-dejavu-core libfreetype-dev
postfix dnsmasq-base iproute2 openssl socat dovecot-core postgrey
libjpeg-turbo-progs libtiff-tools poppler-utils qpdf swaks python3 python3-aiosmtpd tcpdump
bind9-dnsutils slapd ldap-utils"
# The panel's window (SDL2) and its test: a virtual X server, xdotool, ImageMagick.
PKGS="$PKGS libsdl2-dev xvfb xdotool imagemagick"
# The board: cross-built libraries, the image and its QEMU test (make test).
PKGS="$PKGS cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
[ "${1:-}" != "--bench" ] || PKGS="$PKGS img2pdf curl msmtp"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done

need_src=0
grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list || need_src=1

if [ "$need_src" = 1 ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
        > /etc/apt/sources.list.d/debian-src.sources
fi

if [ -n "$missing" ] || [ "$need_src" = 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # No directory of Debian's own: without a config /etc/init.d/slapd cannot
    # start, so nothing listens on 389 outside the lab (sim/lab/slapd-setup
    # makes the lab's own cn=config under build/lab/ldap).
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get update -q
    # shellcheck disable=SC2086
    [ -z "$missing" ] || apt-get install -y -q --no-install-recommends $missing
fi
echo "deps: all packages installed"
