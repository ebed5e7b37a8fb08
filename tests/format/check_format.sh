#!/usr/bin/env bash
# Fails when a C++ source file is not clang-format clean (.clang-format at the
# top), naming each file, so formatting is never fixed by hand again.
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}" || exit 2
clang_format=${CLANG_FORMAT:-clang-format}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
else
  mapfile -t files < <(find app pipeline classifier config tests tools -name '*.cpp' -o -name '*.hpp' -o -name '*.h')
fi
bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-format clean: $f"
    bad=$((bad + 1))
  fi
done
echo "checked ${#files[@]} files, $bad not clean"
[ "$bad" -eq 0 ]
