#!/bin/sh
# The firmware's own folders are the same code for the host and the board
# (DESIGN.md): no #if on the host/target split, and no printf length
# modifier that newlib-nano lacks (%zu, %llu, %j, PRIu64: it prints "zu" and
# then reads the next arguments out of place). Comments are not code.
. "$(dirname "$0")/lib.sh"
FW_DIRS="firmware/*.c firmware/*.h smtp smtp/include scan scan/include addrbook addrbook/include ui ui/include"
# code_lines PATTERN: matches outside /* */ and // comments.
code_lines() {
    for f in $(ls $FW_DIRS 2>/dev/null | grep -E '\.(c|h)$'); do
        sed -e 's|//.*||' "$f" | awk -v f="$f" '
            { line = $0
              while (1) {
                  if (inc) { e = index(line, "*/"); if (!e) { line = ""; break } line = substr(line, e + 2); inc = 0 }
                  s = index(line, "/*"); if (!s) break
                  out = out substr(line, 1, s - 1); line = substr(line, s + 2); inc = 1
              }
              print f ":" NR ": " out line; out = "" }' | grep -E "$1"
    done
}
expand_dirs() { for d in $FW_DIRS; do [ -d "$d" ] && echo "$d"/*.c "$d"/*.h || echo "$d"; done; }
FW_DIRS=$(expand_dirs)
bad=$(code_lines '"[^"]*%[-0-9.]*(z|ll|j|L)[diouxX]|PRI[diouxX](64|MAX|PTR)')
check "no %zu, %llu, %j or PRIu64 in firmware formats${bad:+: $bad}" [ -z "$bad" ]
bad=$(code_lines '^[^:]*:[0-9]+: *# *(if|ifdef|ifndef|elif).*(__linux__|__unix__|__arm__|__ARM_|__x86_64__|_WIN32|__APPLE__|SIMULATOR|HOST_BUILD|TARGET_BOARD)')
check "no #if on the host/target split in firmware code${bad:+: $bad}" [ -z "$bad" ]
finish
