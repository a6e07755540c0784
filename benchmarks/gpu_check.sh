#!/usr/bin/env bash
# The checks run on a lent GPU machine, in one go:
#   1. benchmarks/speed.py --device cuda (the detector, the plain loop and
#      the plain loop under torch.compile; the tutorial loop's time to AUROC
#      0.99 extrapolated from the epochs it needed on the CPU);
#   2. the test suite with CUDA available (device="auto" then trains on the
#      GPU), without the Dask tests and doctests (no Dask on that machine);
#      one process: pytest-xdist's workers collect different hypothesis ids;
#   3. the ECG5000 example end to end on CUDA.
# Run from the repository root:  bash benchmarks/gpu_check.sh [OUTPUT_DIR]
# Environment: TEST_K (a pytest -k expression: run only those tests),
# RUN_EXAMPLE=0 (skip step 3), SPEED_TIMEOUT / TEST_TIMEOUT / EXAMPLE_TIMEOUT.
# ECG5000 is read from $SKLEARN_LSTMAE_DATA (default: ../shared/data/ECG5000).
# Outputs: OUTPUT_DIR/speed_cuda.md (the "speed-cuda" section of
# BENCHMARKS.md, printed, not written), OUTPUT_DIR/*.log and the example's PNGs.
set -uo pipefail
out=${1:-benchmarks/output/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export SKLEARN_LSTMAE_DATA=${SKLEARN_LSTMAE_DATA:-$PWD/../shared/data/ECG5000}
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.log"
python3 -c "import torch, sklearn, skorch, numpy; print('torch', torch.__version__, \
'| sklearn', sklearn.__version__, '| skorch', skorch.__version__, '| numpy', \
numpy.__version__, '| cuda', torch.cuda.is_available())" | tee -a "$out/gpu.log"

echo "== speed.py --device cuda"
timeout "${SPEED_TIMEOUT:-270}" python3 benchmarks/speed.py --device cuda \
    --tutorial-epochs 19 --no-write >"$out/speed_cuda.md" 2>"$out/speed_cuda.log" || status=1
tail -n 5 "$out/speed_cuda.log"

echo "== tests with CUDA available"
timeout "${TEST_TIMEOUT:-200}" python3 -m pytest -q --maxfail=20 -p no:cacheprovider \
    --ignore=tests/test_dask.py --ignore=sklearn_lstmae/distributed \
    ${TEST_K:+-k "$TEST_K"} 2>&1 \
    | tee "$out/tests.log" | tail -n 15 || status=1

if [ "${RUN_EXAMPLE:-1}" = 1 ]; then
    echo "== ECG5000 example on CUDA"
    timeout "${EXAMPLE_TIMEOUT:-80}" python3 examples/ecg5000_anomaly_detection.py \
        --output "$out" 2>&1 | tee "$out/example.log" | tail -n 12 || status=1
fi
exit $status
