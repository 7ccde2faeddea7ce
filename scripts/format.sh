#!/usr/bin/env bash
# clang-format 14 with the repository's .clang-format, on the C++ files
# changed since the style was adopted (the commit that last changed
# .clang-format, and every commit and uncommitted change after it): files
# nobody touched since keep their history; a file touched is formatted whole.
#   scripts/format.sh           format those files in place
#   scripts/format.sh --check   CI: list the ones that are not formatted (exit 1), change nothing
#   scripts/format.sh --all     format every tracked C++ file
set -euo pipefail
cd "$(dirname "$0")/.."
"$PWD/scripts/install-deps.sh" --clang
mode=(-i)
case "${1:-}" in
  --check) mode=(--dry-run --Werror) ;;
  --all | "") ;;
  *) echo "usage: $0 [--check|--all]" >&2; exit 2 ;;
esac
if [[ "${1:-}" == "--all" ]]; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  adopted=$(git log -1 --format=%H -- .clang-format)
  # Compared with the parent of the adoption, so its own changes count too.
  base=$(git rev-parse --verify --quiet "$adopted^" || git hash-object -t tree /dev/null)
  mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cpp' '*.hpp'; \
                       git ls-files --others --exclude-standard '*.cpp' '*.hpp')
fi
if ((${#files[@]} == 0)); then
  echo "format: no C++ file changed since the style was adopted"
  exit 0
fi
if ! clang-format-14 "${mode[@]}" "${files[@]}"; then
  echo "format: the files above are not formatted as .clang-format says; run scripts/format.sh" >&2
  exit 1
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "format: ${#files[@]} files checked"
else
  echo "format: ${#files[@]} files formatted"
fi
