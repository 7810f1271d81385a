#!/bin/sh
# A stand-in training program that speaks Sweep's trial protocol:
#   - params arrive as --key=value arguments (W&B's ${args});
#   - one JSON object per line is appended to "$SWEEP_METRICS" per epoch;
#   - the exit code says whether the run completed.
# It minimises f(w) = (w - 3)^2 by gradient descent with momentum, with noisy gradients.
lr=0.1 momentum=0 seed=0 epochs=20
for arg in "$@"; do
  case "$arg" in
    --optimizer.lr=*) lr="${arg#*=}" ;;
    --optimizer.momentum=*) momentum="${arg#*=}" ;;
    --seed=*) seed="${arg#*=}" ;;
    --epochs=*) epochs="${arg#*=}" ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
out="${SWEEP_METRICS:-/dev/stdout}"
awk -v lr="$lr" -v mom="$momentum" -v seed="$seed" -v epochs="$epochs" 'BEGIN {
  srand(seed + 1); w = 0; v = 0
  for (e = 1; e <= epochs; e++) {
    g = 2 * (w - 3) + (rand() - 0.5) * 0.5
    v = mom * v - lr * g
    w = w + v
    train = (w - 3) ^ 2
    val = train + 0.01 + rand() * 0.02
    printf "{\"epoch\": %d, \"train/loss\": %.6g, \"val/loss\": %.6g}\n", e, train, val
  }
}' >> "$out"
echo "trained lr=$lr momentum=$momentum seed=$seed"
