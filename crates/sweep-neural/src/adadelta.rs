//! Adadelta (Zeiler 2012), the optimizer of Kim (2014)'s CNN, which burn does not ship.
//! For each parameter, with decay `rho` and `eps`:
//!
//! ```text
//! E[g²] ← rho · E[g²] + (1 − rho) · g²
//! Δ     ← −sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) · g
//! E[Δ²] ← rho · E[Δ²] + (1 − rho) · Δ²
//! x     ← x + lr · Δ
//! ```
//!
//! as PyTorch's `torch.optim.Adadelta` computes it (its `lr`, 1.0 in the paper, scales the
//! step). L2 weight decay is added to the gradient first, as SGD's. The two running means
//! are the state a checkpoint saves, so a resumed run goes on as if it had not stopped.

use burn::optim::{LearningRate, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};

/// Adadelta's constant under the square roots (Kim's and PyTorch's).
pub const EPS: f64 = 1e-6;

/// The optimizer: its decay and the L2 weight decay.
#[derive(Debug, Clone)]
pub struct Adadelta {
    pub rho: f64,
    pub weight_decay: f64,
}

/// One parameter's running means of the squared gradients and of the squared steps.
#[derive(Clone)]
pub struct AdadeltaState<const D: usize> {
    square_avg: Tensor<D>,
    acc_delta: Tensor<D>,
}

impl<const D: usize> RecordState for AdadeltaState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "square_avg", self.square_avg.clone().into_data());
        out.push_tensor(prefix, "acc_delta", self.acc_delta.clone().into_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let square_avg = Tensor::from_data(src.take_tensor(prefix, "square_avg")?, device);
        let acc_delta = Tensor::from_data(src.take_tensor(prefix, "acc_delta")?, device);
        Some(AdadeltaState {
            square_avg,
            acc_delta,
        })
    }
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let grad = if self.weight_decay > 0.0 {
            grad + tensor.clone().mul_scalar(self.weight_decay)
        } else {
            grad
        };
        let (square_avg, acc_delta) = match state {
            Some(s) => (s.square_avg, s.acc_delta),
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        let rho = self.rho;
        let square_avg = square_avg.mul_scalar(rho) + grad.clone().square().mul_scalar(1.0 - rho);
        let delta = acc_delta
            .clone()
            .add_scalar(EPS)
            .sqrt()
            .div(square_avg.clone().add_scalar(EPS).sqrt())
            .mul(grad);
        let acc_delta = acc_delta.mul_scalar(rho) + delta.clone().square().mul_scalar(1.0 - rho);
        let state = AdadeltaState {
            square_avg,
            acc_delta,
        };
        (tensor - delta.mul_scalar(lr), Some(state))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState {
            square_avg: state.square_avg.to_device(device),
            acc_delta: state.acc_delta.to_device(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    /// Two steps on one weight against the formulas by hand (rho 0.9, lr 1, decay 0.1).
    #[test]
    fn two_steps_match_the_hand_computed_updates() {
        let device = Device::default();
        let opt = Adadelta {
            rho: 0.9,
            weight_decay: 0.1,
        };
        let x = Tensor::<1>::from_data(TensorData::from([2.0f32]), &device);
        let g1 = Tensor::<1>::from_data(TensorData::from([0.5f32]), &device);
        let (x1, s1) = opt.step(1.0, x, g1, None);
        let g2 = Tensor::<1>::from_data(TensorData::from([-0.3f32]), &device);
        let (x2, _) = opt.step(1.0, x1.clone(), g2, s1);
        // By hand, in f64.
        let (rho, eps, wd) = (0.9f64, EPS, 0.1f64);
        let mut x = 2.0f64;
        let (mut sq, mut acc) = (0.0f64, 0.0f64);
        let mut expected = Vec::new();
        for g in [0.5f64, -0.3] {
            let g = g + wd * x;
            sq = rho * sq + (1.0 - rho) * g * g;
            let delta = ((acc + eps).sqrt() / (sq + eps).sqrt()) * g;
            acc = rho * acc + (1.0 - rho) * delta * delta;
            x -= delta;
            expected.push(x);
        }
        let got = |t: Tensor<1>| f64::from(t.into_data().try_to_vec::<f32>().unwrap()[0]);
        assert!((got(x1) - expected[0]).abs() < 1e-6, "{expected:?}");
        assert!((got(x2) - expected[1]).abs() < 1e-6, "{expected:?}");
        // The first step is tiny (sqrt(eps) / sqrt(0.1·g²)): Adadelta starts slowly.
        assert!((2.0 - expected[0]).abs() < 1e-2);
    }
}
