#!/usr/bin/env bash
# CI fuzz step: builds every libFuzzer target with clang 14 + ASan + UBSan in
# build-fuzz/, replays each target's checked-in corpus and regressions, then
# fuzzes each target for a short time (default 30 s). Any crash, sanitizer
# report, broken harness promise, leak, timeout or over-limit allocation
# fails the step; the input that did it is left in build-fuzz/artifacts/.
#   scripts/fuzz-ci.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."

"$PWD/scripts/fuzz-build.sh"

seconds=${1:-30}
build_dir=build-fuzz
fuzz_dir=proto-tests/fuzz
targets=(flux_decode document_vs_value scanner_vs_decoder crout_parse flux_to_crout lazy_reader crout_reader connection_input lz4_stream)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
artifacts="$PWD/$build_dir/artifacts"
mkdir -p "$artifacts"

dict_for() {
  case "$1" in
    crout_parse|crout_reader) echo "$fuzz_dir/crout.dict" ;;
    *) echo "$fuzz_dir/flux.dict" ;;
  esac
}

# Inputs stay small (the harnesses are about structure, not size), and no
# allocation may be large: a decoder that allocates from a declared size
# rather than the bytes present fails here.
common=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1)

failed=()
for target in "${targets[@]}"; do
  binary="$build_dir/bin/crous-fuzz-$target"
  log="$build_dir/$target.log"
  echo "== $target"
  # Replay first: the checked-in corpus and the regressions of fixed bugs.
  if ! "$binary" "${common[@]}" -runs=0 -artifact_prefix="$artifacts/$target-" \
      "$fuzz_dir/corpus/$target" "$fuzz_dir/regressions/$target" > "$log" 2>&1; then
    tail -n 40 "$log"
    failed+=("$target (replay)")
    continue
  fi
  # Then fuzz; new corpus entries go to a scratch folder (CI never edits the checkout).
  scratch=$(mktemp -d)
  if ! "$binary" "${common[@]}" -max_total_time="$seconds" -dict="$(dict_for "$target")" \
      -artifact_prefix="$artifacts/$target-" "$scratch" "$fuzz_dir/corpus/$target" > "$log" 2>&1; then
    tail -n 40 "$log"
    failed+=("$target")
  fi
  grep -E "DONE   cov|^stat::number_of_executed_units|^stat::average_exec_per_sec" "$log" || true
  rm -rf "$scratch"
done

if ((${#failed[@]} > 0)); then
  echo "fuzz-ci: failed: ${failed[*]}; the inputs are in $artifacts/ (reproduce: $build_dir/bin/crous-fuzz-TARGET FILE)" >&2
  exit 1
fi
echo "fuzz-ci: all ${#targets[@]} targets clean"
