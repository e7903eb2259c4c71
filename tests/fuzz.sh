#!/usr/bin/env bash
# Runs each cargo-fuzz target of ssot-lsp (server/fuzz) for a bounded time,
# the targets side by side, and prints libFuzzer's figures: executions,
# time, crashes.
#
#   tests/fuzz.sh                                   # every target, 20 s each, AddressSanitizer
#   FUZZ_SECONDS=600 tests/fuzz.sh jsonrpc          # one target, longer
#   FUZZ_SANITIZER=none FUZZ_SECONDS=20 tests/fuzz.sh   # the bounded run of tests/run
#
# FUZZ_SANITIZER (default `address`) is cargo-fuzz's `--sanitizer`. `address`
# is for long runs: it also catches memory errors in the C parser
# (tree-sitter) and in unsafe Rust, but its first build takes 800 CPU
# seconds (11 to 16 minutes on 2 cores). `none` is what tests/run uses: an
# optimised build (`--dev`: the fuzz workspace's dev profile, opt-level 2 in
# several code generation units, where cargo-fuzz's release build forces one,
# so the crate compiles on both cores) with debug assertions, overflow checks
# and libFuzzer's coverage instrumentation, without AddressSanitizer; a cold
# build takes about 4.5 minutes on 2 cores, it runs 2.5 to 5 times as many
# inputs per second, and still fails on every panic, failed assertion,
# timeout (20 s for one input) or out-of-memory (4 GB). Each sanitizer has its
# own build folder (server/fuzz/target, server/fuzz/target/sanitizer-none),
# so switching does not rebuild the other. Figures: docs/reliability.md.
#
# Installs cargo-fuzz (from crates.io) when it is missing. Only the stable
# toolchain is installed here, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# nightly flags (-Zsanitizer=address, -Cpasses=sancov-module). Each target
# starts from its seeds (server/fuzz/seeds/<target>, and the form fixtures for
# fix_engine) in a working corpus under server/fuzz/corpus/, which later runs
# reuse; crashes land in server/fuzz/artifacts/<target>/. Exits 1 when a
# target crashed (or did not build).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-address}"
case "$sanitizer" in
  address) build_flags=(--sanitizer address) ;;
  none) build_flags=(--sanitizer none --dev --target-dir target/sanitizer-none) ;;
  *) echo "tests/fuzz.sh: FUZZ_SANITIZER must be address or none, not $sanitizer" >&2; exit 2 ;;
esac
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=(fix_engine incremental_edits jsonrpc); fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz --version 0.13.2 --locked"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1

cd server/fuzz
echo "== cargo fuzz build ${build_flags[*]}"
cargo fuzz build "${build_flags[@]}"

mkdir -p artifacts
failed=()
summary=()
# The targets run side by side (libFuzzer uses one core each), each with its
# own corpus and log; their figures are read once all have stopped.
pids=()
for target in "${targets[@]}"; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then cp -n "seeds/$target"/* "$corpus"/ || true; fi
  if [ "$target" = fix_engine ]; then cp -n ../tests/fixtures/forms/*.py "$corpus"/ || true; fi
  flags=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1)
  if [ -f "dict/$target.dict" ]; then flags+=(-dict="dict/$target.dict"); fi
  echo "== cargo fuzz run ${build_flags[*]} $target (${seconds} s)"
  touch "artifacts/.$target.started"
  cargo fuzz run "${build_flags[@]}" "$target" "$corpus" -- "${flags[@]}" >"artifacts/$target.log" 2>&1 &
  pids+=($!)
done
for index in "${!targets[@]}"; do
  target=${targets[$index]}
  corpus="corpus/$target"
  log="artifacts/$target.log"
  status=0
  wait "${pids[$index]}" || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  corpus_size=$(find "$corpus" -type f | wc -l)
  crashes=$(find "artifacts/$target" -type f -newer "artifacts/.$target.started" 2>/dev/null | wc -l)
  line="$target ($sanitizer): ${runs:-?} executions in ${seconds} s (${speed:-?}/s), coverage ${coverage:-?}, corpus ${corpus_size}, exit ${status}, ${crashes} new crash files"
  echo "$line"
  summary+=("$line")
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -m 5 -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" || true
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "tests/fuzz.sh: crashes in ${failed[*]} (see server/fuzz/artifacts/)" >&2
  exit 1
fi
echo "${#targets[@]} passed, 0 failed"
