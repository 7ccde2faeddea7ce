#!/usr/bin/env bash
# A local fuzzing campaign on one target (docs/fuzzing.md):
#   scripts/fuzz.sh TARGET [SECONDS]      (default 600 s)
# Builds build-fuzz/ (clang + ASan + UBSan), fuzzes TARGET starting from its
# checked-in corpus and regressions, then
#   - merges the new inputs that add coverage into proto-tests/fuzz/corpus/TARGET,
#   - minimizes every crash into proto-tests/fuzz/regressions/TARGET/, which
#     CI and every test build replay (commit it with the fix).
# Targets: flux_decode document_vs_value scanner_vs_decoder crout_parse
#          flux_to_crout lazy_reader crout_reader connection_input
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 ]]; then
  sed -n 2,11p "$0" >&2
  exit 2
fi
target=$1
seconds=${2:-600}
fuzz_dir=proto-tests/fuzz
if [[ ! -f "$fuzz_dir/$target.cpp" ]]; then
  echo "fuzz.sh: no harness $fuzz_dir/$target.cpp" >&2
  exit 2
fi

"$PWD/scripts/fuzz-build.sh"

binary="$PWD/build-fuzz/bin/crous-fuzz-$target"
case "$target" in
  crout_parse|crout_reader) dict="$fuzz_dir/crout.dict" ;;
  *) dict="$fuzz_dir/flux.dict" ;;
esac
work="build-fuzz/campaign/$target"
rm -rf "$work"
mkdir -p "$work/new" "$work/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
common=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256)

# Keep going after a crash (-fork mode) so one bug does not end the campaign.
status=0
"$binary" "${common[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -dict="$dict" -artifact_prefix="$work/crashes/" \
  "$work/new" "$fuzz_dir/corpus/$target" "$fuzz_dir/regressions/$target" || status=$?

before=$(ls "$fuzz_dir/corpus/$target" | wc -l)
"$binary" "${common[@]}" -merge=1 "$fuzz_dir/corpus/$target" "$work/new" >"$work/merge.log" 2>&1
after=$(ls "$fuzz_dir/corpus/$target" | wc -l)
echo "fuzz.sh: corpus/$target: $before -> $after inputs (review with git status; keep the checked-in corpus small)"

found=0
for crash in "$work/crashes"/*; do
  [[ -f "$crash" ]] || continue
  found=$((found + 1))
  name=$(basename "$crash")
  "$binary" "${common[@]}" -minimize_crash=1 -runs=20000 \
    -exact_artifact_path="$fuzz_dir/regressions/$target/$name" "$crash" >"$work/minimize-$name.log" 2>&1 || true
  [[ -f "$fuzz_dir/regressions/$target/$name" ]] || cp "$crash" "$fuzz_dir/regressions/$target/$name"
  echo "fuzz.sh: $fuzz_dir/regressions/$target/$name (reproduce: $binary $fuzz_dir/regressions/$target/$name)"
done
if ((found > 0)); then
  echo "fuzz.sh: $found failing input(s); fix them, then commit them with the fix" >&2
  exit 1
fi
echo "fuzz.sh: no failure in ${seconds} s (fuzzer exit status $status)"
