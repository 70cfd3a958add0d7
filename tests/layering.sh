#!/usr/bin/env bash
# The include rules of docs/design.md ("Layers and what may include what"), checked on every #include of
# src/ and include/. Run by CTest as the test `layering` (so `make test` and CI run it); its own test is
# tests/layering_test.sh.
#
#   tests/layering.sh [--root DIR] [--exception "FILE HEADER"]...
#       DIR: the tree to check (default: this repository); --exception adds a known exception to those listed
#       below (for tests/layering_test.sh)
#
# Exit status: 0 the tree keeps the rules; 1 a violation, or a known exception below that no longer occurs
# (each named with file:line and the rule); 2 bad command line.
set -u

usage() { echo "usage: tests/layering.sh [--root DIR] [--exception \"FILE HEADER\"]..."; }

root=$(cd "$(dirname "$0")/.." && pwd)
extra_exceptions=()
while [ $# -gt 0 ]; do
  case $1 in
    --root)
      [ $# -ge 2 ] || { echo "layering.sh: --root needs a directory" >&2; usage >&2; exit 2; }
      root=$2
      shift 2
      ;;
    --exception)
      [ $# -ge 2 ] || { echo "layering.sh: --exception needs \"FILE HEADER\"" >&2; usage >&2; exit 2; }
      extra_exceptions+=("$2")
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "layering.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -d "$root/src" ] || { echo "layering.sh: $root/src: no such directory (--root names the repository)" >&2; exit 2; }

# The layers of src/, lowest first. A file may include headers of its own directory and of lower layers,
# never of a higher one, nor of another directory of the same rank (exec and codec are siblings). util is
# the lowest layer (containers and helpers; it includes only public headers); cli is the tool, which has rules
# of its own (below).
declare -A RANK=([util]=0 [time]=1 [trigger]=2 [core]=3 [exec]=4 [codec]=4 [store]=5 [cli]=6)

# Headers private to their directory: the other layers have no business with them, whatever their rank.
PRIVATE=(core/registry.h store/backend.h store/store_api.h exec/zygote.h time/zone_internal.h
  time/tzif.h time/posix_tz.h time/scan.h trigger/trigger_internal.h trigger/cron.h codec/codec_internal.h)

# Store backends: the headers of store/ whose names start with a backend's name are that backend's
# internals, included only by the backend's own files (whose names start the same way).
BACKENDS=(file sqlite postgresql mariadb redis mongodb)

# Known violations, each "FILE HEADER  # the issue item that removes it". They are reported as known, not
# as failures; one that no longer occurs is a failure, so that this list stays true (delete its line).
EXCEPTIONS=()
EXCEPTIONS+=(${extra_exceptions[@]+"${extra_exceptions[@]}"})

failures=0
declare -A EXCEPTION_SEEN

fail() { # file line header rule
  local key="$1 $3" e
  for e in "${EXCEPTIONS[@]}"; do
    if [ "$e" = "$key" ]; then
      EXCEPTION_SEEN[$e]=1
      echo "known: $1:$2: #include \"$3\": $4 (an exception listed in tests/layering.sh)"
      return
    fi
  done
  echo "$1:$2: #include \"$3\": $4"
  failures=$((failures + 1))
}

is_private() {
  local p
  for p in "${PRIVATE[@]}"; do [ "$p" = "$1" ] && return 0; done
  return 1
}

backend_of() { # a file name (no directory) -> the backend it belongs to, or nothing
  local b
  for b in "${BACKENDS[@]}"; do
    case $1 in "$b".* | "$b"_*) echo "$b"; return ;; esac
  done
}

check_library() { # file dir line header
  local file=$1 dir=$2 line=$3 inc=$4
  local top=${inc%%/*}
  if [ "$inc" = "asyncz.h" ] || [ "$top" = asyncz ]; then
    return # the public headers are the library's contract: every layer may use them
  fi
  if [ "$top" = "$inc" ]; then
    return # a header of the file's own directory, named without one
  fi
  if [ -z "${RANK[$top]+x}" ]; then
    fail "$file" "$line" "$inc" "neither a public header (asyncz/...) nor a header of a layer of src/"
    return
  fi
  if [ "$top" = cli ]; then
    fail "$file" "$line" "$inc" "the library never includes the tool (src/cli)"
    return
  fi
  if [ "${RANK[$top]}" -gt "${RANK[$dir]}" ]; then
    fail "$file" "$line" "$inc" "$dir/ may not include the higher layer $top/ (util -> time -> trigger -> core -> exec/codec -> store)"
  elif [ "$top" != "$dir" ] && [ "${RANK[$top]}" -eq "${RANK[$dir]}" ]; then
    fail "$file" "$line" "$inc" "$dir/ and $top/ are sibling layers: neither includes the other"
  elif [ "$top" != "$dir" ] && is_private "$inc"; then
    fail "$file" "$line" "$inc" "$inc is private to $top/"
  fi
  if [ "$top" = store ] && [ "$dir" = store ]; then
    local owner mine
    owner=$(backend_of "${inc#store/}")
    mine=$(backend_of "$(basename "$file")")
    if [ -n "$owner" ] && [ "$owner" != "$mine" ]; then
      fail "$file" "$line" "$inc" "$inc is the $owner backend's internals: only its own files include it"
    fi
  fi
}

check_cli() { # file line header
  local file=$1 line=$2 inc=$3
  case $inc in
    asyncz.h | asyncz/*) return ;;
    cli/*) return ;;
    http/*)
      # the daemon's HTTP server (src/cli/http), part of the tool
      [ -f "$root/src/cli/$inc" ] ||
        fail "$file" "$line" "$inc" "src/cli/$inc is not one of the tool's files"
      ;;
    */*) fail "$file" "$line" "$inc" "the tool (src/cli) includes only public headers (asyncz.h, asyncz/...) and its own" ;;
    *)
      # a header of the tool: of the file's own directory or of src/cli
      [ -f "$root/src/cli/$inc" ] || [ -f "$root/$(dirname "$file")/$inc" ] ||
        fail "$file" "$line" "$inc" "the tool (src/cli) includes only public headers (asyncz.h, asyncz/...) and its own; src/cli/$inc is not one of its files"
      ;;
  esac
}

check_public() { # file line header
  case $3 in
    asyncz.h | asyncz/*) return ;;
  esac
  local top=${3%%/*}
  if [ -n "${RANK[$top]+x}" ] || [ "$top" = "$3" ]; then
    fail "$1" "$2" "$3" "a public header (include/) includes only public headers: asyncz.h, asyncz/..."
  fi
}

# Every #include of src/ and include/: "FILE<TAB>LINE<TAB>QUOTE<TAB>HEADER".
list_includes() {
  (cd "$root" && find src include -type f \( -name '*.c' -o -name '*.h' -o -name '*.h.in' \) 2>/dev/null | LC_ALL=C sort |
    while IFS= read -r f; do
      awk -v f="$f" '
        match($0, /^[ \t]*#[ \t]*include[ \t]*["<][^">]+[">]/) {
          s = substr($0, RSTART, RLENGTH)
          q = (index(s, "\"") > 0) ? "q" : "a"
          sub(/^[^"<]*["<]/, "", s); sub(/[">]$/, "", s)
          printf "%s\t%d\t%s\t%s\n", f, FNR, q, s
        }' "$f"
    done)
}

# Directories of src/ that are no layer: the rules would not know what they may include.
for d in "$root"/src/*/; do
  [ -d "$d" ] || continue
  name=$(basename "$d")
  if [ -z "${RANK[$name]+x}" ]; then
    echo "src/$name/: a directory that is no layer of the rules: give it a rank in tests/layering.sh and a place in docs/design.md"
    failures=$((failures + 1))
  fi
done

while IFS=$'\t' read -r file line quote inc; do
  case $file in
    include/*)
      [ "$quote" = q ] && check_public "$file" "$line" "$inc"
      continue
      ;;
  esac
  dir=${file#src/}
  dir=${dir%%/*}
  [ -n "${RANK[$dir]+x}" ] || continue # reported above
  top=${inc%%/*}
  if [ "$quote" = a ]; then
    # <...> is a system or third-party header, unless it names a layer of src/ (<core/x.h>).
    [ "$top" != "$inc" ] && [ -n "${RANK[$top]+x}" ] || continue
  fi
  if [ "$dir" = cli ]; then
    check_cli "$file" "$line" "$inc"
  else
    check_library "$file" "$dir" "$line" "$inc"
  fi
done < <(list_includes)

for e in "${EXCEPTIONS[@]}"; do
  if [ -z "${EXCEPTION_SEEN[$e]+x}" ]; then
    echo "tests/layering.sh: the exception \"$e\" no longer occurs: delete it from EXCEPTIONS (and from docs/design.md)"
    failures=$((failures + 1))
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "layering: $failures problem(s); the rules are in docs/design.md, \"Layers and what may include what\""
  exit 1
fi
echo "layering: ok (${#EXCEPTIONS[@]} known exception(s))"
exit 0
