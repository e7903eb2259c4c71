#!/usr/bin/env bash
# Benchmarks of issue 5, side by side: ssot-lsp check against rg (the floor),
# ruff (TID251 banned-api) and ast-grep on the corpus of bench/build_corpus.py.
#
#   bench/run.sh                 # everything below except criterion (~15 min on 2 busy cores)
#   bench/run.sh --criterion     # also the criterion micro-benchmarks (bench/rust/benches/engine.rs)
#   bench/run.sh --profile       # also `perf record` of one check (hotspots)
#   bench/run.sh --server        # also the language-server benchmarks (bench/server.py, ~5 min)
#   RUNS=10 bench/run.sh         # more hyperfine runs and interleaved rounds (default 5)
#   GROWTH=0 bench/run.sh        # skip the 2x/4x growth curve
#   bench/run.sh --realistic     # on the real-density corpus instead (bench/build_realistic.py:
#                                # 10,000 files, 10% with a trigger); results in target/bench/results-realistic
#
# Installs what it needs: hyperfine, ripgrep and GNU time from Debian (apt-get
# update only when a package is missing), ruff and ast-grep-cli from PyPI
# into target/bench/venv. Results: target/bench/results/ (hyperfine JSON, the
# interleaved rounds of bench/interleaved.py,
# each tool's findings, summary.md); the summary is printed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=target/bench
CORPUS=$BENCH/corpus
RESULTS=$BENCH/results
REALISTIC=0
VENV=$BENCH/venv
RUNS=${RUNS:-5}
GROWTH=${GROWTH:-1}
CRITERION=0
PROFILE=0
SERVER=0
for arg in "$@"; do
    case $arg in
        --criterion) CRITERION=1 ;;
        --profile) PROFILE=1 ;;
        --server) SERVER=1 ;;
        --realistic) REALISTIC=1 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

say() { printf '\n== %s\n' "$*" >&2; }

if [ "$REALISTIC" = 1 ]; then
    # The generated corpus has no copies for a growth curve, no pathological
    # files and no injected-file list for the server benchmarks.
    [ "$SERVER" = 1 ] && { echo "--server runs on the pip corpus only" >&2; exit 2; }
    CORPUS=$BENCH/realistic-old
    RESULTS=$BENCH/results-realistic
    GROWTH=0
fi

# ---------------------------------------------------------------- tools
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
command -v rg >/dev/null || need_apt+=(ripgrep)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "apt-get install ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y "${need_apt[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null
        $SUDO apt-get install -y "${need_apt[@]}" >/dev/null
    }
fi
if [ ! -x $VENV/bin/ruff ] || [ ! -x $VENV/bin/ast-grep ]; then
    say "installing ruff and ast-grep-cli into $VENV"
    python3 -m venv $VENV
    $VENV/bin/pip install -q ruff ast-grep-cli
fi
RUFF=$VENV/bin/ruff
SG=$VENV/bin/ast-grep

# ---------------------------------------------------------------- corpus and build
say "corpus"
SCALE=1; [ "$GROWTH" = 1 ] && SCALE=4
# The server's 10,000-file root and its growth curve need corpus-x2 and corpus-x4.
[ "$SERVER" = 1 ] && SCALE=4
if [ "$REALISTIC" = 1 ]; then
    python3 bench/build_realistic.py --size bench --commit old >/dev/null
    # The real code base is a git work tree, and `check` asks git about the
    # files it could fix (the `--fix` hint): so is the corpus (all committed).
    if [ "$(git -C $CORPUS rev-parse --show-toplevel 2>/dev/null)" != "$(cd $CORPUS && pwd -P)" ]; then
        git -C $CORPUS init -q
        git -C $CORPUS add -A
        git -C $CORPUS -c user.name=bench -c user.email=bench@example.com commit -qm corpus
    fi
else
    python3 bench/build_corpus.py --scale $SCALE >/dev/null
fi
say "cargo build --release"
cargo build --release -q
SSOT=$ROOT/target/release/ssot-lsp

rm -rf $RESULTS && mkdir -p $RESULTS
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "ram: $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "tools: $(rg --version | sed -n 1p); $($RUFF --version); ast-grep $($SG --version | awk '{print $2}'); $(hyperfine --version)"
} > $RESULTS/machine.txt
cat $RESULTS/machine.txt >&2

# The same trigger strings for rg as the ssot-lsp prefilter's any-of strings.
RG="rg -l -F --type py -e websocket_manager_factory -e websocket_core.manager -e connection_manager -e UnifiedWebSocketManager -e get_websocket_manager_factory -e create_websocket_manager"
CHECK="$SSOT check $CORPUS --exit-zero --format concise --no-color"
RUFF_CHECK="$RUFF check --config bench/ruff.toml --select TID251 --no-cache --exit-zero --output-format concise $CORPUS"
SG_SCAN="$SG scan --config bench/ast-grep/sgconfig.yml --report-style short $CORPUS"

# ---------------------------------------------------------------- findings (once each)
say "findings of each tool"
$RG $CORPUS > $RESULTS/findings-rg.txt || true
$SSOT check $CORPUS --exit-zero --format json --no-color > $RESULTS/findings-ssot-lsp.json
$RUFF check --config bench/ruff.toml --select TID251 --no-cache --exit-zero --output-format json $CORPUS > $RESULTS/findings-ruff.json
$SG scan --config bench/ast-grep/sgconfig.yml --json=stream $CORPUS > $RESULTS/findings-ast-grep.jsonl

# ---------------------------------------------------------------- side by side
say "check, side by side (hyperfine, warm cache, $RUNS runs)"
hyperfine --warmup 1 --runs "$RUNS" --style basic --export-json $RESULTS/check-fast.json \
    -n rg "$RG $CORPUS" \
    -n ssot-lsp "$CHECK" \
    -n ruff "$RUFF_CHECK"
# The same three interleaved, from inside the corpus as a user runs them:
# hyperfine's batches meet different spells of a shared machine.
say "check, interleaved (bench/interleaved.py, $RUNS rounds, from inside the corpus)"
python3 bench/interleaved.py --rounds "$RUNS" --cwd $CORPUS --json $RESULTS/check-interleaved.json \
    "rg=$RG ." \
    "ssot-lsp=$SSOT check . --exit-zero --format concise --no-color" \
    "ruff=$ROOT/$RUFF check --config $ROOT/bench/ruff.toml --select TID251 --no-cache --exit-zero --output-format concise ." \
    | tee $RESULTS/check-interleaved.md
# ast-grep takes ~10x longer than the others: fewer runs (the cache is warm).
hyperfine --warmup 0 --runs 3 --style basic --export-json $RESULTS/check-ast-grep.json \
    -n ast-grep "$SG_SCAN"
python3 - $RESULTS <<'EOF'
import json, sys
from pathlib import Path
results = Path(sys.argv[1])
merged = [r for name in ("check-fast.json", "check-ast-grep.json") for r in json.loads((results / name).read_text())["results"]]
(results / "check.json").write_text(json.dumps({"results": merged}, indent=1))
EOF

# ---------------------------------------------------------------- fix
say "check --fix --unsafe-fixes on a fresh copy"
FIXCOPY=$BENCH/fixcopy
hyperfine --warmup 0 --runs 3 --style basic --export-json $RESULTS/fix.json \
    --prepare "rm -rf $FIXCOPY && cp -r $CORPUS $FIXCOPY && rm -f $FIXCOPY/MANIFEST.json" \
    -n "check --fix --unsafe-fixes" "$SSOT check $FIXCOPY --fix --unsafe-fixes --exit-zero --format concise --no-color"
python3 - "$CORPUS" "$FIXCOPY" "$SSOT" > $RESULTS/fix-after.txt <<'EOF'
import ast, filecmp, json, subprocess, sys, collections
from pathlib import Path
corpus, copy, ssot = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
changed, broken = [], []
for path in sorted(copy.rglob("*.py")):
    original = corpus / path.relative_to(copy)
    if filecmp.cmp(path, original, shallow=False):
        continue
    changed.append(path)
    try:
        ast.parse(path.read_bytes())
    except SyntaxError:
        broken.append(str(path.relative_to(copy)))
left = json.loads(subprocess.run([ssot, "check", str(copy), "--exit-zero", "--format", "json", "--no-color"], capture_output=True, text=True).stdout or "[]")
by_code = collections.Counter(item["code"] for item in left)
print(f"After the fix: {len(changed)} files changed; {len(changed) - len(broken)} of them parse with CPython's ast ({', '.join(broken[:5]) or 'none broken'}); "
      f"{len(left)} findings left (" + ", ".join(f"{c} {n}" for c, n in sorted(by_code.items())) + ") — those with no automatic fix.")
EOF

# ---------------------------------------------------------------- pathological files
say "worst single files"
patho_args=()
for file in $CORPUS/pathological/*.py; do
    [ -f "$file" ] || continue
    patho_args+=(-n "$(basename "$file")" "$SSOT check $file --exit-zero --format concise --no-color")
done
if [ ${#patho_args[@]} -gt 0 ]; then
    hyperfine --warmup 1 --runs 3 --style basic --export-json $RESULTS/pathological.json "${patho_args[@]}"
fi

# ---------------------------------------------------------------- memory
say "peak RSS"
rss() { # name, command...
    local name=$1; shift
    /usr/bin/time -v "$@" > /dev/null 2> $RESULTS/time-$name.txt || true
    printf '%s: peak RSS %s MB, wall %s\n' "$name" \
        "$(awk -F: '/Maximum resident/ {printf "%.0f", $2/1024}' $RESULTS/time-$name.txt)" \
        "$(awk '/Elapsed \(wall/ {print $NF}' $RESULTS/time-$name.txt)"
}
{
    echo "Peak RSS (GNU time -v, one run each):"
    echo
    echo "- $(rss ssot-lsp $CHECK)"
    echo "- $(rss ruff $RUFF_CHECK)"
    echo "- $(rss ast-grep $SG_SCAN)"
} > $RESULTS/rss.txt
cat $RESULTS/rss.txt >&2

# ---------------------------------------------------------------- growth
if [ "$GROWTH" = 1 ]; then
    for factor in 2 4; do
        dir=$BENCH/corpus-x$factor
        say "growth: ${factor}x corpus ($dir)"
        hyperfine --warmup 1 --runs 2 --style basic --export-json $RESULTS/growth-x$factor.json \
            -n rg "$RG $dir" \
            -n ssot-lsp "$SSOT check $dir --exit-zero --format concise --no-color" \
            -n ruff "$RUFF check --config bench/ruff.toml --select TID251 --no-cache --exit-zero --output-format concise $dir"
    done
fi

# ---------------------------------------------------------------- phases
say "where the time goes (one thread, cargo bench -p ssot-lsp-bench --bench corpus_phases)"
cargo bench -q -p ssot-lsp-bench --bench corpus_phases -- "$ROOT/$CORPUS" 2>/dev/null | tee $RESULTS/phases.md >&2

if [ "$PROFILE" = 1 ]; then
    say "perf record of one check"
    if command -v perf >/dev/null; then
        perf record -q -g -o $RESULTS/perf.data $CHECK > /dev/null 2>&1 || true
        perf report -i $RESULTS/perf.data --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40 > $RESULTS/perf-top.txt || true
        cat $RESULTS/perf-top.txt >&2
    else
        echo "perf not installed; skipped" >&2
    fi
fi

if [ "$CRITERION" = 1 ]; then
    say "criterion micro-benchmarks (bench/rust/benches/engine.rs)"
    cargo bench -p ssot-lsp-bench --bench engine 2>&1 | grep -E '^[a-z_0-9]+/|time:|thrpt:|check_10k|fix_large|pathological:' | tee $RESULTS/criterion.txt >&2
fi

if [ "$SERVER" = 1 ]; then
    say "language server (bench/server.py): edit -> diagnostics, first diagnostics during the scan, scan time and RSS"
    python3 bench/server.py --binary "$SSOT" --results $RESULTS >&2
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> $RESULTS/machine.txt
say "summary"
python3 bench/report.py $RESULTS $CORPUS
